"""Admin routes: bearer token per org, validation, isolation between orgs."""

from __future__ import annotations

import pytest

ADMIN_ROUTES = [("POST", "/leads"), ("GET", "/leads")]


@pytest.fixture(scope="module")
def other_org(stack):
    return stack.add_org("Isolated Org")


def test_health_needs_no_token(api) -> None:
    response = api.get("/health", headers={})
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
@pytest.mark.parametrize("authorization", [None, "Bearer nope", "Basic abc", "Bearer "])
def test_admin_routes_need_a_valid_token(api, db, method, path, authorization) -> None:
    before = db.one("SELECT count(*) AS n FROM leads")["n"]
    headers = {"authorization": authorization} if authorization else {}
    response = api.http.request(
        method,
        f"{api.info['api_url']}{path}",
        headers=headers,
        json={"contact_name": "x", "contact_email": "x@example.com", "amount_cents": 1},
    )
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert db.one("SELECT count(*) AS n FROM leads")["n"] == before


def test_create_lead_returns_201_and_stores_the_proposal(api, db) -> None:
    lead_id = api.create_lead(amount_cents=123_456, currency="EUR", email="new@example.com")
    row = db.one(
        "SELECT org_id, proposal_amount_cents, currency, status FROM leads WHERE id = %s", lead_id
    )
    assert row == {
        "org_id": api.info["org_id"],
        "proposal_amount_cents": 123_456,
        "currency": "EUR",
        "status": "approved",
    }


@pytest.mark.parametrize(
    "body",
    [
        {"contact_name": "x", "contact_email": "not-an-email", "amount_cents": 100},
        {"contact_name": "x", "contact_email": "a@example.com", "amount_cents": 0},
        {"contact_name": "x", "contact_email": "a@example.com", "amount_cents": 12.5},
        {
            "contact_name": "x",
            "contact_email": "a@example.com",
            "amount_cents": 100,
            "currency": "usd",
        },
        {"contact_name": "x", "contact_email": "a@example.com", "amount_cents": 100, "org_id": 2},
        {"contact_email": "a@example.com", "amount_cents": 100},
    ],
)
def test_invalid_lead_is_400_and_changes_nothing(api, db, body) -> None:
    before = db.one("SELECT count(*) AS n FROM leads")["n"]
    response = api.post("/leads", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "bad_request"
    assert db.one("SELECT count(*) AS n FROM leads")["n"] == before


def test_non_json_body_is_400(api) -> None:
    response = api.post(
        "/leads", data="{{{", headers={**api.admin_headers, "content-type": "application/json"}
    )
    assert response.status_code == 400


def test_orgs_see_only_their_own_leads(api, other_org) -> None:
    _, other_token = other_org
    other = {"authorization": f"Bearer {other_token}"}
    mine = api.create_lead(email="mine@example.com")
    theirs = api.create_lead(email="theirs@example.com", org_headers=other)

    my_ids = {lead["id"] for lead in api.get("/leads?limit=200").json()["leads"]}
    their_page = api.get("/leads?limit=200", headers=other).json()["leads"]
    assert mine in my_ids and theirs not in my_ids
    assert {lead["id"] for lead in their_page} == {theirs}


def test_open_filter_lists_unpaid_invoices_paginated(api, stack) -> None:
    page = api.get("/leads?qbo_status=Open&limit=1")
    assert page.status_code == 200
    assert set(page.json()) == {"leads", "next_cursor"}
    assert api.get("/leads?qbo_status=Bogus").status_code == 400
    assert api.get("/leads?limit=100000").status_code == 400
