"""GET /metrics: protected, complete, derived from durable state, same on every instance."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from crm_finance import wiring
from crm_finance.devstack import stripe_fixtures
from crm_finance.devstack.lambda_runtime import unload_functions

EXPECTED = {
    "crm_invoices_generated",
    "crm_invoices_paid",
    "crm_invoice_payments_cents",
    "crm_stripe_payments_cents",
    "crm_stripe_webhook_events",
    "crm_stripe_webhook_oldest_unprocessed_timestamp_seconds",
    "crm_qbo_connected",
    "crm_qbo_refresh_token_expiry_timestamp_seconds",
    "crm_poller_last_success_timestamp_seconds",
    "crm_poller_runs",
    "crm_last_invoice_generated_timestamp_seconds",
    "crm_open_invoices",
    "crm_outstanding_balance_cents",
    "crm_metrics_scrape_duration_seconds",
    "crm_metrics_scrape_errors",
}


def scrape(api, token: str | None = None):
    token = token or api.info["metrics_token"]
    return api.get("/metrics", headers={"authorization": f"Bearer {token}"})


def samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", "Basic x"])
def test_metrics_needs_the_metrics_token(api, authorization) -> None:
    headers = {"authorization": authorization} if authorization else {}
    assert api.get("/metrics", headers=headers).status_code == 401
    assert scrape(api, api.info["admin_token"]).status_code == 401


def test_every_series_exists_at_zero_for_a_new_org(api, stack) -> None:
    org_id, _ = stack.add_org("Silent Org", connect_qbo=False)
    response = scrape(api)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    families = {f.name for f in text_string_to_metric_families(response.text)}
    assert families >= EXPECTED
    values = samples(response.text)
    org = (("org_id", str(org_id)),)
    for name in (
        "crm_invoices_generated_total",
        "crm_invoices_paid_total",
        "crm_invoice_payments_cents_total",
        "crm_stripe_payments_cents_total",
        "crm_qbo_connected",
        "crm_open_invoices",
    ):
        assert values[(name, org)] == 0, name
    assert values[("crm_poller_runs_total", (("org_id", str(org_id)), ("outcome", "failed")))] == 0
    assert values[("crm_metrics_scrape_errors", ())] == 0


def test_counters_follow_the_ledger(api, stack, db) -> None:
    org_id, token = stack.add_org("Counted Org")
    headers = {"authorization": f"Bearer {token}"}
    org = (("org_id", str(org_id)),)
    lead = api.create_lead(amount_cents=70_000, email="counted@example.com", org_headers=headers)
    for n, cents in enumerate((20_000, 50_000)):
        api.webhook(
            stripe_fixtures.payment_intent_succeeded(
                f"evt_count_{org_id}_{n}",
                f"pi_count_{org_id}_{n}",
                amount_cents=cents,
                metadata={"org_id": str(org_id), "lead_id": str(lead)},
            )
        )
        stack.event_source.drain()
    values = samples(scrape(api).text)
    assert values[("crm_invoices_generated_total", org)] == 1
    assert values[("crm_invoices_paid_total", org)] == 1
    assert values[("crm_invoice_payments_cents_total", org)] == 70_000
    assert values[("crm_stripe_payments_cents_total", org)] == 70_000
    assert values[("crm_qbo_connected", org)] == 1
    assert values[("crm_last_invoice_generated_timestamp_seconds", org)] > 0
    processed = (
        "crm_stripe_webhook_events_total",
        (("event_type", "payment_intent.succeeded"), ("outcome", "processed")),
    )
    assert values[processed] >= 2
    totals = db.one(
        "SELECT sum(amount_cents) AS c FROM finance_ledger"
        " WHERE org_id = %s AND kind = 'payment_received'",
        org_id,
    )
    assert totals["c"] == 70_000


def _counters(text: str) -> dict:
    return {k: v for k, v in samples(text).items() if k[0].endswith("_total")}


def test_same_values_after_a_cold_start_and_from_another_instance(api, stack) -> None:
    warm = _counters(scrape(api).text)
    wiring.reset()
    unload_functions()  # a cold start
    cold = _counters(scrape(api).text)
    assert cold == warm
    instance = wiring.metrics_ports()["state"]  # a second instance's view, same database
    from crm_finance.domain.metrics import render_metrics

    other = _counters(render_metrics(instance).body.decode())
    assert other == warm


def test_database_down_is_reported_not_hidden(stack) -> None:
    from crm_finance.adapters.postgres.database import Database
    from crm_finance.adapters.postgres.finance_state import PostgresFinanceState
    from crm_finance.domain.metrics import render_metrics

    down = PostgresFinanceState(Database("postgresql://crm@127.0.0.1:1/crm", connect_timeout=1))
    exposition = render_metrics(down)
    values = samples(exposition.body.decode())
    assert values[("crm_metrics_scrape_errors", ())] == 1
    assert not any(name.startswith("crm_invoices") for name, _ in values)


def test_running_totals_agree_with_a_full_recount(api, stack, db) -> None:
    """The trigger-kept totals /metrics reads equal COUNT/SUM over the facts themselves."""
    org_id, token = stack.add_org("Recount Org")
    headers = {"authorization": f"Bearer {token}"}
    for i, cents in enumerate((30_000, 45_000)):
        lead = api.create_lead(
            amount_cents=90_000, email=f"recount{i}@example.com", org_headers=headers
        )
        api.webhook(
            stripe_fixtures.payment_intent_succeeded(
                f"evt_recount_{org_id}_{i}",
                f"pi_recount_{org_id}_{i}",
                amount_cents=cents,
                metadata={"org_id": str(org_id), "lead_id": str(lead)},
            )
        )
    stack.event_source.drain()
    values = samples(scrape(api).text)
    recount = db.rows(
        """SELECT o.id AS org_id,
                  (SELECT count(*) FROM leads l WHERE l.org_id = o.id
                     AND l.qbo_invoice_id IS NOT NULL
                     AND l.qbo_status IN ('Open', 'Partial')) AS open,
                  (SELECT coalesce(sum(qbo_balance_cents), 0) FROM leads l WHERE l.org_id = o.id
                     AND l.qbo_invoice_id IS NOT NULL
                     AND l.qbo_status IN ('Open', 'Partial')) AS balance,
                  (SELECT count(*) FROM finance_ledger f WHERE f.org_id = o.id
                     AND f.kind = 'invoice_generated') AS generated,
                  (SELECT coalesce(sum(amount_cents), 0) FROM finance_ledger f WHERE f.org_id = o.id
                     AND f.kind = 'payment_received') AS cents
           FROM orgs o"""
    )
    for row in recount:
        org = (("org_id", str(row["org_id"])),)
        assert values[("crm_open_invoices", org)] == row["open"]
        assert values[("crm_outstanding_balance_cents", org)] == row["balance"]
        assert values[("crm_invoices_generated_total", org)] == row["generated"]
        assert values[("crm_invoice_payments_cents_total", org)] == row["cents"]
    mine = next(r for r in recount if r["org_id"] == org_id)
    assert (mine["open"], mine["balance"]) == (2, 105_000)
