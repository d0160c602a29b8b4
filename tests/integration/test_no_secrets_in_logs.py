"""No log line or error body carries the webhook secret, a token or card data."""

from __future__ import annotations

import json

from crm_finance.devstack import stripe_fixtures


def test_a_full_flow_logs_no_secret_token_or_card_field(api, stack, db, capfd) -> None:
    capfd.readouterr()
    lead_id = api.create_lead(amount_cents=42_000, email="secrets@example.test")
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
    captured = capfd.readouterr()
    output = captured.out + captured.err + "\n".join(bodies)

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
