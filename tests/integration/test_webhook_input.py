"""Bad webhook input gets a 400 and changes nothing; good input is stored once."""

from __future__ import annotations

import base64
import json
import time

import pytest

from crm_finance.devstack import stripe_fixtures
from crm_finance.devstack.api_gateway import build_http_api_event
from crm_finance.devstack.lambda_runtime import invoke
from crm_finance.devstack.template import Route


def _event(event_id: str) -> dict:
    return stripe_fixtures.payment_intent_succeeded(
        event_id, "pi_" + event_id, amount_cents=1_000, metadata={"org_id": "1", "lead_id": "1"}
    )


def _stored(db, event_id: str) -> int:
    return len(db.rows("SELECT 1 FROM stripe_events WHERE event_id = %s", event_id))


def test_wrong_secret_is_rejected_and_nothing_stored(api, db, stack) -> None:
    response = api.webhook(_event("evt_forged"), secret="whsec_not_ours")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_signature"
    assert _stored(db, "evt_forged") == 0
    assert stack.event_source.drain() == 0


def test_stale_timestamp_is_rejected(api, db) -> None:
    body = json.dumps(_event("evt_stale"))
    stale = stripe_fixtures.sign(
        body, api.info["stripe_webhook_secret"], timestamp=int(time.time()) - 3600
    )
    response = api.post_webhook(
        body, {"content-type": "application/json", "stripe-signature": stale}
    )
    assert response.status_code == 400
    assert _stored(db, "evt_stale") == 0


def test_tampered_body_is_rejected(api, db) -> None:
    body, headers = stripe_fixtures.webhook_request(
        _event("evt_tamper"), api.info["stripe_webhook_secret"]
    )
    response = api.post_webhook(body.replace("1000", "9000"), headers)
    assert response.status_code == 400
    assert _stored(db, "evt_tamper") == 0


def test_missing_signature_header_is_rejected(api) -> None:
    response = api.post_webhook(
        json.dumps(_event("evt_nosig")), {"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert "Stripe-Signature" in response.json()["message"]


@pytest.mark.parametrize(
    "body",
    [
        "not json at all",
        "[1, 2, 3]",
        json.dumps({"id": "evt_malformed_1", "type": "payment_intent.succeeded"}),
        json.dumps(
            {
                "id": "evt_malformed_2",
                "type": "payment_intent.succeeded",
                "data": {"object": {"id": "pi", "object": "payment_intent", "amount": "lots"}},
            }
        ),
    ],
)
def test_signed_but_malformed_body_is_rejected(api, db, body: str) -> None:
    before = db.one("SELECT count(*) AS n FROM stripe_events")["n"]
    headers = {
        "content-type": "application/json",
        "stripe-signature": stripe_fixtures.sign(body, api.info["stripe_webhook_secret"]),
    }
    response = api.post_webhook(body, headers)
    assert response.status_code == 400
    assert db.one("SELECT count(*) AS n FROM stripe_events")["n"] == before


def test_base64_encoded_body_is_verified_on_the_raw_bytes(stack, db) -> None:
    body, headers = stripe_fixtures.webhook_request(
        _event("evt_b64"), stack.info["stripe_webhook_secret"]
    )
    event = build_http_api_event(
        route=Route("POST", "/payments/webhook", "StripeWebhookFunction"),
        path="/payments/webhook",
        path_params={},
        query="",
        headers={**headers, "content-type": "application/octet-stream"},
        body=body.encode(),
    )
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]).decode() == body
    result = invoke("StripeWebhookFunction", event)
    assert result["statusCode"] == 200, result
    assert _stored(db, "evt_b64") == 1
    stack.event_source.drain()


def test_unhandled_event_types_are_acknowledged_and_recorded_as_ignored(api, db, stack) -> None:
    event = {
        "id": "evt_customer_created",
        "object": "event",
        "type": "customer.created",
        "data": {"object": {"id": "cus_1", "object": "customer"}},
    }
    response = api.webhook(event)
    assert response.status_code == 200 and response.json()["status"] == "ignored"
    row = db.one("SELECT status, reason FROM stripe_events WHERE event_id = 'evt_customer_created'")
    assert row["status"] == "ignored" and "customer.created" in row["reason"]
    assert stack.event_source.drain() == 0


def test_oversized_body_is_rejected(api, db) -> None:
    event = _event("evt_huge")
    event["data"]["object"]["metadata"]["padding"] = "x" * (600 * 1024)
    response = api.webhook(event)
    assert response.status_code == 400
    assert _stored(db, "evt_huge") == 0
