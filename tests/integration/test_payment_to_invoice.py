"""Stripe payment -> QBO customer, invoice and payment, exactly once."""

from __future__ import annotations

import itertools

from crm_finance.devstack import stripe_fixtures

_ids = itertools.count(1)


def _payment(
    api,
    lead_id: int,
    cents: int,
    *,
    currency: str = "usd",
    key: str | None = None,
    checkout: bool = False,
) -> dict:
    n = next(_ids)
    metadata = {"org_id": str(api.info["org_id"]), "lead_id": str(lead_id)}
    pi = key or f"pi_flow_{lead_id}_{n}"
    if checkout:
        return stripe_fixtures.checkout_session_completed(
            f"evt_cs_{lead_id}_{n}",
            f"cs_{lead_id}_{n}",
            payment_intent_id=pi,
            amount_cents=cents,
            currency=currency,
            metadata=metadata,
        )
    return stripe_fixtures.payment_intent_succeeded(
        f"evt_pi_{lead_id}_{n}", pi, amount_cents=cents, currency=currency, metadata=metadata
    )


def test_one_payment_gives_one_customer_one_invoice_one_payment(api, stack, db, books) -> None:
    lead_id = api.create_lead(amount_cents=125_000, email="one@example.com", name="One")

    response = api.webhook(_payment(api, lead_id, 125_000))
    assert response.status_code == 200
    assert response.json()["status"] == "received"
    assert stack.event_source.drain() == 1

    lead = db.one("SELECT * FROM leads WHERE id = %s", lead_id)
    assert (lead["qbo_status"], lead["qbo_balance_cents"], lead["status"]) == ("Paid", 0, "won")
    assert lead["qbo_invoice_number"] == f"CRM-{lead_id}"
    assert lead["qbo_last_sync_at"] is not None
    assert len(books.find("Customer", PrimaryEmailAddr__Address="one@example.com")) == 1
    invoices = books.find("Invoice", DocNumber=f"CRM-{lead_id}")
    assert len(invoices) == 1 and str(invoices[0]["Balance"]) in ("0", "0.0", "0.00")
    assert len(books.payments_for(invoices[0]["Id"])) == 1
    assert db.ledger(lead_id) == [
        ("invoice_generated", 125_000),
        ("payment_received", 125_000),
        ("invoice_paid", 125_000),
    ]


def test_replayed_event_changes_nothing(api, stack, db, books) -> None:
    lead_id = api.create_lead(amount_cents=50_000, email="replay@example.com")
    event = _payment(api, lead_id, 50_000)
    first = api.webhook(event)
    stack.event_source.drain()
    replays = [api.webhook(event) for _ in range(3)]
    assert first.json()["duplicate"] is False
    assert all(r.status_code == 200 and r.json()["duplicate"] is True for r in replays)
    assert stack.event_source.drain() == 0  # a processed event is not enqueued again
    assert db.ledger(lead_id) == [
        ("invoice_generated", 50_000),
        ("payment_received", 50_000),
        ("invoice_paid", 50_000),
    ]
    assert len(books.find("Invoice", DocNumber=f"CRM-{lead_id}")) == 1


def test_deposit_leaves_invoice_partial_then_remainder_pays_it(api, stack, db, books) -> None:
    lead_id = api.create_lead(amount_cents=200_000, email="deposit@example.com")
    api.webhook(_payment(api, lead_id, 50_000, checkout=True))
    stack.event_source.drain()
    lead = db.one("SELECT qbo_status, qbo_balance_cents, status FROM leads WHERE id = %s", lead_id)
    assert (lead["qbo_status"], lead["qbo_balance_cents"]) == ("Partial", 150_000)
    invoice = books.find("Invoice", DocNumber=f"CRM-{lead_id}")[0]
    assert str(invoice["Balance"]) in ("1500", "1500.0", "1500.00")

    api.webhook(_payment(api, lead_id, 150_000))
    stack.event_source.drain()
    lead = db.one("SELECT qbo_status, qbo_balance_cents FROM leads WHERE id = %s", lead_id)
    assert (lead["qbo_status"], lead["qbo_balance_cents"]) == ("Paid", 0)
    assert db.ledger(lead_id) == [
        ("invoice_generated", 200_000),
        ("payment_received", 50_000),
        ("payment_received", 150_000),
        ("invoice_paid", 200_000),
    ]


def test_checkout_session_and_its_payment_intent_are_one_payment(api, stack, db, books) -> None:
    lead_id = api.create_lead(amount_cents=30_000, email="both@example.com")
    api.webhook(_payment(api, lead_id, 30_000, key="pi_both_events", checkout=True))
    api.webhook(_payment(api, lead_id, 30_000, key="pi_both_events"))
    stack.event_source.drain()
    assert db.ledger(lead_id) == [
        ("invoice_generated", 30_000),
        ("payment_received", 30_000),
        ("invoice_paid", 30_000),
    ]
    statuses = {
        r["status"]
        for r in db.rows("SELECT status FROM stripe_events WHERE payment_key = 'pi_both_events'")
    }
    assert statuses == {"processed"}


def test_existing_qbo_customer_is_matched_by_email(api, stack, db, books) -> None:
    first = api.create_lead(amount_cents=10_000, email="o'brien@example.com", name="Pat O'Brien")
    second = api.create_lead(amount_cents=20_000, email="o'brien@example.com", name="Pat O'Brien")
    api.webhook(_payment(api, first, 10_000))
    api.webhook(_payment(api, second, 20_000))
    stack.event_source.drain()
    assert len(books.find("Customer", PrimaryEmailAddr__Address="o'brien@example.com")) == 1
    rows = db.rows("SELECT qbo_customer_id FROM leads WHERE id IN (%s, %s)", first, second)
    assert len({r["qbo_customer_id"] for r in rows}) == 1
