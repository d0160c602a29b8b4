"""One org's QuickBooks company, as the invoice worker needs it.

Every create first looks for what an earlier attempt made, and carries a deterministic
``requestid``: QBO's idempotency alone has been seen to fail, and the lookup alone would
race. Transient failures are retried with exponential backoff and jitter (tenacity).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from quickbooks.exceptions import ObjectNotFoundException, QuickbooksException
from quickbooks.objects.base import EmailAddress, LinkedTxn, Ref
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.payment import Payment, PaymentLine
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from crm_finance.adapters.qbo.client import QboClient
from crm_finance.adapters.qbo.mapping import invoice_from_json
from crm_finance.domain.models import (
    Lead,
    QboInvoice,
    QboPayment,
    StripePayment,
)
from crm_finance.errors import InvoiceGone, NotFound, QboRequestError, QboTransientError
from crm_finance.money import cents_to_decimal, decimal_to_cents

T = TypeVar("T")
_REQUEST_ID_NAMESPACE = uuid.UUID("6f1c3f0e-2b7a-4a5e-9c1d-5b0f6c9e2a11")
DUPLICATE_NAME_CODE = 6240
STRIPE_NOTE_PREFIX = "stripe:"


def quote(value: str) -> str:
    """A QBO query string literal; backslash and quote are escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def request_id(*parts: object) -> str:
    return uuid.uuid5(_REQUEST_ID_NAMESPACE, ":".join(str(p) for p in parts)).hex


def invoice_doc_number(lead: Lead) -> str:
    return f"CRM-{lead.id}"


def to_domain_invoice(invoice: Invoice) -> QboInvoice:
    return invoice_from_json(invoice.to_dict())


class QuickBooksBooks:
    def __init__(
        self,
        client: QboClient,
        *,
        org_id: int,
        item_id: str,
        max_attempts: int,
        backoff_base: float,
        backoff_max: float,
    ) -> None:
        self._qb = client
        self._org_id = org_id
        self._item_id = item_id
        self._retrying = Retrying(
            retry=retry_if_exception_type(QboTransientError),
            stop=stop_after_attempt(max_attempts),
            wait=wait_exponential_jitter(
                multiplier=backoff_base, max=backoff_max, jitter=backoff_base
            ),
            reraise=True,
        )

    @property
    def client(self) -> QboClient:
        return self._qb

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return self._retrying(fn, *args, **kwargs)
        except ObjectNotFoundException as exc:
            raise NotFound(f"QBO object not found ({exc.error_code})") from exc
        except QuickbooksException as exc:
            raise QboRequestError(
                f"QBO rejected the request: {exc.message} ({exc.error_code})"
            ) from exc

    # -- customers ----------------------------------------------------------------------
    def ensure_customer(self, lead: Lead) -> str:
        found = self.call(
            Customer.where,
            f"PrimaryEmailAddr = {quote(lead.contact_email)}",
            max_results=1,
            qb=self._qb,
        )
        if found:
            return str(found[0].Id)
        base_name = lead.company_name or lead.contact_name
        try:
            return self._create_customer(lead, f"{base_name} ({lead.contact_email})"[:500])
        except QboRequestError as exc:
            cause = exc.__cause__
            if getattr(cause, "error_code", None) != DUPLICATE_NAME_CODE:
                raise
            return self._create_customer(lead, f"{base_name} (CRM lead {lead.id})"[:500])

    def sync_customer(self, lead: Lead) -> str:
        """Create the lead's customer, or bring the stored one's e-mail and company up to date."""
        if not lead.qbo_customer_id:
            return self.ensure_customer(lead)
        customer = self.call(Customer.get, lead.qbo_customer_id, qb=self._qb)
        customer.PrimaryEmailAddr = EmailAddress()
        customer.PrimaryEmailAddr.Address = lead.contact_email
        customer.CompanyName = lead.company_name or ""
        saved = self.call(customer.save, qb=self._qb)
        return str(saved.Id)

    def _create_customer(self, lead: Lead, display_name: str) -> str:
        customer = Customer()
        customer.DisplayName = display_name
        customer.CompanyName = lead.company_name or ""
        customer.PrimaryEmailAddr = EmailAddress()
        customer.PrimaryEmailAddr.Address = lead.contact_email
        created = self.call(
            customer.save,
            qb=self._qb,
            request_id=request_id("customer", self._org_id, lead.id, display_name),
        )
        return str(created.Id)

    # -- invoices -----------------------------------------------------------------------
    def get_invoice(self, invoice_id: str) -> QboInvoice:
        try:
            return to_domain_invoice(self.call(Invoice.get, invoice_id, qb=self._qb))
        except NotFound:
            raise InvoiceGone(f"QBO invoice {invoice_id} no longer exists") from None

    def ensure_invoice(self, lead: Lead, customer_id: str) -> QboInvoice:
        if lead.qbo_invoice_id:
            return self.get_invoice(lead.qbo_invoice_id)
        doc_number = invoice_doc_number(lead)
        found = self.call(Invoice.where, f"DocNumber = {quote(doc_number)}", qb=self._qb)
        if found:
            return to_domain_invoice(found[0])
        invoice = Invoice()
        invoice.DocNumber = doc_number
        invoice.CustomerRef = Ref()
        invoice.CustomerRef.value = customer_id
        invoice.CurrencyRef = Ref()
        invoice.CurrencyRef.value = lead.currency
        invoice.PrivateNote = f"CRM lead {lead.id}"
        line = SalesItemLine()
        line.Amount = cents_to_decimal(lead.proposal_amount_cents)
        line.Description = f"Proposal for {lead.company_name or lead.contact_name}"
        line.SalesItemLineDetail = SalesItemLineDetail()
        line.SalesItemLineDetail.ItemRef = Ref()
        line.SalesItemLineDetail.ItemRef.value = self._item_id
        invoice.Line = [line]
        created = self.call(
            invoice.save, qb=self._qb, request_id=request_id("invoice", self._org_id, lead.id)
        )
        return to_domain_invoice(created)  # save() returns the object as QBO stored it

    # -- payments -----------------------------------------------------------------------
    def find_payment(self, invoice: QboInvoice, payment_key: str) -> QboPayment | None:
        if not invoice.payment_ids:
            return None
        payments = self.call(Payment.choose, list(invoice.payment_ids), qb=self._qb)
        marker = STRIPE_NOTE_PREFIX + payment_key
        for payment in payments:
            if marker in (payment.PrivateNote or ""):
                return QboPayment(
                    id=str(payment.Id),
                    amount_cents=decimal_to_cents(Decimal(str(payment.TotalAmt))),
                    invoice_id=invoice.id,
                )
        return None

    def create_payment(
        self, invoice: QboInvoice, customer_id: str, payment: StripePayment
    ) -> QboPayment:
        amount = cents_to_decimal(payment.amount_cents)
        qbo_payment = Payment()
        qbo_payment.CustomerRef = Ref()
        qbo_payment.CustomerRef.value = customer_id
        qbo_payment.TotalAmt = amount
        qbo_payment.PrivateNote = f"Stripe payment {STRIPE_NOTE_PREFIX}{payment.payment_key}"
        line = PaymentLine()
        line.Amount = amount
        link = LinkedTxn()
        link.TxnId = invoice.id
        link.TxnType = "Invoice"
        line.LinkedTxn = [link]
        qbo_payment.Line = [line]
        created = self.call(
            qbo_payment.save,
            qb=self._qb,
            request_id=request_id("payment", self._org_id, payment.payment_key),
        )
        return QboPayment(
            id=str(created.Id), amount_cents=payment.amount_cents, invoice_id=invoice.id
        )
