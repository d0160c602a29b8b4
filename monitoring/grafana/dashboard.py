"""Grafana dashboard "PeakPro CRM — Finance KPIs" (uid ``peakpro_crm_kpis``) as code.

Built with grafana-foundation-sdk builders; the JSON next to this file is the generated,
committed output that Grafana provisions (see ``provisioning/``). Regenerate it after any edit:

    .venv/bin/python -m monitoring.grafana.dashboard            # writes peakpro_crm_kpis.json
    .venv/bin/python -m monitoring.grafana.dashboard --check    # exit 1 if the file is stale

Every query reads the series of ``docs/metrics-contract.md``, the recording rules
``crm:payment_rate_30d_pct`` and Sloth's ``slo:*`` rules for ``sloth_slo="payment-rate"``,
Prometheus' own ``up`` and the blackbox exporter's ``probe_*`` series of job ``blackbox_tcp``.
Panel titles that the runbook names ("Invoice Payment Rate (30d)", "Revenue (7 days)",
"Invoices Created (24h)") must not change: on-call people look them up by name.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.builders import gauge, prometheus, stat, timeseries
from grafana_foundation_sdk.builders.common import (
    GraphThresholdsStyleConfig,
    ReduceDataOptions,
    VizLegendOptions,
    VizTooltipOptions,
)
from grafana_foundation_sdk.builders.dashboard import (
    Dashboard,
    QueryVariable,
    Row,
    ThresholdsConfig,
)
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.common import (
    BigValueColorMode,
    BigValueGraphMode,
    BigValueTextMode,
    GraphDrawStyle,
    GraphThresholdsStyleMode,
    LegendDisplayMode,
    LegendPlacement,
    SortOrder,
    TooltipDisplayMode,
)
from grafana_foundation_sdk.models.dashboard import (
    DashboardCursorSync,
    DataSourceRef,
    DynamicConfigValue,
    Threshold,
    ThresholdsMode,
    ValueMap,
    ValueMappingResult,
    VariableOption,
    VariableRefresh,
    VariableSort,
)

UID = "peakpro_crm_kpis"
TITLE = "PeakPro CRM — Finance KPIs"
OUTPUT = Path(__file__).resolve().with_name(f"{UID}.json")

# Must match monitoring/grafana/provisioning/datasources/prometheus.yml.
DATASOURCE = DataSourceRef(type_val="prometheus", uid="prometheus")

ORG = 'org_id=~"$org_id"'  # every per-org series is filtered by the dashboard variable
SLO = 'sloth_slo="payment-rate"'
TCP = 'job="blackbox_tcp"'

# Runbook thresholds.
PAYMENT_RATE_HEALTHY_PCT = 50  # LowInvoicePaymentRate fires below this
PAYMENT_RATE_EXCELLENT_PCT = 85
BURN_FAST = 2  # PaymentRateSLOBurnFast: burn_1h > 2
BURN_SLOW = 1  # PaymentRateSLOBurnSlow: burn_6h > 1
BUDGET_LOW = 0.5  # PaymentRateErrorBudgetLow: remaining < 50%
BUDGET_CRITICAL = 0.25  # PaymentRateErrorBudgetCritical: remaining < 25%
TCP_LATENCY_HIGH_S = 0.25  # TcpLatencyHigh
TCP_FLAPS = 4  # TcpEndpointFlapping: >= 4 changes in 10m
POLL_INTERVAL_S = 30 * 60  # EventBridge schedule of the invoice poller

CONNECTED_MAPPING = ValueMap(
    options={
        "0": ValueMappingResult(text="Disconnected", color="red", index=1),
        "1": ValueMappingResult(text="Connected", color="green", index=0),
    }
)
UP_MAPPING = ValueMap(
    options={
        "0": ValueMappingResult(text="Down", color="red", index=1),
        "1": ValueMappingResult(text="Up", color="green", index=0),
    }
)


# --- helpers ---------------------------------------------------------------------------------


def query(expr: str, legend: str = "", *, ref: str = "A", instant: bool = False) -> Any:
    q = prometheus.Dataquery().expr(expr).ref_id(ref).datasource(DATASOURCE)
    if legend:
        q = q.legend_format(legend)
    return q.instant() if instant else q.range()


def steps(base: str, *rest: tuple[float, str]) -> ThresholdsConfig:
    """Absolute thresholds: ``base`` colour below the first step, then (value, colour) pairs."""
    return (
        ThresholdsConfig()
        .mode(ThresholdsMode.ABSOLUTE)
        .steps([Threshold(value=None, color=base)] + [Threshold(v, c) for v, c in rest])
    )


def last_value() -> ReduceDataOptions:
    return ReduceDataOptions().calcs(["lastNotNull"]).values(False)


def color(name: str) -> list[DynamicConfigValue]:
    return [DynamicConfigValue(id_val="color", value={"fixedColor": name, "mode": "fixed"})]


def stat_panel(title: str, description: str, w: int = 6, h: int = 5) -> stat.Panel:
    return (
        stat.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .span(w)
        .height(h)
        .reduce_options(last_value())
        .graph_mode(BigValueGraphMode.NONE)
        .color_mode(BigValueColorMode.VALUE)
    )


def series_panel(title: str, description: str, w: int = 12, h: int = 8) -> timeseries.Panel:
    return (
        timeseries.Panel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .span(w)
        .height(h)
        .legend(
            VizLegendOptions()
            .display_mode(LegendDisplayMode.LIST)
            .placement(LegendPlacement.BOTTOM)
            .show_legend(True)
        )
        .tooltip(VizTooltipOptions().mode(TooltipDisplayMode.MULTI).sort(SortOrder.DESCENDING))
        .line_width(2)
        .fill_opacity(10)
    )


def dashed_thresholds(panel: timeseries.Panel) -> timeseries.Panel:
    return panel.thresholds_style(
        GraphThresholdsStyleConfig().mode(GraphThresholdsStyleMode.DASHED)
    )


def slo_rate(window: str) -> str:
    return f"slo:sli_error:ratio_rate{window}{{{SLO}}}"


def burn(window: str) -> str:
    """Sloth's burn rate for a window: error ratio over the window / error budget (1 - SLO)."""
    return f"{slo_rate(window)} / on(sloth_slo) slo:error_budget:ratio{{{SLO}}}"


