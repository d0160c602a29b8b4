"""EventBridge Scheduler, locally: invokes a function with a scheduled event every interval."""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from crm_finance.devstack.lambda_runtime import invoke


def scheduled_event(rule: str = "crm-finance-poll") -> dict[str, Any]:
    """The event EventBridge Scheduler sends (the shape the parser's EventBridgeModel reads)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": "123456789012",
        "time": datetime.now(tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [f"arn:aws:scheduler:us-east-1:123456789012:schedule/default/{rule}"],
        "detail": {},
    }


class LocalSchedule:
    def __init__(self, function: str, interval_seconds: float | None) -> None:
        self._function = function
        self._interval = interval_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def fire(self) -> Any:
        return invoke(self._function, scheduled_event())

    def start(self) -> LocalSchedule:
        def run() -> None:
            next_at = time.monotonic()
            while not self._stop.wait(max(0.0, next_at - time.monotonic())):
                with contextlib.suppress(Exception):  # like EventBridge: the next tick runs
                    self.fire()
                next_at += self._interval or 1800

        self._thread = threading.Thread(target=run, name="schedule", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
