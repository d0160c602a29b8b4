"""The naive build of POST /payments/webhook, kept only as the benchmarks' baseline.

What a first version of this Lambda typically looks like, and what the project's split
(webhook -> inbox + SQS -> worker) is measured against:

* one module that imports every library of the layer at the top, whether the request
  needs it or not, so every cold start pays for all of them;
* the signature is checked with ``stripe.Webhook.construct_event`` (which also builds a
  full ``stripe.Event`` object tree);
* no inbox: nothing remembers which events were handled, so a replay by Stripe is
  processed again;
* QuickBooks is called inside the request (find-or-create customer, find-or-create
  invoice, create payment; the payment without a ``requestid``), so Stripe waits for
  every QBO round trip, and for its retries.

It uses the project's ``QboClient`` (python-quickbooks pointed at ``QBO_API_BASE_URL``),
the org's connection record and the project's token provider (``wiring.qbo_books()``),
so that it talks to the same emulator with the same credentials. Not deployed; not part
of template.yaml.
"""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

import boto3  # noqa: F401 - imported up front, as in the naive build
import email_validator  # noqa: F401 - every library of layers/crm_finance/requirements.txt
import intuitlib.client  # noqa: F401
import limits  # noqa: F401
import psycopg
import stripe
import yoyo  # noqa: F401 - "migrations at deploy time", imported anyway
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.batch import BatchProcessor  # noqa: F401
from aws_lambda_powertools.utilities.parser import BaseModel, Field, parse  # noqa: F401
from aws_lambda_powertools.utilities.typing import LambdaContext
from prometheus_client import CollectorRegistry, Counter, Histogram
from psycopg.rows import dict_row
from pydantic import ValidationError
from quickbooks.objects.base import EmailAddress, LinkedTxn, Ref
from quickbooks.objects.customer import Customer
from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.payment import Payment, PaymentLine
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from crm_finance import wiring
from crm_finance.adapters.qbo.client import QboClient
from crm_finance.errors import QboTransientError

logger = Logger()
app = APIGatewayHttpResolver()
registry = CollectorRegistry()
EVENTS = Counter("naive_webhook_events", "Stripe events handled", ["outcome"], registry=registry)
QBO_SECONDS = Histogram("naive_qbo_seconds", "QBO work per event", registry=registry)

SECRET_MAX_AGE = int(os.environ.get("SECRETS_MAX_AGE_SECONDS", "300"))
_conn: psycopg.Connection[Any] | None = None


def db() -> psycopg.Connection[Any]:
    global _conn
    if _conn is None or _conn.closed:
        _conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True, row_factory=dict_row)
    return _conn


class PaymentMetadata(BaseModel):
    org_id: int
    lead_id: int


qbo_retry = retry(
    retry=retry_if_exception_type(QboTransientError),
    stop=stop_after_attempt(int(os.environ.get("QBO_MAX_ATTEMPTS", "4"))),
    wait=wait_exponential_jitter(
        initial=float(os.environ.get("QBO_BACKOFF_BASE_SECONDS", "0.5")),
        max=float(os.environ.get("QBO_BACKOFF_MAX_SECONDS", "8")),
    ),
    reraise=True,
)


@qbo_retry
def find_or_create_customer(qb: QboClient, lead: dict[str, Any]) -> str:
    email = lead["contact_email"].replace("'", "\\'")
    found = Customer.where(f"PrimaryEmailAddr = '{email}'", max_results=1, qb=qb)
    if found:
        return str(found[0].Id)
    customer = Customer()
    customer.DisplayName = (
        f"{lead['company_name'] or lead['contact_name']} ({lead['contact_email']})"
    )
    customer.CompanyName = lead["company_name"] or ""
    customer.PrimaryEmailAddr = EmailAddress()
    customer.PrimaryEmailAddr.Address = lead["contact_email"]
    return str(customer.save(qb=qb).Id)


