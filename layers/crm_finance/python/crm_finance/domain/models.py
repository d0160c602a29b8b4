"""Plain domain values. Amounts are integer cents."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum


class QboStatus(StrEnum):
    OPEN = "Open"
    PARTIAL = "Partial"
    PAID = "Paid"
    VOIDED = "Voided"
    DELETED = "Deleted"


class LedgerKind(StrEnum):
    INVOICE_GENERATED = "invoice_generated"
    PAYMENT_RECEIVED = "payment_received"
    INVOICE_PAID = "invoice_paid"


class InboxStatus(StrEnum):
    RECEIVED = "received"
    PROCESSED = "processed"
    IGNORED = "ignored"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Lead:
    id: int
    org_id: int
    contact_name: str
    contact_email: str
    company_name: str | None
    proposal_amount_cents: int
    currency: str
    status: str
    qbo_customer_id: str | None = None
    qbo_invoice_id: str | None = None
    qbo_invoice_number: str | None = None
    qbo_status: str | None = None
    qbo_balance_cents: int | None = None


@dataclass(frozen=True)
class NewLead:
    org_id: int
    contact_name: str
    contact_email: str
    company_name: str | None
    proposal_amount_cents: int
    currency: str
    status: str = "proposal_sent"


@dataclass(frozen=True)
class StripePayment:
    """Money received in Stripe, reduced to what invoicing needs.

    ``payment_key`` is the PaymentIntent id when there is one, so that a Checkout Session
    and its PaymentIntent describe the same money and are applied once.
    """

    payment_key: str
    amount_cents: int
    currency: str
    org_id: int | None
    lead_id: int | None


@dataclass(frozen=True)
class InboxEvent:
    event_id: str
    event_type: str
    status: InboxStatus
    payment: StripePayment | None
    reason: str | None = None


@dataclass(frozen=True)
class QboInvoice:
    id: str
    doc_number: str | None
    total_cents: int
    balance_cents: int
    status: QboStatus
    payment_ids: tuple[str, ...] = ()

    def after_payment(self, payment: QboPayment) -> QboInvoice:
        """The invoice as QBO holds it once ``payment`` is applied."""
        balance = self.balance_cents - payment.amount_cents
        return replace(
            self,
            balance_cents=balance,
            status=derive_invoice_status(total_cents=self.total_cents, balance_cents=balance),
            payment_ids=(*self.payment_ids, payment.id),
        )


@dataclass(frozen=True)
class QboPayment:
    id: str
    amount_cents: int
    invoice_id: str


def payment_ref(payment_id: str, invoice_id: str) -> str:
    """Ledger key of the money one QBO payment applied to one invoice.

    The worker and the poller both use it, so a payment is counted once whoever sees it
    first; a cheque split over two invoices counts once per invoice.
    """
    return f"{payment_id}/{invoice_id}"


def derive_invoice_status(
    *, total_cents: int, balance_cents: int, voided: bool = False
) -> QboStatus:
    """QBO has no status field: Paid/Partial/Open follow from TotalAmt and Balance."""
    if voided:
        return QboStatus.VOIDED
    if total_cents > 0 and balance_cents == 0:
        return QboStatus.PAID
    if balance_cents < total_cents:
        return QboStatus.PARTIAL
    return QboStatus.OPEN
