"""Injected failures (throttle / 5xx / stalls) and QBO's per-realm rate limits."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["FaultPlan", "Injection", "RateLimiter"]


@dataclass
class Injection:
    """One armed failure rule; ``remaining`` counts down per matching request."""

    kind: str  # "throttle" | "fail" | "stall"
    remaining: int
    realm: str | None = None
    status: int = 429
    xml: bool = False
    seconds: float = 0.0


class FaultPlan:
    """FIFO of armed rules; each API request consumes at most one fault and one stall."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Injection] = []
        self._stalls: list[Injection] = []

    def add(self, rule: Injection) -> None:
        """Arm a rule; a count of 0 instead cancels armed rules of that kind (and realm)."""
        with self._lock:
            rules = self._stalls if rule.kind == "stall" else self._faults
            if rule.remaining > 0:
                rules.append(rule)
                return
            rules[:] = [
                r for r in rules if not (r.kind == rule.kind and rule.realm in (None, r.realm))
            ]

    @staticmethod
    def _take(rules: list[Injection], realm: str | None) -> Injection | None:
        for rule in rules:
            if rule.realm is None or rule.realm == realm:
                rule.remaining -= 1
                if rule.remaining <= 0:
                    rules.remove(rule)
                return rule
        return None

    def take_fault(self, realm: str | None) -> Injection | None:
        with self._lock:
            return self._take(self._faults, realm)

    def take_stall(self, realm: str | None) -> float:
        with self._lock:
            rule = self._take(self._stalls, realm)
            return rule.seconds if rule else 0.0

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._stalls.clear()


class RateLimiter:
    """QBO limits per realm: N requests per rolling minute and M in flight."""

    def __init__(
        self, clock: Callable[[], float], per_minute: int = 500, concurrent: int = 10
    ) -> None:
        self.clock = clock
        self.per_minute = per_minute
        self.concurrent = concurrent
        self._lock = threading.Lock()
        self._window: dict[str, deque[float]] = {}
        self._inflight: dict[str, int] = {}

    def acquire(self, realm: str) -> bool:
        """True = admitted (call release later); False = answer 429."""
        with self._lock:
            now = self.clock()
            window = self._window.setdefault(realm, deque())
            while window and window[0] <= now - 60.0:
                window.popleft()
            if self._inflight.get(realm, 0) >= self.concurrent or len(window) >= self.per_minute:
                return False
            window.append(now)
            self._inflight[realm] = self._inflight.get(realm, 0) + 1
            return True

    def release(self, realm: str) -> None:
        with self._lock:
            self._inflight[realm] = max(0, self._inflight.get(realm, 0) - 1)