# --- panels ----------------------------------------------------------------------------------


def finance_panels() -> list[Any]:
    payment_rate = (
        gauge.Panel()
        .title("Invoice Payment Rate (30d)")
        .description(
            "Invoices paid / invoices generated over 30 days (recording rule "
            "crm:payment_rate_30d_pct). LowInvoicePaymentRate fires below 50% for 24h; "
            ">= 50% is healthy, >= 85% excellent."
        )
        .datasource(DATASOURCE)
        .with_target(query("crm:payment_rate_30d_pct"))
        .unit("percent")
        .decimals(1)
        .min(0)
        .max(100)
        .thresholds(
            steps(
                "red",
                (PAYMENT_RATE_HEALTHY_PCT, "orange"),
                (PAYMENT_RATE_EXCELLENT_PCT, "green"),
            )
        )
        .reduce_options(last_value())
        .show_threshold_markers(True)
        .show_threshold_labels(False)
        .span(6)
        .height(8)
    )
    invoices_24h = (
        stat_panel(
            "Invoices Created (24h)",
            "QBO invoices generated for CRM proposals in the last 24 hours. "
            "InvoiceGenerationStalled fires when this stays 0 during business hours.",
            h=8,
        )
        .with_target(
            query(f"sum(increase(crm_invoices_generated_total{{{ORG}}}[24h]))", instant=True)
        )
        .unit("short")
        .decimals(0)
        .thresholds(steps("red", (1, "green")))
    )
    revenue_48h = (
        stat_panel(
            "Revenue (48h)",
            "Money applied to CRM invoices in QBO over 48 hours. RevenueZeroStreak fires "
            "when this is 0.",
            h=8,
        )
        .with_target(
            query(
                f"sum(increase(crm_invoice_payments_cents_total{{{ORG}}}[48h])) / 100",
                instant=True,
            )
        )
        .unit("currencyUSD")
        .decimals(2)
        .thresholds(steps("red", (0.01, "green")))
    )
    last_invoice = (
        stat_panel(
            "Time Since Last Invoice",
            "Age of the newest generated invoice (crm_last_invoice_generated_timestamp_seconds).",
            h=8,
        )
        .with_target(
            query(
                f"time() - max(crm_last_invoice_generated_timestamp_seconds{{{ORG}}} > 0)",
                instant=True,
            )
        )
        .unit("s")
        .decimals(0)
        .no_value("Never")
        .thresholds(steps("green", (86400, "orange"), (2 * 86400, "red")))
    )
    revenue_7d = (
        series_panel(
            "Revenue (7 days)",
            "Dollars per day: money applied to CRM invoices in QBO (Stripe and cheques), "
            "with the Stripe money processed by the invoice worker as a cross-check. "
            "A flat line at 0 is what RevenueZeroStreak reports.",
            w=12,
            h=9,
        )
        .with_target(
            query(
                f"sum(increase(crm_invoice_payments_cents_total{{{ORG}}}[1d])) / 100",
                "Revenue (QBO payments)",
            )
        )
        .with_target(
            query(
                f"sum(increase(crm_stripe_payments_cents_total{{{ORG}}}[1d])) / 100",
                "Stripe (cross-check)",
                ref="B",
            )
        )
        .time_from("7d")
        .interval("1d")
        .unit("currencyUSD")
        .decimals(2)
        .min(0)
        .draw_style(GraphDrawStyle.BARS)
        .fill_opacity(60)
        .override_by_name("Revenue (QBO payments)", color("green"))
        .override_by_name(
            "Stripe (cross-check)",
            [
                *color("blue"),
                DynamicConfigValue(id_val="custom.drawStyle", value="line"),
                DynamicConfigValue(id_val="custom.fillOpacity", value=0),
                DynamicConfigValue(id_val="custom.showPoints", value="always"),
            ],
        )
    )
    generated_vs_paid = (
        series_panel(
            "Invoices Generated vs Paid (per day)",
            "If paid grows slower than generated, the 30-day payment rate drops.",
            w=12,
            h=9,
        )
        .with_target(
            query(f"sum(increase(crm_invoices_generated_total{{{ORG}}}[1d]))", "generated")
        )
        .with_target(query(f"sum(increase(crm_invoices_paid_total{{{ORG}}}[1d]))", "paid", ref="B"))
        .interval("1d")
        .unit("short")
        .decimals(0)
        .min(0)
        .draw_style(GraphDrawStyle.BARS)
        .fill_opacity(60)
        .override_by_name("generated", color("blue"))
        .override_by_name("paid", color("green"))
    )
    open_invoices = (
        stat_panel("Open Invoices", "Invoices Open or Partial in QBO.", w=4, h=7)
        .with_target(query(f"sum(crm_open_invoices{{{ORG}}})"))
        .graph_mode(BigValueGraphMode.AREA)
        .unit("short")
        .decimals(0)
        .thresholds(steps("blue"))
    )
    outstanding = (
        stat_panel("Outstanding Balance", "Sum of the open invoices' balances.", w=4, h=7)
        .with_target(query(f"sum(crm_outstanding_balance_cents{{{ORG}}}) / 100"))
        .graph_mode(BigValueGraphMode.AREA)
        .unit("currencyUSD")
        .decimals(2)
        .thresholds(steps("blue"))
    )
    outstanding_by_org = (
        series_panel(
            "Outstanding Balance by Org",
            "Balance of the Open and Partial invoices, per org.",
            w=16,
            h=7,
        )
        .with_target(
            query(
                f"sum by (org_id) (crm_outstanding_balance_cents{{{ORG}}}) / 100",
                "org {{org_id}}",
            )
        )
        .unit("currencyUSD")
        .min(0)
    )
    return [
        payment_rate,
        invoices_24h,
        revenue_48h,
        last_invoice,
        revenue_7d,
        generated_vs_paid,
        open_invoices,
        outstanding,
        outstanding_by_org,
    ]


