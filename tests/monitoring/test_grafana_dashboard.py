"""The committed Grafana dashboard is the generator's output and shows what the runbook names."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "monitoring" / "grafana"
GENERATOR = GRAFANA / "dashboard.py"
COMMITTED = GRAFANA / "peakpro_crm_kpis.json"
CONTRACT = ROOT / "docs" / "metrics-contract.md"
RUNBOOK = ROOT / "docs" / "runbook.md"
RECORDING_RULES = ROOT / "monitoring" / "prometheus-recording-rules.yml"
PROVISIONING = GRAFANA / "provisioning"

# Panels the runbook sends people to, with the visualisation it describes.
RUNBOOK_PANELS = {
    "Invoice Payment Rate (30d)": "gauge",  # "gauge shows red/orange"
    "Revenue (7 days)": "timeseries",  # "chart flat-lines"
    "Invoices Created (24h)": "stat",  # "panel shows 0"
}
RECORDING_RULES_USED = {
    "crm:payment_rate_30d_pct",
    "slo:current_burn_rate:ratio",
    "slo:error_budget:ratio",
    "slo:objective:ratio",
}
SLI_ERROR_RULE = re.compile(r"slo:sli_error:ratio_rate\d+[smhdwy]")
# Series that Prometheus itself (up) and the blackbox exporter (job blackbox_tcp) produce.
EXTERNAL_SERIES = {"up", "probe_success", "probe_duration_seconds"}
PROMQL_KEYWORDS = {
    "bool",
    "and",
    "or",
    "unless",
    "offset",
    "inf",
    "nan",
    "group_left",
    "group_right",
    "by",
    "without",
    "on",
    "ignoring",
}


def _load_generator() -> ModuleType:
    # By path: pytest puts tests/ on sys.path, where tests/monitoring would shadow monitoring/.
    spec = importlib.util.spec_from_file_location("crm_grafana_dashboard", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    return _load_generator()


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    return json.loads(COMMITTED.read_text(encoding="utf-8"))


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for panel in dashboard["panels"]:
        out.append(panel)
        out.extend(panel.get("panels", []))  # collapsed rows keep their panels inside
    return out


def _exprs(dashboard: dict[str, Any]) -> list[str]:
    return [t["expr"] for p in _panels(dashboard) for t in p.get("targets", [])]


def _contract() -> dict[str, set[str]]:
    """metric -> its labels, from the table in docs/metrics-contract.md."""
    rows = re.findall(
        r"^\| `([a-z_:][a-z0-9_:]*)` \| \w+ \| ([^|]*) \|", CONTRACT.read_text(), re.MULTILINE
    )
    assert rows, "no metrics found in docs/metrics-contract.md"
    return {name: set(re.findall(r"[a-z_]+", labels)) - {"none"} for name, labels in rows}


def metric_names(expr: str) -> set[str]:
    """Metric names a PromQL expression selects (functions, keywords, labels excluded)."""
    s = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    s = re.sub(r"\{[^}]*\}", " ", s)
    s = re.sub(r"\[[^\]]*\]", " ", s)
    s = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", s)
    s = re.sub(r"\$\{?\w+\}?", " ", s)
    names = set()
    for m in re.finditer(r"(?<![\w.])[A-Za-z_:][A-Za-z0-9_:]*", s):
        if s[m.end() :].lstrip().startswith("(") or m.group(0).lower() in PROMQL_KEYWORDS:
            continue
        names.add(m.group(0))
    return names


def selectors(expr: str, metric: str) -> list[str]:
    """The label-matcher text of every occurrence of ``metric`` in ``expr`` ('' if bare)."""
    pattern = rf"(?<![\w:]){re.escape(metric)}(?![\w:])(\{{[^}}]*\}})?"
    return [m.group(1) or "" for m in re.finditer(pattern, expr)]


def test_metric_names_parser() -> None:
    expr = (
        'sum by (org_id) (increase(crm_a_total{org_id=~"$org_id"}[1d])) / 100'
        " - on(sloth_slo) group_left slo:x:ratio_rate1h * (time() - b > bool 0)"
    )
    assert metric_names(expr) == {"crm_a_total", "slo:x:ratio_rate1h", "b"}


def test_committed_json_is_what_the_generator_writes_now(generator: ModuleType) -> None:
    text = COMMITTED.read_text(encoding="utf-8")
    assert text == generator.render(), (
        "monitoring/grafana/peakpro_crm_kpis.json is stale: "
        "run .venv/bin/python -m monitoring.grafana.dashboard"
    )
    assert text.endswith("}\n")
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def test_generator_is_deterministic(generator: ModuleType) -> None:
    assert generator.render() == generator.render()


def test_dashboard_identity(dashboard: dict[str, Any]) -> None:
    assert dashboard["uid"] == "peakpro_crm_kpis"
    assert dashboard["title"].startswith("PeakPro CRM")
    assert dashboard["refresh"] == "1m"
    assert dashboard["time"] == {"from": "now-7d", "to": "now"}


def test_org_variable(dashboard: dict[str, Any]) -> None:
    (var,) = [v for v in dashboard["templating"]["list"] if v["name"] == "org_id"]
    assert var["type"] == "query"
    assert var["query"] == "label_values(crm_invoices_generated_total, org_id)"
    assert var["multi"] is True
    assert var["includeAll"] is True


@pytest.mark.parametrize(("title", "panel_type"), sorted(RUNBOOK_PANELS.items()))
def test_runbook_panel_exists(dashboard: dict[str, Any], title: str, panel_type: str) -> None:
    matches = [p for p in _panels(dashboard) if p.get("title") == title]
    assert len(matches) == 1, f"expected exactly one panel titled {title!r}"
    assert matches[0]["type"] == panel_type


def test_panels_named_in_docs_runbook_exist(dashboard: dict[str, Any]) -> None:
    if not RUNBOOK.exists():
        pytest.skip("docs/runbook.md not written yet")
    named = set(re.findall(r'Grafana\s+"([^"]+)"', RUNBOOK.read_text(encoding="utf-8")))
    titles = {p.get("title") for p in _panels(dashboard)}
    assert named - titles == set()


def test_payment_rate_gauge(dashboard: dict[str, Any]) -> None:
    (panel,) = [p for p in _panels(dashboard) if p.get("title") == "Invoice Payment Rate (30d)"]
    assert [t["expr"] for t in panel["targets"]] == ["crm:payment_rate_30d_pct"]
    defaults = panel["fieldConfig"]["defaults"]
    assert defaults["unit"] == "percent"
    steps = [(s["value"], s["color"]) for s in defaults["thresholds"]["steps"]]
    assert steps == [(None, "red"), (50, "orange"), (85, "green")]


def test_revenue_and_invoice_queries(dashboard: dict[str, Any]) -> None:
    by_title = {p.get("title"): p for p in _panels(dashboard)}
    revenue = by_title["Revenue (7 days)"]
    exprs = [t["expr"] for t in revenue["targets"]]
    assert any(
        re.fullmatch(r"sum\(increase\(crm_invoice_payments_cents_total\{[^}]*\}\[1d\]\)\) / 100", e)
        for e in exprs
    )
    assert any("crm_stripe_payments_cents_total" in e for e in exprs)
    assert revenue["fieldConfig"]["defaults"]["unit"] == "currencyUSD"
    assert revenue["timeFrom"] == "7d"
    (created,) = [t["expr"] for t in by_title["Invoices Created (24h)"]["targets"]]
    assert re.fullmatch(r"sum\(increase\(crm_invoices_generated_total\{[^}]*\}\[24h\]\)\)", created)


def test_burn_rate_series_match_runbook_names(dashboard: dict[str, Any]) -> None:
    legends = {t.get("legendFormat") for p in _panels(dashboard) for t in p.get("targets", [])}
    assert {"burn_1h", "burn_6h"} <= legends


def test_every_query_uses_only_contract_metrics_and_known_rules(
    dashboard: dict[str, Any],
) -> None:
    allowed = set(_contract()) | RECORDING_RULES_USED | EXTERNAL_SERIES
    exprs = _exprs(dashboard)
    assert exprs
    for expr in exprs:
        names = metric_names(expr)
        assert names, f"no metric in {expr!r}"
        unknown = {n for n in names if n not in allowed and not SLI_ERROR_RULE.fullmatch(n)}
        assert not unknown, f"{expr!r} uses {sorted(unknown)}"
    for var in dashboard["templating"]["list"]:
        m = re.fullmatch(r"label_values\((\w+),\s*(\w+)\)", var["query"])
        assert m and m.group(1) in allowed and m.group(2) in _contract()[m.group(1)]


def test_selectors_filter_by_org_and_slo(dashboard: dict[str, Any]) -> None:
    per_org = {name for name, labels in _contract().items() if "org_id" in labels}
    for expr in _exprs(dashboard):
        for name in metric_names(expr):
            for sel in selectors(expr, name):
                if name in per_org:
                    assert 'org_id=~"$org_id"' in sel, f"{name} unfiltered in {expr!r}"
                if name.startswith("slo:"):
                    assert 'sloth_slo="payment-rate"' in sel, f"{name} in {expr!r}"
                if name.startswith("probe_"):
                    assert 'job="blackbox_tcp"' in sel, f"{name} in {expr!r}"


def test_recording_rules_used_are_defined() -> None:
    if not RECORDING_RULES.exists():
        pytest.skip("monitoring/prometheus-recording-rules.yml not written yet")
    rules = yaml.safe_load(RECORDING_RULES.read_text(encoding="utf-8"))
    recorded = {r["record"] for g in rules["groups"] for r in g["rules"] if "record" in r}
    used = {
        n
        for e in _exprs(json.loads(COMMITTED.read_text(encoding="utf-8")))
        for n in metric_names(e)
        if ":" in n
    }
    assert used - recorded == set()


def test_every_query_parses_with_promtool(dashboard: dict[str, Any], tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool not installed")
    exprs = [e.replace("$org_id", ".*") for e in _exprs(dashboard)]
    rules = [{"record": f"dashboard:expr{i}", "expr": e} for i, e in enumerate(exprs)]
    path = tmp_path / "dashboard-exprs.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_panel_layout(dashboard: dict[str, Any]) -> None:
    panels = _panels(dashboard)
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))
    cells: set[tuple[int, int]] = set()
    for p in panels:
        g = p["gridPos"]
        assert g["x"] >= 0 and g["w"] > 0 and g["x"] + g["w"] <= 24, p["title"]
        own = {
            (x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])
        }
        assert not own & cells, f"{p['title']} overlaps another panel"
        cells |= own


def test_provisioning(dashboard: dict[str, Any]) -> None:
    ds = yaml.safe_load((PROVISIONING / "datasources" / "prometheus.yml").read_text())
    (prom,) = ds["datasources"]
    assert prom["type"] == "prometheus"
    assert prom["url"] == "http://127.0.0.1:9099"
    refs = [p["datasource"] for p in _panels(dashboard) if "datasource" in p]
    refs += [t["datasource"] for p in _panels(dashboard) for t in p.get("targets", [])]
    assert refs and all(r == {"type": "prometheus", "uid": prom["uid"]} for r in refs)
    providers = yaml.safe_load((PROVISIONING / "dashboards" / "crm-finance.yml").read_text())
    (provider,) = providers["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"]
