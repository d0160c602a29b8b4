import pytest

from crm_finance.devstack import stripe_fixtures
from crm_finance.domain.models import InboxStatus
from crm_finance.domain.stripe_events import classify_event
from crm_finance.errors import BadRequest


def test_payment_intent_becomes_work_with_metadata_ids() -> None:
    event = stripe_fixtures.payment_intent_succeeded(
        "evt_1",
        "pi_1",
        amount_cents=12_345,
        currency="eur",
        metadata={"org_id": "7", "lead_id": "42"},
    )
    classified = classify_event(event)
    assert classified.status is InboxStatus.RECEIVED
    payment = classified.payment
    assert payment is not None
    assert (payment.payment_key, payment.amount_cents, payment.currency) == ("pi_1", 12_345, "EUR")
    assert (payment.org_id, payment.lead_id) == (7, 42)


def test_checkout_session_is_keyed_by_its_payment_intent() -> None:
    event = stripe_fixtures.checkout_session_completed(
        "evt_2",
        "cs_2",
        payment_intent_id="pi_2",
        amount_cents=500,
        metadata={"org_id": "1", "lead_id": "2"},
    )
    assert classify_event(event).payment.payment_key == "pi_2"  # type: ignore[union-attr]


def test_unpaid_checkout_session_is_only_recorded() -> None:
    event = stripe_fixtures.checkout_session_completed(
        "evt_3", "cs_3", payment_intent_id="pi_3", amount_cents=500, payment_status="unpaid"
    )
    classified = classify_event(event)
    assert classified.status is InboxStatus.IGNORED
    assert "unpaid" in (classified.reason or "")


def test_other_event_types_are_ignored_with_a_reason() -> None:
    classified = classify_event({"id": "evt_4", "type": "customer.created", "data": {"object": {}}})
    assert (classified.status, classified.payment) == (InboxStatus.IGNORED, None)


def test_stored_payload_keeps_no_card_data() -> None:
    event = stripe_fixtures.payment_intent_succeeded("evt_5", "pi_5", amount_cents=100)
    event["data"]["object"]["payment_method_details"] = {
        "card": {"last4": "4242", "exp_year": 2030}
    }
    stored = classify_event(event).stored_payload
    assert "4242" not in repr(stored)
    assert "payment_method" not in repr(stored)


def test_non_decimal_metadata_ids_are_treated_as_missing() -> None:
    event = stripe_fixtures.payment_intent_succeeded(
        "evt_6", "pi_6", amount_cents=100, metadata={"org_id": "1; drop table", "lead_id": "-3"}
    )
    payment = classify_event(event).payment
    assert payment is not None and (payment.org_id, payment.lead_id) == (None, None)


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"id": "evt", "type": "payment_intent.succeeded"},
        {
            "id": "evt",
            "type": "payment_intent.succeeded",
            "data": {
                "object": {"id": "pi", "object": "payment_intent", "amount": -5, "currency": "usd"}
            },
        },
        {
            "id": "evt",
            "type": "payment_intent.succeeded",
            "data": {"object": {"id": "pi", "object": "payment_intent", "amount": 5}},
        },
        {
            "id": "evt",
            "type": "payment_intent.succeeded",
            "data": {
                "object": {
                    "id": "pi",
                    "object": "payment_intent",
                    "amount": "5.00",
                    "currency": "usd",
                }
            },
        },
    ],
)
def test_malformed_events_are_bad_requests(raw: dict) -> None:
    with pytest.raises(BadRequest):
        classify_event(raw)