def slo_panels() -> list[Any]:
    burn_rate = dashed_thresholds(
        series_panel(
            "Payment-rate SLO Burn Rate",
            "Error-budget burn rate of SLO payment-rate. PaymentRateSLOBurnFast: burn_1h > 2 "
            "for 30m; PaymentRateSLOBurnSlow: burn_6h > 1 for 2h. 1 = budget spent exactly "
            "over the SLO period.",
            w=12,
        )
        .with_target(query(burn("1h"), "burn_1h"))
        .with_target(query(burn("6h"), "burn_6h", ref="B"))
        .with_target(query(f"slo:current_burn_rate:ratio{{{SLO}}}", "burn_current", ref="C"))
        .unit("none")
        .decimals(2)
        .min(0)
        .thresholds(steps("green", (BURN_SLOW, "orange"), (BURN_FAST, "red")))
        .override_by_name("burn_1h", color("red"))
        .override_by_name("burn_6h", color("orange"))
        .override_by_name(
            "burn_current",
            [*color("text"), DynamicConfigValue(id_val="custom.lineWidth", value=1)],
        )
    )
    budget = (
        stat_panel(
            "Error Budget Remaining (30d)",
            "Share of the 30-day error budget of SLO payment-rate still unspent: "
            "1 - SLI error ratio (30d) / error budget. PaymentRateErrorBudgetLow below 50%, "
            "PaymentRateErrorBudgetCritical below 25%; negative means overspent.",
            h=8,
        )
        .with_target(query(f"1 - ({burn('30d')})"))
        .graph_mode(BigValueGraphMode.AREA)
        .color_mode(BigValueColorMode.BACKGROUND)
        .unit("percentunit")
        .decimals(1)
        .thresholds(steps("red", (BUDGET_CRITICAL, "orange"), (BUDGET_LOW, "green")))
    )
    current_burn = (
        stat_panel(
            "Current Burn Rate",
            "slo:current_burn_rate:ratio of SLO payment-rate (shortest Sloth window).",
            h=8,
        )
        .with_target(query(f"slo:current_burn_rate:ratio{{{SLO}}}"))
        .graph_mode(BigValueGraphMode.AREA)
        .unit("none")
        .decimals(2)
        .thresholds(steps("green", (BURN_SLOW, "orange"), (BURN_FAST, "red")))
    )
    sli = dashed_thresholds(
        series_panel(
            "Payment-rate SLI vs Objective",
            "SLI of SLO payment-rate (1 - error ratio) against its objective.",
            w=24,
        )
        .with_target(query(f"1 - {slo_rate('1h')}", "SLI (1h)"))
        .with_target(query(f"1 - {slo_rate('30d')}", "SLI (30d)", ref="B"))
        .with_target(query(f"slo:objective:ratio{{{SLO}}}", "objective", ref="C"))
        .unit("percentunit")
        .decimals(1)
        .min(0)
        .max(1)
        .override_by_name("SLI (1h)", color("blue"))
        .override_by_name("SLI (30d)", color("green"))
        .override_by_name(
            "objective",
            [
                *color("red"),
                DynamicConfigValue(
                    id_val="custom.lineStyle", value={"dash": [10, 10], "fill": "dash"}
                ),
                DynamicConfigValue(id_val="custom.fillOpacity", value=0),
            ],
        )
    )
    return [burn_rate, budget, current_burn, sli]


