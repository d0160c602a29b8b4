"""Everything a request handler needs, bundled so modules do not import the facade."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timezone
from typing import Any

from .chaos import FaultPlan, RateLimiter
from .faults import QboFault
from .jsonio import dumps
from .oauth import TokenRegistry
from .stats import RequestStats
from .store import Reply, Store
from .timeutil import format_response_time

__all__ = ["EmulatorState", "Outcome", "json_reply"]

JSON = "application/json;charset=UTF-8"


@dataclass
class EmulatorState:
    store: Store
    tokens: TokenRegistry
    plan: FaultPlan
    limiter: RateLimiter | None
    stats: RequestStats
    clock: Callable[[], float]
    tz: timezone
    stopping: threading.Event = field(default_factory=threading.Event)
    root_url: str = ""
    # The emulated consent screen at /connect/oauth2 (set through QboEmulator).
    authorize_decision: str = "approve"
    authorize_realm: str | None = None
    allowed_redirect_uris: set[str] = field(default_factory=set)

    def time_text(self) -> str:
        return format_response_time(self.clock(), self.tz)

    def fault_reply(self, fault: QboFault) -> Reply:
        return json_reply(fault.status, fault.body(self.time_text()))


@dataclass
class Outcome:
    """A handled request: the reply plus what to account it as."""

    reply: Reply
    kind: str
    realm: str | None = None
    entity: str | None = None
    stall: float = 0.0
    on_done: Callable[[], None] | None = None


def json_reply(status: int, payload: Any, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    """Every JSON body goes through the Decimal-exact encoder."""
    text = dumps(payload)
    tid = ("intuit_tid", uuid.uuid4().hex)
    return Reply(status, JSON, text.encode("utf-8"), (tid, *headers))
