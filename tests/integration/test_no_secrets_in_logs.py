"""No log line or error body carries the webhook secret, a token or card data."""

from __future__ import annotations

import io
import json
import logging
import os

import pytest

from crm_finance.devstack import stripe_fixtures
from crm_finance.devstack.lambda_runtime import load_function


@pytest.fixture
def log_lines():
    """Every line the functions log, formatted exactly as CloudWatch would receive it."""
    for function in ("StripeWebhookFunction", "InvoiceWorkerFunction", "AdminApiFunction"):
        load_function(function)  # their Loggers configure the service logger
    service_logger = logging.getLogger(os.environ["POWERTOOLS_SERVICE_NAME"])
    formatter = next(h.formatter for h in service_logger.handlers if h.formatter)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    service_logger.addHandler(handler)
    yield stream
    service_logger.removeHandler(handler)


def test_a_full_flow_logs_no_secret_token_or_card_field(api, stack, db, log_lines) -> None:
    lead_id = api.create_lead(amount_cents=42_000, email="secrets@example.com")
    event = stripe_fixtures.payment_intent_succeeded(
        "evt_secrets",
        "pi_secrets",
        amount_cents=42_000,
        metadata={"org_id": str(api.info["org_id"]), "lead_id": str(lead_id)},
    )
    event["data"]["object"]["payment_method_details"] = {
        "card": {
            "brand": "visa",
            "last4": "4929",
            "exp_month": 12,
            "exp_year": 2031,
            "fingerprint": "FpCardSecret123",
        }
    }
    bodies = [
        api.webhook(event).text,
        api.webhook(event, secret="whsec_wrong").text,
        api.get(
            "/leads", headers={"authorization": "Bearer " + api.info["admin_token"] + "x"}
        ).text,
        api.post("/leads", json={"contact_name": "x"}).text,
    ]
    stack.event_source.drain()
    sm = stack.aws.client("secretsmanager")
    qbo_tokens = json.loads(
        sm.get_secret_value(SecretId=f"crm-finance/local/qbo/org-{api.info['org_id']}")[
            "SecretString"
        ]
    )
    output = log_lines.getvalue() + "\n".join(bodies)

    assert "stripe event recorded" in output  # the logs were captured at all
    forbidden = [
        stack.info["stripe_webhook_secret"],
        stack.info["admin_token"],
        stack.info["qbo"]["access_token"],
        "4929",
        "FpCardSecret123",
        "exp_year",
        qbo_tokens["access_token"],
        qbo_tokens["refresh_token"],
    ]
    for value in forbidden:
        assert value not in output, f"leaked: {value[:6]}..."
    stored = db.one("SELECT payload::text AS p FROM stripe_events WHERE event_id = 'evt_secrets'")[
        "p"
    ]
    assert "4929" not in stored and "FpCardSecret123" not in stored


def test_oauth_and_refresh_log_no_token_code_or_client_secret(api, stack, log_lines) -> None:
    import time
    from dataclasses import replace
    from urllib.parse import parse_qs, urlsplit

    import requests

    from crm_finance import wiring

    org_id, admin_token = stack.add_org("Secretive Org", connect_qbo=False)
    headers = {"authorization": f"Bearer {admin_token}"}
    start = api.get("/qbo/oauth/start", headers=headers, allow_redirects=False)
    callback = requests.get(start.headers["Location"], allow_redirects=False, timeout=10).headers[
        "Location"
    ]
    query = parse_qs(urlsplit(callback).query)
    bodies = [start.text, requests.get(callback, timeout=10).text]
    first = wiring.token_vault().read(org_id, fresh=True)
    wiring.token_vault().write(org_id, replace(first, access_expires_at=time.time() - 1))
    wiring.qbo_books().tokens_for(org_id).access_token()  # a refresh
    rotated = wiring.token_vault().read(org_id, fresh=True)
    bodies.append(api.get("/qbo/status", headers=headers).text)
    bodies.append(api.post("/qbo/disconnect", headers=headers).text)

    logs = log_lines.getvalue()
    output = logs + "\n".join(bodies)
    assert "qbo connected" in logs
    for value in (
        first.access_token,
        first.refresh_token,
        rotated.access_token,
        rotated.refresh_token,
        admin_token,
        stack.emulator.client_secret,
    ):
        assert value not in output, f"leaked: {value[:4]}..."
    for value in (query["code"][0], query["state"][0]):  # they travel in URLs, never in logs
        assert value not in logs, f"logged: {value[:4]}..."