def poller_qbo_panels() -> list[Any]:
    since_poll = (
        stat_panel(
            "Time Since Last Successful Poll",
            "Per org, since the end of the last successful invoice poll (scheduled every "
            "30 minutes). Orange after 2 missed runs, red after 4.",
        )
        .with_target(
            query(
                "time() - max by (org_id) "
                f"(crm_poller_last_success_timestamp_seconds{{{ORG}}} > 0)",
                "org {{org_id}}",
                instant=True,
            )
        )
        .unit("s")
        .decimals(0)
        .no_value("Never")
        .text_mode(BigValueTextMode.VALUE_AND_NAME)
        .thresholds(steps("green", (2 * POLL_INTERVAL_S, "orange"), (4 * POLL_INTERVAL_S, "red")))
    )
    poll_runs = (
        series_panel(
            "Poll Runs by Outcome",
            "Invoice poller runs per hour, by outcome (ok, failed, skipped).",
            w=10,
            h=5,
        )
        .with_target(
            query(
                f"sum by (outcome) (increase(crm_poller_runs_total{{{ORG}}}[1h]))",
                "{{outcome}}",
            )
        )
        .unit("short")
        .axis_label("runs / h")
        .min(0)
        .override_by_name("ok", color("green"))
        .override_by_name("failed", color("red"))
        .override_by_name("skipped", color("orange"))
    )
    connected = (
        stat_panel(
            "QBO Connection",
            "Per org: whether the QuickBooks connection is usable (crm_qbo_connected).",
            w=4,
        )
        .with_target(
            query(
                f"max by (org_id) (crm_qbo_connected{{{ORG}}})",
                "org {{org_id}}",
                instant=True,
            )
        )
        .mappings([CONNECTED_MAPPING])
        .color_mode(BigValueColorMode.BACKGROUND)
        .text_mode(BigValueTextMode.VALUE_AND_NAME)
        .thresholds(steps("red", (1, "green")))
    )
    token_expiry = (
        stat_panel(
            "QBO Refresh Token Expiry (days)",
            "Per org, days until the QBO refresh token expires (they live 100 days). "
            "Reconnect via /qbo/oauth/start before it reaches 0.",
            w=4,
        )
        .with_target(
            query(
                "(max by (org_id) "
                f"(crm_qbo_refresh_token_expiry_timestamp_seconds{{{ORG}}} > 0) - time()) / 86400",
                "org {{org_id}}",
                instant=True,
            )
        )
        .unit("none")
        .decimals(1)
        .no_value("Unknown")
        .text_mode(BigValueTextMode.VALUE_AND_NAME)
        .thresholds(steps("red", (7, "orange"), (30, "green")))
    )
    return [since_poll, poll_runs, connected, token_expiry]


