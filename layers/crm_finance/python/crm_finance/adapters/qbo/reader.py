"""Batched QBO reads for the poller: ``Id IN`` queries of up to 1000 ids, paginated, and CDC.

QBO allows 500 requests a minute per company. A poll runs in one instance at a time per
org (the lease), so an in-process moving window (the ``limits`` library) keeps the poller
under ``requests_per_minute``. That leaves room below 500 for the invoice worker, and any
429 that still happens is retried with backoff.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from crm_finance.adapters.qbo.books import QuickBooksBooks, quote
from crm_finance.adapters.qbo.mapping import applied_payments_from_json, invoice_view_from_json
from crm_finance.domain.polling import BATCH, AppliedPayment, Changes, InvoiceView


class QboBatchReader:
    def __init__(self, books: QuickBooksBooks, *, requests_per_minute: int = 400) -> None:
        from limits import RateLimitItemPerMinute
        from limits.storage import MemoryStorage
        from limits.strategies import MovingWindowRateLimiter

        self._books = books
        self._qb = books.client
        self._window = MovingWindowRateLimiter(MemoryStorage())
        self._rate = RateLimitItemPerMinute(requests_per_minute)
        self.calls = 0

    def _pace(self) -> None:
        while not self._window.hit(self._rate, "qbo"):
            reset_at = self._window.get_window_stats(self._rate, "qbo").reset_time
            time.sleep(max(0.01, reset_at - time.time()))  # rate limiting, not synchronisation

    def _call(self, fn: Callable[..., Any], *args: Any) -> Any:
        self._pace()
        self.calls += 1  # one logical call; retries of a throttled call are not counted
        return self._books.call(fn, *args)

    def _select(self, entity: str, ids: list[str]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        id_list = ", ".join(quote(i) for i in ids)
        start = 1
        while True:
            page = self._call(
                self._qb.query,
                f"SELECT * FROM {entity} WHERE Id IN ({id_list}) "  # noqa: S608 - QBO, quoted ids
                f"STARTPOSITION {start} MAXRESULTS {BATCH}",
            )["QueryResponse"].get(entity, [])
            rows.extend(page)
            if len(page) < BATCH or len(rows) >= len(ids):  # Id IN returns at most len(ids)
                return rows
            start += BATCH

    def invoices(self, ids: list[str]) -> list[InvoiceView]:
        return [invoice_view_from_json(row) for row in self._select("Invoice", ids)]

    def payments(self, ids: list[str]) -> list[AppliedPayment]:
        return [p for row in self._select("Payment", ids) for p in applied_payments_from_json(row)]

    def changes_since(self, since: datetime) -> Changes:
        data = self._call(self._qb.change_data_capture, "Invoice,Payment", since.isoformat())
        found: dict[str, list[dict[str, Any]]] = {"Invoice": [], "Payment": []}
        for response in data.get("CDCResponse", []):
            for part in response.get("QueryResponse", []):
                for entity in found:
                    found[entity].extend(part.get(entity, []))
        deleted = [str(i["Id"]) for i in found["Invoice"] if i.get("status") == "Deleted"]
        live = [invoice_view_from_json(i) for i in found["Invoice"] if i.get("status") != "Deleted"]
        payments = [
            p
            for row in found["Payment"]
            if row.get("status") != "Deleted"
            for p in applied_payments_from_json(row)
        ]
        truncated = len(found["Invoice"]) >= BATCH or len(found["Payment"]) >= BATCH
        return Changes(live, deleted, payments, truncated)
