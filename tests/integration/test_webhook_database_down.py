"""With PostgreSQL unreachable the webhook answers 503, so that Stripe retries later."""

from __future__ import annotations

import socket

import pytest

from crm_finance import wiring
from crm_finance.devstack import stripe_fixtures
from crm_finance.devstack.api_gateway import build_http_api_event
from crm_finance.devstack.lambda_runtime import invoke, unload_functions
from crm_finance.devstack.template import Route


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def database_down(stack, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"postgresql://crm@127.0.0.1:{_closed_port()}/crm")
    monkeypatch.setenv("DB_CONNECT_TIMEOUT_SECONDS", "1")
    wiring.reset()
    unload_functions()  # a cold start with the broken configuration
    yield
    monkeypatch.undo()
    wiring.reset()
    unload_functions()


def _signed_webhook_event(stack) -> dict:
    """The same Stripe event each time: the retry after the outage is Stripe's redelivery."""
    event = stripe_fixtures.payment_intent_succeeded("evt_db_down", "pi_db_down", amount_cents=100)
    body, headers = stripe_fixtures.webhook_request(event, stack.info["stripe_webhook_secret"])
    return build_http_api_event(
        route=Route("POST", "/payments/webhook", "StripeWebhookFunction"),
        path="/payments/webhook",
        path_params={},
        query="",
        headers=headers,
        body=body.encode(),
    )


def test_database_down_means_503_and_nothing_enqueued(stack, database_down) -> None:
    api_event = _signed_webhook_event(stack)
    result = invoke("StripeWebhookFunction", api_event)
    assert result["statusCode"] == 503
    assert "database_unavailable" in result["body"]
    assert stack.event_source.drain() == 0


def test_stripe_retry_after_the_outage_is_stored(stack, db) -> None:
    api_event = _signed_webhook_event(stack)
    assert invoke("StripeWebhookFunction", api_event)["statusCode"] == 200
    assert (
        db.one("SELECT status FROM stripe_events WHERE event_id = 'evt_db_down'")["status"]
        == "received"
    )
    stack.event_source.drain()
