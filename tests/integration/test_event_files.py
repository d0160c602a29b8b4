"""Every events/*.json runs through ``crm-finance invoke`` against the local stack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crm_finance.devstack.cli import main
from crm_finance.devstack.paths import repo_root

EVENTS = repo_root() / "events"
EXPECTED_STATUS = {
    "stripe_webhook/payment_intent_succeeded.json": 200,
    "stripe_webhook/checkout_session_completed.json": 200,
    "stripe_webhook/payment_intent_succeeded_base64.json": 200,
    "stripe_webhook/unhandled_event_type.json": 200,
    "stripe_webhook/forged_signature.json": 400,
    "admin_api/health.json": 200,
    "admin_api/create_lead.json": 201,
    "admin_api/create_lead_invalid.json": 400,
    "admin_api/create_lead_unauthorized.json": 401,
    "admin_api/list_open_leads.json": 200,
    "invoice_worker/sqs_batch.json": None,
    "qbo_oauth/start.json": 302,
    "qbo_oauth/link.json": 200,
    "qbo_oauth/status.json": 200,
    "qbo_oauth/callback_access_denied.json": 400,
    "qbo_oauth/callback_unknown_state.json": 400,
    "qbo_sync/poll_all.json": 200,
    "qbo_sync/check_invoice_unknown_lead.json": 404,
    "qbo_sync/sync_customer_unknown_lead.json": 404,
    "poll_scheduler/scheduled.json": "scheduled",
    "poll_worker/sqs_poll_org.json": None,
    "migrate/run.json": "migrated",
}


def test_every_event_file_has_an_expectation() -> None:
    found = {str(p.relative_to(EVENTS)) for p in EVENTS.rglob("*.json")}
    assert found == set(EXPECTED_STATUS)


@pytest.fixture(scope="module")
def stack_file(stack, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("stack") / "stack.json"
    path.write_text(json.dumps(stack.info))
    return path


@pytest.mark.parametrize("name", sorted(EXPECTED_STATUS))
def test_event_through_crm_finance_invoke(name, stack, stack_file, tmp_path) -> None:
    function = name.split("/")[0]
    out = tmp_path / "result.json"
    args = [
        "invoke",
        function,
        "--event",
        str(EVENTS / name),
        "--stack",
        str(stack_file),
        "--out",
        str(out),
    ]
    assert main(args) == 0
    result = json.loads(out.read_text())
    if EXPECTED_STATUS[name] is None:
        assert result == {"batchItemFailures": []}  # malformed messages are dropped, not retried
    elif EXPECTED_STATUS[name] == "migrated":
        assert result == {"applied": []}  # the stack already migrated: a second run is a no-op
    elif EXPECTED_STATUS[name] == "scheduled":
        assert result["orgs"] >= 1 and result["enqueued"] == result["orgs"]
        stack.poll_source.drain()
    else:
        assert result["statusCode"] == EXPECTED_STATUS[name], result
    stack.event_source.drain()