def stripe_panels() -> list[Any]:
    events = (
        series_panel(
            "Stripe Webhook Events by Outcome",
            "Stripe events stored per hour: received (all stored), processed, ignored, rejected.",
            w=16,
        )
        .with_target(
            query(
                "sum by (outcome) (increase(crm_stripe_webhook_events_total[1h]))",
                "{{outcome}}",
            )
        )
        .unit("short")
        .axis_label("events / h")
        .min(0)
        .override_by_name("received", color("blue"))
        .override_by_name("processed", color("green"))
        .override_by_name("ignored", color("text"))
        .override_by_name("rejected", color("red"))
    )
    backlog = (
        stat_panel(
            "Oldest Unprocessed Stripe Event",
            "How long the oldest stored Stripe event has waited for the invoice worker; "
            "0 when nothing is waiting.",
            w=8,
            h=8,
        )
        .with_target(
            query(
                "(time() - crm_stripe_webhook_oldest_unprocessed_timestamp_seconds)"
                " * (crm_stripe_webhook_oldest_unprocessed_timestamp_seconds > bool 0)"
            )
        )
        .graph_mode(BigValueGraphMode.AREA)
        .unit("s")
        .decimals(0)
        .thresholds(steps("green", (300, "orange"), (900, "red")))
    )
    return [events, backlog]


