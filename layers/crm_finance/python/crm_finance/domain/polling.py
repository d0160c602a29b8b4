"""The invoice poller: brings each open invoice's QBO state back into the CRM.

Reads are batched (``Id IN`` with up to 1000 ids a call) and, when a recent cursor
exists, limited to what QBO's change data capture reports since then, with an overlap
window. Facts go to the ledger under the same keys the invoice worker uses, so money
is counted once whoever sees it first. A per-org lease keeps overlapping runs apart; a
run commits batch by batch, so one that dies keeps its work and the next one finishes.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from crm_finance.domain.models import QboInvoice, QboStatus, payment_ref
from crm_finance.errors import DomainError, QboNotConnected

BATCH = 1000  # QBO's MAXRESULTS ceiling, and the size of one database batch
CDC_OVERLAP = timedelta(minutes=5)
CDC_MAX_AGE = timedelta(days=29)  # QBO's CDC looks back at most 30 days
LEASE_SECONDS = 900


@dataclass(frozen=True)
class InvoiceView:
    """An invoice as QBO holds it now (``deleted`` when QBO no longer has it)."""

    invoice: QboInvoice
    sync_token: int
    due_date: date | None = None
    deleted: bool = False


@dataclass(frozen=True)
class AppliedPayment:
    payment_id: str
    invoice_id: str
    amount_cents: int


@dataclass(frozen=True)
class Changes:
    invoices: list[InvoiceView]
    deleted_ids: list[str]
    payments: list[AppliedPayment]
    truncated: bool


@dataclass(frozen=True)
class TrackedInvoice:
    lead_id: int
    invoice_id: str


@dataclass(frozen=True)
class PollState:
    cdc_cursor: datetime | None


@dataclass
class PollReport:
    org_id: int
    trigger: str
    mode: str = "skipped"
    checked: int = 0
    changed: int = 0
    errors: int = 0
    qbo_calls: int = 0
    outcome: str = "ok"
    reason: str | None = None
    run_id: int | None = None
    payments_recorded: int = 0

    def as_dict(self) -> dict:
        return {
            "org_id": self.org_id,
            "trigger": self.trigger,
            "mode": self.mode,
            "outcome": self.outcome,
            "reason": self.reason,
            "checked": self.checked,
            "changed": self.changed,
            "payments_recorded": self.payments_recorded,
            "errors": self.errors,
            "qbo_calls": self.qbo_calls,
        }


class QboReader(Protocol):
    calls: int

    def invoices(self, ids: list[str]) -> list[InvoiceView]: ...

    def payments(self, ids: list[str]) -> list[AppliedPayment]: ...

    def changes_since(self, since: datetime) -> Changes: ...


class PollStore(Protocol):
    def acquire_lease(self, org_id: int, owner: str, seconds: int) -> PollState | None: ...

    def release_lease(
        self, org_id: int, owner: str, *, cursor: datetime | None, full_scan: bool
    ) -> None: ...

    def start_run(self, org_id: int, trigger: str) -> int: ...

    def finish_run(self, run_id: int, report: PollReport) -> None: ...

    def tracked_invoices(self, org_id: int, *, after: int, limit: int) -> list[TrackedInvoice]: ...

    def tracked_subset(self, org_id: int, invoice_ids: list[str]) -> dict[str, int]: ...

    def known_payment_refs(self, org_id: int, refs: list[str]) -> set[str]: ...

    def apply(self, org_id: int, views: list[InvoiceView], payments: list[AppliedPayment]) -> int:
        """Lead state, ``payment_received`` and ``invoice_paid`` in one transaction."""
        ...


def _chunks(items: list[str], size: int = BATCH) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _owner() -> str:
    return f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"


def _gone(invoice_id: str) -> InvoiceView:
    return InvoiceView(
        QboInvoice(invoice_id, None, 0, 0, QboStatus.DELETED), sync_token=2**31 - 1, deleted=True
    )


class _Run:
    """One poll's work. Views that need payments the ledger lacks wait in ``pending`` until
    1000 payment ids are due, so that payments are fetched 1000 at a time across pages;
    the others are applied at once. Nothing is applied without its payments, so a run that
    dies leaves no invoice Paid whose money is missing from the ledger."""

    def __init__(
        self, org_id: int, store: PollStore, reader: QboReader, report: PollReport
    ) -> None:
        self.org_id, self.store, self.reader, self.report = org_id, store, reader, report
        self.pending: list[InvoiceView] = []
        self.pending_payment_ids: set[str] = set()
        self.known_payments: list[AppliedPayment] = []

    def _missing_payment_ids(self, views: list[InvoiceView]) -> set[str]:
        supplied = {p.payment_id for p in self.known_payments}
        refs = {
            payment_ref(pid, v.invoice.id): pid
            for v in views
            for pid in v.invoice.payment_ids
            if pid not in supplied
        }
        recorded = self.store.known_payment_refs(self.org_id, sorted(refs))
        return {pid for ref, pid in refs.items() if ref not in recorded}

    def add(self, views: list[InvoiceView], payments: Iterable[AppliedPayment] = ()) -> None:
        self.known_payments.extend(payments)
        missing = self._missing_payment_ids(views)
        ready = [v for v in views if not missing.intersection(v.invoice.payment_ids)]
        self._apply(ready, self.known_payments)
        self.pending.extend(v for v in views if missing.intersection(v.invoice.payment_ids))
        self.pending_payment_ids |= missing
        if len(self.pending_payment_ids) >= BATCH:
            self.flush()

    def flush(self) -> None:
        fetched: list[AppliedPayment] = []
        for chunk in _chunks(sorted(self.pending_payment_ids)):
            fetched.extend(self.reader.payments(chunk))
        for start in range(0, len(self.pending), BATCH):
            self._apply(self.pending[start : start + BATCH], [*self.known_payments, *fetched])
        self.pending, self.pending_payment_ids = [], set()

    def _apply(self, views: list[InvoiceView], payments: list[AppliedPayment]) -> None:
        if not views:
            return
        ids = {v.invoice.id for v in views}
        mine = [p for p in payments if p.invoice_id in ids]
        self.report.checked += len(views)
        self.report.changed += self.store.apply(self.org_id, views, mine)
        self.report.payments_recorded += len(mine)

    def full_scan(self) -> None:
        after = 0
        while page := self.store.tracked_invoices(self.org_id, after=after, limit=BATCH):
            ids = [t.invoice_id for t in page]
            found = {v.invoice.id: v for v in self.reader.invoices(ids)}
            self.add([found.get(i) or _gone(i) for i in ids])
            after = page[-1].lead_id
        self.flush()

    def from_changes(self, changes: Changes) -> None:
        tracked = self.store.tracked_subset(
            self.org_id,
            sorted(
                {v.invoice.id for v in changes.invoices}
                | set(changes.deleted_ids)
                | {p.invoice_id for p in changes.payments}
            ),
        )
        views = {v.invoice.id: v for v in changes.invoices if v.invoice.id in tracked}
        views.update({i: _gone(i) for i in changes.deleted_ids if i in tracked})
        unseen = sorted(set(tracked) - set(views))  # touched only by a payment
        for chunk in _chunks(unseen):
            views.update({v.invoice.id: v for v in self.reader.invoices(chunk)})
        batch = list(views.values())
        relevant = [p for p in changes.payments if p.invoice_id in tracked]
        for start in range(0, len(batch), BATCH):
            self.add(batch[start : start + BATCH], relevant if start == 0 else ())
        self.flush()


def poll_org(
    org_id: int,
    *,
    trigger: str,
    store: PollStore,
    reader_for: Callable[[int], QboReader],
    now: Callable[[], datetime],
) -> PollReport:
    """One poll of one org; always leaves a heartbeat row, whatever happens."""
    report = PollReport(org_id=org_id, trigger=trigger)
    report.run_id = store.start_run(org_id, trigger)
    owner = _owner()
    state = store.acquire_lease(org_id, owner, LEASE_SECONDS)
    if state is None:
        report.outcome, report.reason = "skipped", "another poll of this org is running"
        store.finish_run(report.run_id, report)
        return report
    started = now()
    cursor: datetime | None = None
    reader: QboReader | None = None
    try:
        reader = reader_for(org_id)
        run = _Run(org_id, store, reader, report)
        cdc_from = state.cdc_cursor
        changes = None
        if cdc_from is not None and started - cdc_from < CDC_MAX_AGE:
            changes = reader.changes_since(cdc_from - CDC_OVERLAP)
        if changes is not None and not changes.truncated:
            report.mode = "cdc"
            run.from_changes(changes)
        else:
            report.mode = "full"
            run.full_scan()
        cursor = started
    except QboNotConnected as exc:
        report.outcome, report.reason = "skipped", exc.message
    except Exception as exc:
        reason = (
            f"{exc.code}: {exc.message}" if isinstance(exc, DomainError) else type(exc).__name__
        )
        report.outcome, report.reason, report.errors = "failed", reason, 1
        raise
    finally:
        report.qbo_calls = reader.calls if reader is not None else 0
        store.release_lease(org_id, owner, cursor=cursor, full_scan=report.mode == "full")
        store.finish_run(report.run_id, report)
    return report


def check_invoice(
    org_id: int,
    invoice_id: str,
    *,
    store: PollStore,
    reader: QboReader,
) -> PollReport:
    """One invoice, on demand (``/qbo/sync/invoice/{proposal_id}/check``)."""
    report = PollReport(org_id=org_id, trigger="single", mode="single")
    report.run_id = store.start_run(org_id, "single")
    try:
        run = _Run(org_id, store, reader, report)
        run.add(reader.invoices([invoice_id]) or [_gone(invoice_id)])
        run.flush()
    except Exception as exc:
        report.outcome, report.errors = "failed", 1
        report.reason = f"{exc.code}: {exc.message}" if isinstance(exc, DomainError) else None
        raise
    finally:
        report.qbo_calls = reader.calls
        store.finish_run(report.run_id, report)
    return report


def wall_clock() -> datetime:
    from datetime import UTC

    return datetime.fromtimestamp(time.time(), tz=UTC)
