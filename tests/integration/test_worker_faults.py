"""QBO throttling and failures are retried; bad payments are recorded, not retried forever."""

from __future__ import annotations

import itertools

import pytest

from crm_finance import wiring
from crm_finance.adapters.postgres.orgs import PostgresOrgs
from crm_finance.adapters.postgres.repositories import PostgresLeads
from crm_finance.adapters.qbo.factory import QuickBooksFactory
from crm_finance.devstack import stripe_fixtures
from crm_finance.devstack.lambda_runtime import invoke
from crm_finance.domain.invoicing import invoice_stripe_payment
from crm_finance.domain.models import NewLead
from crm_finance.errors import QboTransientError
from crm_finance.settings import load_settings

_n = itertools.count(1)


def _send(api, *, lead_id, cents, currency="usd", org_id=None, metadata=None) -> str:
    n = next(_n)
    md = (
        metadata
        if metadata is not None
        else {"org_id": str(org_id or api.info["org_id"]), "lead_id": str(lead_id)}
    )
    event = stripe_fixtures.payment_intent_succeeded(
        f"evt_fault_{n}", f"pi_fault_{n}", amount_cents=cents, currency=currency, metadata=md
    )
    assert api.webhook(event).status_code == 200
    return event["id"]


def _event_row(db, event_id):
    return db.one("SELECT status, reason FROM stripe_events WHERE event_id = %s", event_id)


@pytest.mark.parametrize(
    "fault",
    [
        lambda emu, realm: emu.throttle(count=2, realm=realm),
        lambda emu, realm: emu.throttle(count=2, realm=realm, xml=True),
        lambda emu, realm: emu.fail_next(count=2, status=503, realm=realm),
        lambda emu, realm: emu.fail_next(count=1, status=500, realm=realm),
    ],
    ids=["429-json", "429-xml", "503", "500"],
)
def test_transient_qbo_faults_are_retried_then_succeed(api, stack, db, books, fault) -> None:
    lead_id = api.create_lead(amount_cents=10_000, email=f"fault{next(_n)}@example.com")
    event_id = _send(api, lead_id=lead_id, cents=10_000)
    fault(stack.emulator, books.realm)
    assert stack.event_source.drain() == 1
    assert _event_row(db, event_id)["status"] == "processed"
    assert db.one("SELECT qbo_status FROM leads WHERE id = %s", lead_id)["qbo_status"] == "Paid"


def test_qbo_timeout_is_retried(api, stack, db, books) -> None:
    lead_id = api.create_lead(amount_cents=10_000, email="slow@example.com")
    event_id = _send(api, lead_id=lead_id, cents=10_000)
    settings = load_settings().model_copy(update={"qbo_timeout_seconds": 0.3})
    books = QuickBooksFactory(
        wiring.connections(), wiring.token_vault(), wiring.intuit_oauth(), settings
    )
    ports = {**wiring.invoicing_ports(), "books": books}
    stack.emulator.stall_next(count=1, seconds=1.0)
    invoice_stripe_payment(event_id, **ports)
    assert _event_row(db, event_id)["status"] == "processed"
    stack.event_source.drain()


def test_persistent_throttling_fails_the_batch_item_and_keeps_the_event(
    api, stack, db, books
) -> None:
    lead_id = api.create_lead(amount_cents=10_000, email="throttled@example.com")
    event_id = _send(api, lead_id=lead_id, cents=10_000)
    stack.emulator.throttle(count=50, realm=books.realm)
    with pytest.raises(QboTransientError):
        invoice_stripe_payment(event_id, **wiring.invoicing_ports())
    sqs_event = {
        "Records": [
            {
                "messageId": "m-1",
                "receiptHandle": "r",
                "body": f'{{"event_id": "{event_id}"}}',
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
                "awsRegion": "us-east-1",
            }
        ]
    }
    assert invoke("InvoiceWorkerFunction", sqs_event) == {
        "batchItemFailures": [{"itemIdentifier": "m-1"}]
    }
    assert _event_row(db, event_id)["status"] == "received"
    stack.emulator.throttle(count=0, realm=books.realm)
    stack.event_source.drain()
    assert _event_row(db, event_id)["status"] == "processed"


def _lead_in_new_org(stack) -> tuple[int, int]:
    db = wiring.database()
    org_id = PostgresOrgs(db).create("Other Org")
    lead = PostgresLeads(db).create(
        NewLead(
            org_id=org_id,
            contact_name="Other",
            contact_email="other@example.com",
            company_name=None,
            proposal_amount_cents=10_000,
            currency="USD",
        )
    )
    return org_id, lead.id


@pytest.mark.parametrize(
    "case",
    [
        "missing_metadata",
        "lead_not_found",
        "org_mismatch",
        "currency_mismatch",
        "payment_exceeds_balance",
    ],
)
def test_unprocessable_payments_are_recorded_with_a_reason(api, stack, db, books, case) -> None:
    invoices_before = len(books.find("Invoice"))
    lead_id = api.create_lead(amount_cents=10_000, email=f"{case}@example.com")
    if case == "missing_metadata":
        event_id = _send(api, lead_id=lead_id, cents=10_000, metadata={})
    elif case == "lead_not_found":
        event_id = _send(api, lead_id=987_654_321, cents=10_000)
    elif case == "org_mismatch":
        _, other_lead = _lead_in_new_org(stack)
        event_id = _send(api, lead_id=other_lead, cents=10_000)
    elif case == "currency_mismatch":
        event_id = _send(api, lead_id=lead_id, cents=10_000, currency="eur")
    else:
        event_id = _send(api, lead_id=lead_id, cents=10_001)

    assert stack.event_source.drain() == 1
    assert stack.event_source.drain() == 0  # not redelivered: the message was consumed
    row = _event_row(db, event_id)
    assert row["status"] == "rejected"
    assert row["reason"].startswith(case)
    expected_invoices = invoices_before + (1 if case == "payment_exceeds_balance" else 0)
    assert len(books.find("Invoice")) == expected_invoices
    assert all(kind != "payment_received" for kind, _ in db.ledger(lead_id))