def scrape_probe_panels() -> list[Any]:
    target_up = (
        stat_panel(
            "CRM /metrics Target",
            "Whether Prometheus scrapes job crm-api (up).",
            w=4,
        )
        .with_target(query('min(up{job="crm-api"})', instant=True))
        .mappings([UP_MAPPING])
        .color_mode(BigValueColorMode.BACKGROUND)
        .no_value("Not scraped")
        .thresholds(steps("red", (1, "green")))
    )
    scrape_errors = (
        stat_panel(
            "Metrics Scrape Errors",
            "Collectors that failed in the last /metrics scrape (0 when healthy).",
            w=4,
        )
        .with_target(query("max(crm_metrics_scrape_errors)", instant=True))
        .color_mode(BigValueColorMode.BACKGROUND)
        .unit("short")
        .decimals(0)
        .thresholds(steps("green", (1, "red")))
    )
    scrape_duration = (
        series_panel(
            "Metrics Scrape Duration",
            "Time the /metrics endpoint took to build its answer.",
            w=8,
            h=5,
        )
        .with_target(query("max(crm_metrics_scrape_duration_seconds)", "scrape duration"))
        .unit("s")
        .min(0)
    )
    probe_success = (
        stat_panel(
            "TCP Probe Success",
            "Blackbox TCP probe per instance (job blackbox_tcp). TcpEndpointDownFast fires "
            "after 2 minutes down.",
            w=8,
        )
        .with_target(query(f"probe_success{{{TCP}}}", "{{instance}}", instant=True))
        .mappings([UP_MAPPING])
        .color_mode(BigValueColorMode.BACKGROUND)
        .text_mode(BigValueTextMode.VALUE_AND_NAME)
        .thresholds(steps("red", (1, "green")))
    )
    probe_duration = dashed_thresholds(
        series_panel(
            "TCP Probe Duration",
            "probe_duration_seconds per instance; TcpLatencyHigh fires above 250 ms for 5m.",
            w=16,
        )
        .with_target(query(f"probe_duration_seconds{{{TCP}}}", "{{instance}}"))
        .unit("s")
        .min(0)
        .thresholds(steps("green", (TCP_LATENCY_HIGH_S, "red")))
    )
    probe_flaps = (
        stat_panel(
            "TCP Probe Flaps (10m)",
            "Changes of probe_success in 10 minutes; TcpEndpointFlapping fires at 4.",
            w=8,
            h=8,
        )
        .with_target(query(f"changes(probe_success{{{TCP}}}[10m])", "{{instance}}", instant=True))
        .unit("short")
        .decimals(0)
        .text_mode(BigValueTextMode.VALUE_AND_NAME)
        .thresholds(steps("green", (2, "orange"), (TCP_FLAPS, "red")))
    )
    return [target_up, scrape_errors, scrape_duration, probe_success, probe_duration, probe_flaps]


# --- dashboard -------------------------------------------------------------------------------


def org_variable() -> QueryVariable:
    return (
        QueryVariable("org_id")
        .label("Org")
        .description("CRM org (org_id label)")
        .datasource(DATASOURCE)
        .query("label_values(crm_invoices_generated_total, org_id)")
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.NUMERICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(".*")
        .current(VariableOption(selected=True, text=["All"], value=["$__all"]))
    )


def build() -> Any:
    """The dashboard model (grafana_foundation_sdk.models.dashboard.Dashboard)."""
    builder = (
        Dashboard(TITLE)
        .uid(UID)
        .description(
            "CRM finance pipeline: Stripe -> QuickBooks Online invoices and payments, invoice "
            "poller, payment-rate SLO, /metrics and TCP probes. Panels are referenced by the "
            "CRM finance alerts runbook."
        )
        .tags(["crm-finance", "finance", "slo"])
        .editable()
        .tooltip(DashboardCursorSync.CROSSHAIR)
        .refresh("1m")
        .time("now-7d", "now")
        .timezone("browser")
        .with_variable(org_variable())
    )
    sections = [
        ("Finance KPIs", finance_panels()),
        ("Payment-rate SLO", slo_panels()),
        ("Invoice poller & QuickBooks", poller_qbo_panels()),
        ("Stripe webhooks", stripe_panels()),
        ("Metrics endpoint & TCP probes", scrape_probe_panels()),
    ]
    for title, panels in sections:
        builder = builder.with_row(Row(title))
        for panel in panels:
            builder = builder.with_panel(panel)
    model = builder.build()
    # Stable panel ids (links like ?viewPanel=N keep working across regenerations).
    for panel_id, panel in enumerate(model.panels, start=1):
        panel.id_val = panel_id
    return model


def as_dict() -> dict[str, Any]:
    return json.loads(json.dumps(build(), cls=JSONEncoder))


def render() -> str:
    """The committed file's exact content: sorted keys, 2-space indent, trailing newline."""
    return json.dumps(as_dict(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the JSON is stale")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is stale; run: python -m monitoring.grafana.dashboard")
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
