"""Request accounting, so tests and benchmarks can assert how many calls were made."""

from __future__ import annotations

import threading
from collections import deque
from typing import NamedTuple

__all__ = ["LogEntry", "RequestStats"]


class LogEntry(NamedTuple):
    method: str
    path: str
    entity: str | None
    status: int


class RequestStats:
    """Counts per (realm, kind) plus a bounded request log."""

    def __init__(self, log_limit: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str | None, str], int] = {}
        self._log: deque[LogEntry] = deque(maxlen=log_limit)

    def record(
        self, method: str, path: str, entity: str | None, status: int, kind: str, realm: str | None
    ) -> None:
        with self._lock:
            key = (realm, kind)
            self._counts[key] = self._counts.get(key, 0) + 1
            self._log.append(LogEntry(method, path, entity, status))

    def count(self, realm: str | None = None, kind: str | None = None) -> int:
        with self._lock:
            return sum(
                n
                for (r, k), n in self._counts.items()
                if (realm is None or r == realm) and (kind is None or k == kind)
            )

    def log(self) -> list[LogEntry]:
        with self._lock:
            return list(self._log)

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
            self._log.clear()
