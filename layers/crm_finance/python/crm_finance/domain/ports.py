"""The small interfaces the domain needs; adapters in ``crm_finance.adapters`` implement them."""

from __future__ import annotations

from typing import Protocol

from crm_finance.domain.models import (
    InboxEvent,
    InboxStatus,
    Lead,
    NewLead,
    QboInvoice,
    QboPayment,
    StripePayment,
)


class SignatureVerifier(Protocol):
    def verify(self, payload: str, signature_header: str | None) -> dict:
        """Return the verified event as a dict, or raise InvalidSignature/BadRequest."""
        ...


class EventInbox(Protocol):
    def record(
        self,
        event_id: str,
        event_type: str,
        livemode: bool,
        payment: StripePayment | None,
        payload: dict,
        status: InboxStatus,
        reason: str | None,
    ) -> tuple[InboxStatus, bool]:
        """Store the event once; return its status after the call and whether it was new."""
        ...

    def get(self, event_id: str) -> InboxEvent | None: ...

    def mark(self, event_id: str, status: InboxStatus, reason: str | None = None) -> None: ...


class WorkQueue(Protocol):
    def enqueue(self, event_id: str) -> None: ...


class LeadRepository(Protocol):
    def create(self, lead: NewLead) -> Lead: ...

    def get(self, lead_id: int) -> Lead | None: ...

    def set_customer(self, lead_id: int, customer_id: str) -> None: ...

    def list(
        self, org_id: int, *, statuses: tuple[str, ...] | None, after: int, limit: int
    ) -> list[dict]: ...


class InvoiceLedger(Protocol):
    """Writes lead state and the ledger facts that describe it in one transaction."""

    def record_invoice(self, lead: Lead, invoice: QboInvoice) -> None: ...

    def record_payment(
        self, lead: Lead, invoice: QboInvoice, payment: QboPayment, stripe_event_id: str
    ) -> None: ...


class QboBooks(Protocol):
    """One org's QuickBooks company."""

    def ensure_customer(self, lead: Lead) -> str: ...

    def ensure_invoice(self, lead: Lead, customer_id: str) -> QboInvoice: ...

    def find_payment(self, invoice: QboInvoice, payment_key: str) -> QboPayment | None: ...

    def create_payment(
        self, invoice: QboInvoice, customer_id: str, payment: StripePayment
    ) -> QboPayment: ...


class QboBooksFactory(Protocol):
    def for_org(self, org_id: int) -> QboBooks: ...
