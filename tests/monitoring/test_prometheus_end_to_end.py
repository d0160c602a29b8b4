"""A real Prometheus scrapes the local stack's /metrics with the project's rules loaded.

What the test does through the API must show up in the counters and in
``crm:payment_rate_30d_pct`` exactly as the recording rule computes it.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import yaml

from crm_finance.devstack import stripe_fixtures
from crm_finance.devstack.monitoring_stack import fast_rule_files
from crm_finance.devstack.paths import repo_root

MONITORING = repo_root() / "monitoring"
pytestmark = pytest.mark.skipif(
    shutil.which("prometheus") is None, reason="prometheus not installed"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def eventually(check: Callable[[], Any], *, timeout: float = 30.0) -> Any:
    """Bounded polling of an external process that offers no way to be notified."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = check()
            if result:
                return result
        except (requests.RequestException, AssertionError, KeyError, IndexError):
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(0.25)


class Prometheus:
    def __init__(self, url: str) -> None:
        self.url = url

    def query(self, promql: str) -> list[dict]:
        response = requests.get(f"{self.url}/api/v1/query", params={"query": promql}, timeout=5)
        response.raise_for_status()
        return list(response.json()["data"]["result"])

    def value(self, promql: str) -> float | None:
        result = self.query(promql)
        return float(result[0]["value"][1]) if result else None


@pytest.fixture
def prometheus(stack, tmp_path: Path) -> Iterator[Prometheus]:
    api = urlsplit(stack.info["api_url"])
    token_file = tmp_path / "metrics-token"
    token_file.write_text(stack.info["metrics_token"])
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": fast_rule_files(MONITORING, tmp_path),
        "scrape_configs": [
            {
                "job_name": "crm-api",
                "metrics_path": "/metrics",
                "authorization": {"type": "Bearer", "credentials_file": str(token_file)},
                "static_configs": [{"targets": [api.netloc]}],
            }
        ],
    }
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = _free_port()
    process = subprocess.Popen(
        [
            "prometheus",
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "prometheus.log").open("w"),
    )
    prom = Prometheus(f"http://127.0.0.1:{port}")
    try:
        eventually(lambda: prom.value('up{job="crm-api"}') == 1)
        yield prom
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_counters_and_payment_rate_match_what_happened(api, stack, prometheus) -> None:
    org_id, token = stack.add_org("Observed Org")
    headers = {"authorization": f"Bearer {token}"}
    org = f'org_id="{org_id}"'
    eventually(lambda: prometheus.value(f"crm_invoices_generated_total{{{org}}}") == 0)

    leads = [
        api.create_lead(amount_cents=10_000, email=f"obs{i}@example.com", org_headers=headers)
        for i in range(4)
    ]
    for i, lead in enumerate(leads):
        cents = 10_000 if i < 3 else 2_500  # three paid in full, one deposit
        api.webhook(
            stripe_fixtures.payment_intent_succeeded(
                f"evt_obs_{org_id}_{i}",
                f"pi_obs_{org_id}_{i}",
                amount_cents=cents,
                metadata={"org_id": str(org_id), "lead_id": str(lead)},
            )
        )
    stack.event_source.drain()

    eventually(lambda: prometheus.value(f"crm_invoice_payments_cents_total{{{org}}}") == 32_500)
    assert prometheus.value(f"crm_invoices_generated_total{{{org}}}") == 4
    assert prometheus.value(f"crm_invoices_paid_total{{{org}}}") == 3
    assert prometheus.value(f"crm_qbo_connected{{{org}}}") == 1

    rate = eventually(lambda: prometheus.value("crm:payment_rate_30d_pct"))
    assert rate == pytest.approx(75.0, abs=0.01), json.dumps(
        prometheus.query("crm:payment_rate_30d_pct")
    )
