"""The invoice worker's job: one Stripe payment becomes a paid (or partial) QBO invoice.

Every step is safe to repeat. The QBO adapter finds what an earlier attempt created
before it creates anything (and sends a deterministic ``requestid``), and the ledger's
unique keys make a repeated fact a no-op. A crash between a QBO write and the database
commit is therefore repaired by simply running the same event again.
"""

from __future__ import annotations

from dataclasses import dataclass

from crm_finance.domain.models import InboxStatus, Lead, StripePayment
from crm_finance.domain.ports import EventInbox, InvoiceLedger, LeadRepository, QboBooksFactory
from crm_finance.errors import (
    CurrencyMismatch,
    LeadNotFound,
    MissingMetadata,
    OrgMismatch,
    PaymentExceedsBalance,
    PaymentRejected,
)


@dataclass(frozen=True)
class InvoicingOutcome:
    event_id: str
    status: InboxStatus
    reason: str | None = None
    lead_id: int | None = None
    qbo_invoice_id: str | None = None


def _validated_lead(payment: StripePayment, leads: LeadRepository) -> Lead:
    if payment.org_id is None or payment.lead_id is None:
        raise MissingMetadata("metadata.org_id and metadata.lead_id are required")
    lead = leads.get(payment.lead_id)
    if lead is None:
        raise LeadNotFound(f"lead {payment.lead_id} does not exist")
    if lead.org_id != payment.org_id:
        raise OrgMismatch(f"lead {lead.id} does not belong to org {payment.org_id}")
    if lead.currency != payment.currency:
        raise CurrencyMismatch(
            f"payment currency {payment.currency} differs from proposal currency {lead.currency}"
        )
    return lead


def invoice_stripe_payment(
    event_id: str,
    *,
    inbox: EventInbox,
    leads: LeadRepository,
    ledger: InvoiceLedger,
    books: QboBooksFactory,
) -> InvoicingOutcome:
    """Raises only retryable errors; permanent problems are recorded on the event."""
    event = inbox.get(event_id)
    if event is None:
        return InvoicingOutcome(event_id, InboxStatus.REJECTED, "event is not in the inbox")
    if event.status is not InboxStatus.RECEIVED or event.payment is None:
        return InvoicingOutcome(event_id, event.status, event.reason)
    payment = event.payment
    try:
        lead = _validated_lead(payment, leads)
        qbo = books.for_org(lead.org_id)
        customer_id = lead.qbo_customer_id or qbo.ensure_customer(lead)
        if customer_id != lead.qbo_customer_id:
            leads.set_customer(lead.id, customer_id)
        invoice = qbo.ensure_invoice(lead, customer_id)
        ledger.record_invoice(lead, invoice)
        applied = qbo.find_payment(invoice, payment.payment_key)
        if applied is None:
            if payment.amount_cents > invoice.balance_cents:
                raise PaymentExceedsBalance(
                    f"payment of {payment.amount_cents} cents exceeds the open balance of "
                    f"{invoice.balance_cents} cents on invoice {invoice.doc_number}"
                )
            applied = qbo.create_payment(invoice, customer_id, payment)
            invoice = invoice.after_payment(applied)
        ledger.record_payment(lead, invoice, applied, event_id)
    except PaymentRejected as rejected:
        if rejected.retryable:
            raise
        inbox.mark(event_id, InboxStatus.REJECTED, f"{rejected.code}: {rejected.message}")
        return InvoicingOutcome(event_id, InboxStatus.REJECTED, rejected.message, payment.lead_id)
    return InvoicingOutcome(event_id, InboxStatus.PROCESSED, None, lead.id, invoice.id)