@qbo_retry
def find_or_create_invoice(
    qb: QboClient, lead: dict[str, Any], customer_id: str, item_id: str
) -> Invoice:
    doc_number = f"CRM-{lead['id']}"
    found = Invoice.where(f"DocNumber = '{doc_number}'", qb=qb)
    if found:
        return found[0]
    invoice = Invoice()
    invoice.DocNumber = doc_number
    invoice.CustomerRef = Ref()
    invoice.CustomerRef.value = customer_id
    invoice.CurrencyRef = Ref()
    invoice.CurrencyRef.value = lead["currency"]
    line = SalesItemLine()
    line.Amount = Decimal(lead["proposal_amount_cents"]) / 100
    line.Description = f"Proposal for {lead['company_name'] or lead['contact_name']}"
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = Ref()
    line.SalesItemLineDetail.ItemRef.value = item_id
    invoice.Line = [line]
    return invoice.save(qb=qb)


@qbo_retry
def create_payment(qb: QboClient, invoice: Invoice, customer_id: str, amount: Decimal) -> str:
    payment = Payment()
    payment.CustomerRef = Ref()
    payment.CustomerRef.value = customer_id
    payment.TotalAmt = amount
    line = PaymentLine()
    line.Amount = amount
    link = LinkedTxn()
    link.TxnId = invoice.Id
    link.TxnType = "Invoice"
    line.LinkedTxn = [link]
    payment.Line = [line]
    return str(payment.save(qb=qb).Id)


@app.post("/payments/webhook")
def stripe_webhook() -> Response | dict[str, Any]:
    request = app.current_event
    secret = parameters.get_secret(os.environ["STRIPE_WEBHOOK_SECRET_ID"], max_age=SECRET_MAX_AGE)
    try:
        event = stripe.Webhook.construct_event(
            request.decoded_body or "", request.headers.get("stripe-signature"), secret
        )
    except (ValueError, stripe.SignatureVerificationError):
        EVENTS.labels("bad_signature").inc()
        return Response(400, content_types.APPLICATION_JSON, {"error": "invalid signature"})
    if event.type != "payment_intent.succeeded":
        EVENTS.labels("ignored").inc()
        return {"received": True}
    intent = event.data.object
    try:
        meta = PaymentMetadata.model_validate(intent.metadata.to_dict())
    except ValidationError:
        EVENTS.labels("bad_metadata").inc()
        return {"received": True}

    conn = db()
    lead = conn.execute(
        "SELECT * FROM leads WHERE id = %s AND org_id = %s", (meta.lead_id, meta.org_id)
    ).fetchone()
    qbo = wiring.connections().get(meta.org_id)
    if lead is None or qbo is None:
        EVENTS.labels("unknown_lead").inc()
        return {"received": True}

    with QBO_SECONDS.time():
        client = QboClient.connect(
            base_url=os.environ["QBO_API_BASE_URL"],
            realm_id=qbo.realm_id,
            tokens=wiring.qbo_books().tokens_for(meta.org_id),
            timeout=float(os.environ.get("QBO_TIMEOUT_SECONDS", "10")),
            minor_version=75,
        )
        customer_id = find_or_create_customer(client, lead)
        invoice = find_or_create_invoice(client, lead, customer_id, qbo.item_id)
        amount = Decimal(intent.amount_received) / 100
        payment_id = create_payment(client, invoice, customer_id, amount)
    balance = max(Decimal(str(invoice.Balance or 0)) - amount, Decimal(0))
    conn.execute(
        """UPDATE leads SET qbo_customer_id = %s, qbo_invoice_id = %s, qbo_invoice_number = %s,
                            qbo_status = %s, qbo_balance_cents = %s, updated_at = now()
           WHERE id = %s""",
        (
            customer_id,
            str(invoice.Id),
            invoice.DocNumber,
            "Paid" if balance == 0 else "Partial",
            int(balance * 100),
            lead["id"],
        ),
    )
    EVENTS.labels("invoiced").inc()
    logger.info("payment invoiced", extra={"stripe_event_id": event.id, "payment": payment_id})
    return {"received": True, "event_id": event.id, "qbo_payment_id": payment_id}


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True
)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
