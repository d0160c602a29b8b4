"""Connecting QuickBooks: the OAuth round trip against the emulator, and bad callbacks."""

from __future__ import annotations

import itertools
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from crm_finance.devstack import stripe_fixtures

_n = itertools.count(1)


@pytest.fixture
def fresh_org(stack):
    """An org with an admin token and no QBO connection."""
    org_id, token = stack.add_org(f"OAuth Org {next(_n)}", connect_qbo=False)
    return org_id, {"authorization": f"Bearer {token}"}


@pytest.fixture(autouse=True)
def _approve(stack):
    stack.emulator.authorize_decision = "approve"
    stack.emulator.authorize_realm = None
    yield
    stack.emulator.authorize_decision = "approve"
    stack.emulator.authorize_realm = None


def _authorize(api, headers) -> str:
    """GET /qbo/oauth/start, then the user at Intuit; returns the callback URL Intuit sends."""
    start = api.get("/qbo/oauth/start", headers=headers, allow_redirects=False)
    assert start.status_code == 302, start.text
    consent = requests.get(start.headers["Location"], allow_redirects=False, timeout=10)
    assert consent.status_code == 302
    return consent.headers["Location"]


def _connection(db, org_id):
    return db.rows("SELECT status, realm_id FROM qbo_connections WHERE org_id = %s", org_id)


def test_full_oauth_round_trip_then_invoices_use_the_stored_tokens(
    api, stack, db, fresh_org
) -> None:
    org_id, headers = fresh_org
    assert api.get("/qbo/status", headers=headers).json() == {
        "connected": False,
        "error": "No tokens found",
    }

    callback = _authorize(api, headers)
    assert callback.startswith(f"{api.info['api_url']}/qbo/oauth/callback?")
    done = requests.get(callback, timeout=10)
    assert done.status_code == 200, done.text
    realm = parse_qs(urlsplit(callback).query)["realmId"][0]
    assert done.json() == {"connected": True, "org_id": org_id, "realm_id": realm}

    status = api.get("/qbo/status", headers=headers).json()
    assert (
        status["connected"] is True and status["realm_id"] == realm and status["env"] == "sandbox"
    )
    assert status["access_token_expires_at"] and status["refresh_token_expires_at"]

    lead = api.create_lead(amount_cents=5_000, email="oauth@example.com", org_headers=headers)
    api.webhook(
        stripe_fixtures.payment_intent_succeeded(
            f"evt_oauth_{org_id}",
            f"pi_oauth_{org_id}",
            amount_cents=5_000,
            metadata={"org_id": str(org_id), "lead_id": str(lead)},
        )
    )
    stack.event_source.drain()
    invoices = stack.emulator.objects(realm, "Invoice")
    assert [i["DocNumber"] for i in invoices] == [f"CRM-{lead}"]
    assert db.one("SELECT qbo_status FROM leads WHERE id = %s", lead)["qbo_status"] == "Paid"


def test_browser_flow_with_a_single_use_start_link(api, db, fresh_org) -> None:
    _, headers = fresh_org
    link = api.post("/qbo/oauth/link", headers=headers)
    assert link.status_code == 200
    url = link.json()["url"]
    first = requests.get(url, allow_redirects=False, timeout=10)  # no bearer: a browser
    assert first.status_code == 302 and "state=" in first.headers["Location"]
    again = requests.get(url, allow_redirects=False, timeout=10)
    assert again.status_code == 401
    assert (
        requests.get(f"{api.info['api_url']}/qbo/oauth/start?ticket=forged", timeout=10).status_code
        == 401
    )


def test_start_without_token_or_link_is_401(api) -> None:
    response = api.get("/qbo/oauth/start", headers={}, allow_redirects=False)
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"


def _callback_cases(api, stack, db, headers):
    good = _authorize(api, headers)
    query = parse_qs(urlsplit(good).query)
    base = f"{api.info['api_url']}/qbo/oauth/callback"
    code, state, realm = query["code"][0], query["state"][0], query["realmId"][0]
    return base, code, state, realm


@pytest.mark.parametrize(
    "case",
    ["unknown_state", "expired_state", "reused_state", "missing_code", "intuit_error", "oversized"],
)
def test_bad_callbacks_are_400_and_change_nothing(api, stack, db, fresh_org, case) -> None:
    org_id, headers = fresh_org
    base, code, state, realm = _callback_cases(api, stack, db, headers)
    params: dict[str, str] = {"code": code, "state": state, "realmId": realm}
    if case == "unknown_state":
        params["state"] = "not-a-state-we-issued"
    elif case == "expired_state":
        db.rows(
            "UPDATE oauth_states SET expires_at = now() - interval '1 second'"
            " WHERE org_id = %s RETURNING 1",
            org_id,
        )
    elif case == "reused_state":
        assert requests.get(base, params=params, timeout=10).status_code == 200
        api.post("/qbo/disconnect", headers=headers)
    elif case == "missing_code":
        del params["code"]
    elif case == "intuit_error":
        params = {"error": "access_denied", "error_description": "user said no", "state": state}
    else:
        params["padding"] = "x" * 4096
    before = db.rows(
        "SELECT status, realm_id, connected_at FROM qbo_connections WHERE org_id = %s", org_id
    )

    response = requests.get(base, params=params, timeout=10)

    assert response.status_code == 400, response.text
    assert response.json()["error"] == "bad_request"
    assert (
        db.rows(
            "SELECT status, realm_id, connected_at FROM qbo_connections WHERE org_id = %s", org_id
        )
        == before
    )
    assert api.get("/qbo/status", headers=headers).json()["connected"] is False


def test_user_denies_consent(api, stack, db, fresh_org) -> None:
    org_id, headers = fresh_org
    stack.emulator.authorize_decision = "deny"
    callback = _authorize(api, headers)
    assert "error=access_denied" in callback
    response = requests.get(callback, timeout=10)
    assert response.status_code == 400
    assert "access_denied" in response.json()["message"]
    assert _connection(db, org_id) == []


def test_disconnect_revokes_and_forgets_the_tokens(api, stack, db, fresh_org) -> None:
    org_id, headers = fresh_org
    assert requests.get(_authorize(api, headers), timeout=10).status_code == 200
    response = api.post("/qbo/disconnect", headers=headers)
    assert response.status_code == 200
    assert response.json() == {"connected": False, "revoked_at_intuit": True}
    status = api.get("/qbo/status", headers=headers).json()
    assert status["connected"] is False and status["error"] == "disconnected by an admin"
    secret = stack.aws.client("secretsmanager").get_secret_value(
        SecretId=f"crm-finance/local/qbo/org-{org_id}"
    )
    assert secret["SecretString"] == "{}"


def test_discovery_document_is_fetched_once_not_per_cold_start(api, stack, db, fresh_org) -> None:
    from crm_finance import wiring
    from crm_finance.devstack.lambda_runtime import unload_functions

    _, headers = fresh_org
    db.rows("DELETE FROM qbo_discovery_cache RETURNING 1")
    before = stack.emulator.request_count(kind="discovery")
    assert api.get("/qbo/oauth/start", headers=headers, allow_redirects=False).status_code == 302
    assert stack.emulator.request_count(kind="discovery") == before + 1
    for _ in range(3):
        wiring.reset()
        unload_functions()  # a cold start of every function
        start = api.get("/qbo/oauth/start", headers=headers, allow_redirects=False)
        assert start.status_code == 302
    assert stack.emulator.request_count(kind="discovery") == before + 1
