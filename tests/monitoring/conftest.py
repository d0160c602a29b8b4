"""Shared helpers of the monitoring tests: paths, the rule and config files, the tools.

Test modules get them through the ``mon`` fixture (this directory is not a package, so a
test cannot import this file), and ``alert_name`` is parametrized over every alert of
monitoring/prometheus-alerts.yml.

The tools (promtool, amtool, prometheus-blackbox-exporter) are Debian packages that CI
installs (.ci/run). A test that needs one is skipped, saying which, only when it is missing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "monitoring"
ALERT_RULES = MONITORING / "prometheus-alerts.yml"
RECORDING_RULES = MONITORING / "prometheus-recording-rules.yml"

# The ten alerts of the users' runbook (docs/runbook.md, the seed runbook, BRIEF.md).
RUNBOOK_ALERTS = frozenset(
    {
        "LowInvoicePaymentRate",
        "RevenueZeroStreak",
        "InvoiceGenerationStalled",
        "TcpEndpointDownFast",
        "TcpEndpointFlapping",
        "TcpLatencyHigh",
        "PaymentRateSLOBurnFast",
        "PaymentRateSLOBurnSlow",
        "PaymentRateErrorBudgetLow",
        "PaymentRateErrorBudgetCritical",
    }
)


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def rules_of(path: Path) -> list[dict[str, Any]]:
    return [rule for group in load_yaml(path)["groups"] for rule in group["rules"]]


def alert_rules() -> dict[str, dict[str, Any]]:
    return {r["alert"]: r for r in rules_of(ALERT_RULES) if "alert" in r}


def recording_rules() -> dict[str, dict[str, Any]]:
    return {r["record"]: r for r in rules_of(RECORDING_RULES) if "record" in r}


def contract_metrics() -> set[str]:
    text = (ROOT / "docs" / "metrics-contract.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\| `([a-z_:][a-z0-9_:]*)` \|", text, re.MULTILINE))


def run(*args: str, cwd: Path | None = None, timeout: float = 90) -> subprocess.CompletedProcess:
    return subprocess.run(
        list(args), capture_output=True, text=True, check=False, cwd=cwd, timeout=timeout
    )


@pytest.fixture(scope="session")
def mon() -> SimpleNamespace:
    return SimpleNamespace(
        ROOT=ROOT,
        MONITORING=MONITORING,
        PROMETHEUS_CONFIG=MONITORING / "prometheus.yml",
        RECORDING_RULES=RECORDING_RULES,
        ALERT_RULES=ALERT_RULES,
        ALERTMANAGER_CONFIG=MONITORING / "alertmanager.yml",
        BLACKBOX_CONFIG=MONITORING / "blackbox.yml",
        TEMPLATES=MONITORING / "templates",
        RULE_TESTS=sorted((MONITORING / "tests").glob("*.yml")),
        RUNBOOK=ROOT / "docs" / "runbook.md",
        SEED_RUNBOOK=Path("/work/shared/seed/crm-finance-alerts-runbook.md"),
        TEMPLATE=ROOT / "template.yaml",
        RUNBOOK_URL_BASE="https://github.com/peakpro/crm-finance/blob/main/docs/runbook.md",
        DASHBOARD_URL="http://localhost:3000/d/peakpro_crm_kpis",
        RUNBOOK_ALERTS=RUNBOOK_ALERTS,
        load_yaml=load_yaml,
        rules_of=rules_of,
        alert_rules=alert_rules,
        recording_rules=recording_rules,
        contract_metrics=contract_metrics,
        run=run,
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "alert_name" in metafunc.fixturenames:
        metafunc.parametrize("alert_name", sorted(alert_rules()))


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (CI installs it with apt, see .ci/run)")
    return path


@pytest.fixture(scope="session")
def promtool() -> str:
    return _tool("promtool")


@pytest.fixture(scope="session")
def amtool() -> str:
    return _tool("amtool")


@pytest.fixture(scope="session")
def blackbox_exporter_bin() -> str:
    return _tool("prometheus-blackbox-exporter")
