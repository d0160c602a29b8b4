"""Every admin route: 401 without a valid token, and one org never reaches another's data."""

from __future__ import annotations

import pytest

from crm_finance.devstack.template import http_routes

PUBLIC_ROUTES = {("GET", "/health"), ("POST", "/payments/webhook"), ("GET", "/qbo/oauth/callback")}
METRICS_ROUTE = {("GET", "/metrics")}  # its own bearer credential, tested in test_metrics.py
ADMIN_ROUTES = sorted({(r.method, r.path) for r in http_routes()} - PUBLIC_ROUTES - METRICS_ROUTE)


def test_the_admin_route_list_is_complete() -> None:
    assert ("GET", "/qbo/status") in ADMIN_ROUTES and ("POST", "/leads") in ADMIN_ROUTES
    assert len(ADMIN_ROUTES) >= 6


@pytest.fixture(scope="module")
def revoked_token(stack):
    _, token = stack.add_org("Revoked Org")
    stack.revoke_admin_token(token)
    return token


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
@pytest.mark.parametrize("credential", ["missing", "wrong", "revoked", "not_bearer"])
def test_admin_route_without_a_valid_token_is_401(
    api, db, revoked_token, method, path, credential
) -> None:
    headers = {
        "missing": {},
        "wrong": {"authorization": "Bearer adm_not_a_real_token"},
        "revoked": {"authorization": f"Bearer {revoked_token}"},
        "not_bearer": {"authorization": f"Basic {api.info['admin_token']}"},
    }[credential]
    before = db.one(
        "SELECT (SELECT count(*) FROM leads) AS leads,"
        " (SELECT count(*) FROM oauth_states) AS states,"
        " (SELECT count(*) FROM qbo_connections WHERE status = 'connected') AS connected"
    )
    response = api.http.request(
        method,
        f"{api.info['api_url']}{path}",
        headers=headers,
        allow_redirects=False,
        json={"contact_name": "x", "contact_email": "x@example.com", "amount_cents": 1},
    )
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "unauthorized"
    assert (
        db.one(
            "SELECT (SELECT count(*) FROM leads) AS leads,"
            " (SELECT count(*) FROM oauth_states) AS states,"
            " (SELECT count(*) FROM qbo_connections WHERE status = 'connected') AS connected"
        )
        == before
    )


def test_one_org_never_reads_or_changes_another(api, stack, db) -> None:
    org_a, token_a = stack.add_org("Isolation A")
    org_b, token_b = stack.add_org("Isolation B")
    a = {"authorization": f"Bearer {token_a}"}
    b = {"authorization": f"Bearer {token_b}"}
    lead_a = api.create_lead(email="a@example.com", org_headers=a)

    leads_b = api.get("/leads?limit=200", headers=b).json()["leads"]
    assert lead_a not in {lead["id"] for lead in leads_b}

    realm_a = db.one("SELECT realm_id FROM qbo_connections WHERE org_id = %s", org_a)["realm_id"]
    assert api.get("/qbo/status", headers=b).json()["realm_id"] != realm_a

    start = api.get("/qbo/oauth/start", headers=b, allow_redirects=False)
    assert start.status_code == 302
    assert (
        db.one("SELECT org_id FROM oauth_states ORDER BY created_at DESC LIMIT 1")["org_id"]
        == org_b
    )

    link = api.post("/qbo/oauth/link", headers=b).json()["url"]
    assert (
        db.one("SELECT org_id FROM oauth_states ORDER BY created_at DESC LIMIT 1")["org_id"]
        == org_b
    )
    assert link.startswith(api.info["api_url"])

    assert api.post("/qbo/disconnect", headers=b).status_code == 200
    assert api.get("/qbo/status", headers=a).json()["connected"] is True
    assert api.get("/qbo/status", headers=b).json()["connected"] is False
