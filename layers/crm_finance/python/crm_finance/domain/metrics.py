"""Prometheus exposition built from durable state, fresh on every scrape.

Nothing is counted in process memory: every value comes from PostgreSQL's running
totals, so every Lambda instance, cold or warm, serves the same monotonic counters.
Every expected series is emitted, at 0 before its first event, so alerts can fire on
silence.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

WEBHOOK_OUTCOMES = ("received", "processed", "ignored", "rejected")
HANDLED_EVENT_TYPES = ("payment_intent.succeeded", "checkout.session.completed")
POLL_OUTCOMES = ("ok", "failed", "skipped")
LEDGER_COUNTERS = {
    "invoice_generated": (
        "crm_invoices_generated",
        "entries",
        "QBO invoices created for CRM proposals",
    ),
    "invoice_paid": ("crm_invoices_paid", "entries", "Invoices that became Paid in QBO"),
    "payment_received": (
        "crm_invoice_payments_cents",
        "amount_cents",
        "Money applied to CRM invoices in QBO, in cents",
    ),
}


@dataclass
class FinanceSnapshot:
    """Everything one scrape exposes, read in one transaction."""

    org_ids: list[int]
    ledger: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict)
    stripe_cents: dict[int, int] = field(default_factory=dict)
    webhook_events: dict[tuple[str, str], int] = field(default_factory=dict)
    oldest_unprocessed: float = 0.0
    qbo: dict[int, dict[str, Any]] = field(default_factory=dict)
    poll_last_success: dict[int, float] = field(default_factory=dict)
    poll_runs: dict[tuple[int, str], int] = field(default_factory=dict)
    open_invoices: dict[int, tuple[int, int]] = field(default_factory=dict)


class FinanceState(Protocol):
    def snapshot(self) -> FinanceSnapshot: ...


class FinanceCollector:
    """A custom collector: yields ``*MetricFamily`` values from one snapshot."""

    def __init__(self, state: FinanceState) -> None:
        self._state = state
        self.errors = 0

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        try:
            snap = self._state.snapshot()
        except Exception:  # noqa: BLE001 - reported as crm_metrics_scrape_errors
            self.errors += 1
            return
        orgs = [str(o) for o in snap.org_ids]

        for kind, (name, column, doc) in LEDGER_COUNTERS.items():
            family = CounterMetricFamily(name, doc, labels=["org_id"])
            for org_id in snap.org_ids:
                family.add_metric([str(org_id)], snap.ledger.get((org_id, kind), {}).get(column, 0))
            yield family

        last_generated = GaugeMetricFamily(
            "crm_last_invoice_generated_timestamp_seconds",
            "When the last invoice was generated (0 if never)",
            labels=["org_id"],
        )
        stripe = CounterMetricFamily(
            "crm_stripe_payments_cents",
            "Stripe money processed by the invoice worker, in cents",
            labels=["org_id"],
        )
        connected = GaugeMetricFamily(
            "crm_qbo_connected", "1 if the org's QuickBooks connection is usable", labels=["org_id"]
        )
        expiry = GaugeMetricFamily(
            "crm_qbo_refresh_token_expiry_timestamp_seconds",
            "When the QBO refresh token expires (0 if unknown)",
            labels=["org_id"],
        )
        last_poll = GaugeMetricFamily(
            "crm_poller_last_success_timestamp_seconds",
            "End of the last successful invoice poll (0 if never)",
            labels=["org_id"],
        )
        open_count = GaugeMetricFamily(
            "crm_open_invoices", "Invoices Open or Partial", labels=["org_id"]
        )
        open_balance = GaugeMetricFamily(
            "crm_outstanding_balance_cents",
            "Balance of open and partial invoices, in cents",
            labels=["org_id"],
        )
        runs = CounterMetricFamily(
            "crm_poller_runs", "Invoice poll runs by outcome", labels=["org_id", "outcome"]
        )
        for org_id, org in zip(snap.org_ids, orgs, strict=True):
            generated = snap.ledger.get((org_id, "invoice_generated"), {})
            last_generated.add_metric([org], generated.get("last_recorded_at") or 0)
            stripe.add_metric([org], snap.stripe_cents.get(org_id, 0))
            qbo = snap.qbo.get(org_id, {})
            connected.add_metric([org], 1 if qbo.get("connected") else 0)
            expiry.add_metric([org], qbo.get("refresh_expires_at") or 0)
            last_poll.add_metric([org], snap.poll_last_success.get(org_id, 0))
            count, balance = snap.open_invoices.get(org_id, (0, 0))
            open_count.add_metric([org], count)
            open_balance.add_metric([org], balance)
            for outcome in POLL_OUTCOMES:
                runs.add_metric([org, outcome], snap.poll_runs.get((org_id, outcome), 0))
        yield from (
            last_generated,
            stripe,
            connected,
            expiry,
            last_poll,
            open_count,
            open_balance,
            runs,
        )

        events = CounterMetricFamily(
            "crm_stripe_webhook_events",
            "Stripe events stored, by type and outcome",
            labels=["event_type", "outcome"],
        )
        types = sorted(set(HANDLED_EVENT_TYPES) | {t for t, _ in snap.webhook_events})
        for event_type in types:
            for outcome in WEBHOOK_OUTCOMES:
                events.add_metric(
                    [event_type, outcome], snap.webhook_events.get((event_type, outcome), 0)
                )
        yield events
        yield GaugeMetricFamily(
            "crm_stripe_webhook_oldest_unprocessed_timestamp_seconds",
            "Received time of the oldest event still waiting for the worker (0 if none)",
            value=snap.oldest_unprocessed,
        )


@dataclass(frozen=True)
class Exposition:
    body: bytes
    content_type: str
    errors: int


def render_metrics(
    state: FinanceState, *, clock: Callable[[], float] = time.perf_counter
) -> Exposition:
    """A fresh registry per scrape: no value can leak from one scrape or instance to another."""
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
    from prometheus_client.core import GaugeMetricFamily

    started = clock()
    finance = FinanceCollector(state)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(finance)
    body = generate_latest(registry)

    class _ScrapeHealth:
        def collect(self) -> Iterator[Any]:
            yield GaugeMetricFamily(
                "crm_metrics_scrape_duration_seconds",
                "Time this scrape took to build",
                value=clock() - started,
            )
            yield GaugeMetricFamily(
                "crm_metrics_scrape_errors",
                "Collectors that failed in this scrape",
                value=finance.errors,
            )

    health = CollectorRegistry(auto_describe=False)
    health.register(_ScrapeHealth())
    return Exposition(body + generate_latest(health), CONTENT_TYPE_LATEST, finance.errors)
