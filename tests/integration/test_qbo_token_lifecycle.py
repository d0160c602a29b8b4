"""Access tokens refresh transparently; concurrent refreshes are serialised; a revoked
refresh token disconnects the org with its reason, and reconnecting restores service."""

from __future__ import annotations

import itertools
import multiprocessing
import time
from dataclasses import replace

import pytest
import requests

from crm_finance import wiring
from crm_finance.devstack import stripe_fixtures
from crm_finance.domain.invoicing import invoice_stripe_payment
from crm_finance.domain.webhook import receive_stripe_event
from crm_finance.errors import QboNotConnected

_n = itertools.count(1)


@pytest.fixture
def org(stack):
    org_id, token = stack.add_org(f"Token Org {next(_n)}")
    realm = wiring.connections().get(org_id).realm_id
    return org_id, realm, {"authorization": f"Bearer {token}"}


def _expire_stored_access_token(org_id: int) -> None:
    vault = wiring.token_vault()
    tokens = vault.read(org_id, fresh=True)
    vault.write(org_id, replace(tokens, access_expires_at=time.time() - 10))


def _pay(api, stack, org_id, headers, cents=2_000) -> tuple[int, str]:
    lead = api.create_lead(
        amount_cents=cents, email=f"lifecycle{next(_n)}@example.com", org_headers=headers
    )
    event = stripe_fixtures.payment_intent_succeeded(
        f"evt_life_{lead}",
        f"pi_life_{lead}",
        amount_cents=cents,
        metadata={"org_id": str(org_id), "lead_id": str(lead)},
    )
    assert api.webhook(event).status_code == 200
    return lead, event["id"]


class _HeldQueue:
    """Keeps messages out of SQS, so that this test's redeliveries cannot leak into others."""

    def __init__(self) -> None:
        self.held: list[str] = []

    def enqueue(self, event_id: str) -> None:
        self.held.append(event_id)


def _store_payment_without_queue(api, stack, org_id, headers) -> tuple[int, str]:
    lead = api.create_lead(
        amount_cents=2_000, email=f"held{next(_n)}@example.com", org_headers=headers
    )
    event = stripe_fixtures.payment_intent_succeeded(
        f"evt_held_{lead}",
        f"pi_held_{lead}",
        amount_cents=2_000,
        metadata={"org_id": str(org_id), "lead_id": str(lead)},
    )
    body, sig = stripe_fixtures.webhook_request(event, stack.info["stripe_webhook_secret"])
    ports = wiring.webhook_ports()
    queue = _HeldQueue()
    receive_stripe_event(
        body, sig["stripe-signature"], verifier=ports["verifier"], inbox=ports["inbox"], queue=queue
    )
    assert queue.held == [event["id"]]
    return lead, event["id"]


def test_expiring_access_token_is_refreshed_before_use(api, stack, db, org) -> None:
    org_id, realm, headers = org
    _expire_stored_access_token(org_id)
    lead, _ = _pay(api, stack, org_id, headers)
    stack.event_source.drain()
    assert db.one("SELECT qbo_status FROM leads WHERE id = %s", lead)["qbo_status"] == "Paid"
    assert stack.emulator.refresh_count(realm) == 1
    status = api.get("/qbo/status", headers=headers).json()
    assert status["connected"] is True and status["last_refreshed_at"]


def test_401_from_qbo_triggers_one_refresh_and_one_retry(api, stack, db, org) -> None:
    org_id, realm, headers = org
    stack.emulator.expire_access_tokens(realm)  # the secret still believes it is valid
    lead, _ = _pay(api, stack, org_id, headers)
    stack.event_source.drain()
    assert db.one("SELECT qbo_status FROM leads WHERE id = %s", lead)["qbo_status"] == "Paid"
    assert stack.emulator.refresh_count(realm) == 1


def _read_invoice(org_id: int, invoice_id: str, barrier, results) -> None:
    """One Lambda instance making one QBO call."""
    from crm_finance import wiring as instance_wiring

    books = instance_wiring.qbo_books().for_org(org_id)
    barrier.wait()
    try:
        results.put(books.get_invoice(invoice_id).id)
    except Exception as exc:  # reported to the parent, which asserts on it
        results.put(f"error: {type(exc).__name__}: {exc}")


def test_twenty_processes_with_an_expired_token_refresh_exactly_once(stack, org) -> None:
    org_id, realm, _ = org
    [invoice_id] = stack.emulator.seed_open_invoices(realm, 1)
    _expire_stored_access_token(org_id)
    stack.emulator.expire_access_tokens(realm)
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(20), ctx.Queue()
    procs = [
        ctx.Process(target=_read_invoice, args=(org_id, invoice_id, barrier, results))
        for _ in range(20)
    ]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert outcomes == [invoice_id] * 20
    assert stack.emulator.refresh_count(realm) == 1
    assert stack.emulator.invalid_grant_count(realm) == 0


def test_revoked_refresh_token_disconnects_then_reconnecting_restores(api, stack, db, org) -> None:
    org_id, realm, headers = org
    stack.emulator.revoke_refresh_tokens(realm)
    stack.emulator.expire_access_tokens(realm)
    _expire_stored_access_token(org_id)

    with pytest.raises(QboNotConnected, match="invalid_grant"):
        wiring.qbo_books().tokens_for(org_id).access_token()
    assert stack.emulator.invalid_grant_count(realm) == 1
    status = api.get("/qbo/status", headers=headers).json()
    assert status["connected"] is False and "invalid_grant" in status["error"]

    lead, event_id = _store_payment_without_queue(api, stack, org_id, headers)
    with pytest.raises(QboNotConnected):  # the worker's attempt: retryable, the event waits
        invoice_stripe_payment(event_id, **wiring.invoicing_ports())
    assert stack.emulator.invalid_grant_count(realm) == 1  # nobody retried the refresh
    assert (
        db.one("SELECT status FROM stripe_events WHERE event_id = %s", event_id)["status"]
        == "received"
    )

    stack.emulator.authorize_realm = realm
    try:
        start = api.get("/qbo/oauth/start", headers=headers, allow_redirects=False)
        callback = requests.get(
            start.headers["Location"], allow_redirects=False, timeout=10
        ).headers["Location"]
        assert requests.get(callback, timeout=10).status_code == 200
    finally:
        stack.emulator.authorize_realm = None
    assert api.get("/qbo/status", headers=headers).json()["connected"] is True

    invoice_stripe_payment(event_id, **wiring.invoicing_ports())  # the SQS redelivery
    assert db.one("SELECT qbo_status FROM leads WHERE id = %s", lead)["qbo_status"] == "Paid"
