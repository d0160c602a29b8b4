"""Prometheus, Alertmanager and the blackbox exporter next to the local stack, when the
Debian packages are installed: the project's own rules and routes, local targets."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import yaml

from crm_finance.devstack.paths import repo_root

PROMETHEUS_PORT = 9099  # the runbook's port
ALERTMANAGER_PORT = 9093
BLACKBOX_PORT = 9115
INSTALL_HINT = (
    "install Debian's prometheus, prometheus-alertmanager and prometheus-blackbox-exporter "
    "(sudo apt-get install prometheus prometheus-alertmanager prometheus-blackbox-exporter)"
)


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def fast_rule_files(monitoring: Path, into: Path) -> list[str]:
    """Copies of the project's rule files with every group evaluated at the global
    interval, so that a local run sees the long-window groups (every 2m in production)."""
    copies = []
    for name in ("prometheus-recording-rules.yml", "prometheus-alerts.yml"):
        rules = yaml.safe_load((monitoring / name).read_text())
        for group in rules.get("groups", []):
            group.pop("interval", None)
        (into / name).write_text(yaml.safe_dump(rules, sort_keys=False))
        copies.append(str(into / name))
    return copies


def local_prometheus_config(
    monitoring: Path, stack_info: dict[str, Any], token_file: Path, rule_files: list[str]
) -> dict:
    """monitoring/prometheus.yml with local targets, a 1 s scrape and fast rule groups."""
    config = yaml.safe_load((monitoring / "prometheus.yml").read_text())
    api = urlsplit(stack_info["api_url"]).netloc
    qbo = urlsplit(stack_info["qbo"]["api_url"]).netloc
    config["global"] = {
        **config.get("global", {}),
        "scrape_interval": "1s",
        "scrape_timeout": "1s",
        "evaluation_interval": "1s",
    }
    config["rule_files"] = rule_files
    config["alerting"] = {
        "alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{ALERTMANAGER_PORT}"]}]}]
    }
    for job in config.get("scrape_configs", []):
        job.pop("scrape_interval", None)
        job.pop("scrape_timeout", None)
        if job.get("job_name") == "crm-api":
            job["static_configs"] = [{"targets": [api]}]
            job["scheme"] = "http"
            job["authorization"] = {"type": "Bearer", "credentials_file": str(token_file)}
        elif job.get("job_name") == "blackbox_tcp":
            job["static_configs"] = [{"targets": [api, qbo]}]
            for rule in job.get("relabel_configs", []):
                if rule.get("target_label") == "__address__":
                    rule["replacement"] = f"127.0.0.1:{BLACKBOX_PORT}"
    return config


class MonitoringStack:
    def __init__(self, stack: Any) -> None:
        self._stack = stack
        self._processes: list[subprocess.Popen] = []
        self._names: list[str] = []
        self._dir = Path(tempfile.mkdtemp(prefix="crm-monitoring-"))
        self.why_not = ""
        self.running = False
        self.prometheus_url = f"http://127.0.0.1:{PROMETHEUS_PORT}"
        self.alertmanager_url = f"http://127.0.0.1:{ALERTMANAGER_PORT}"
        self.blackbox_url = f"http://127.0.0.1:{BLACKBOX_PORT}"

    def start(self, timeout: float = 20.0) -> bool:
        binaries = ("prometheus", "prometheus-alertmanager", "prometheus-blackbox-exporter")
        missing = [b for b in binaries if shutil.which(b) is None]
        if missing:
            self.why_not = f"{', '.join(missing)} not found; {INSTALL_HINT}"
            return False
        busy = [p for p in (PROMETHEUS_PORT, ALERTMANAGER_PORT, BLACKBOX_PORT) if not _port_free(p)]
        if busy:
            self.why_not = f"port(s) {busy} already in use"
            return False
        monitoring = repo_root() / "monitoring"
        if not (monitoring / "prometheus.yml").exists():
            self.why_not = f"{monitoring / 'prometheus.yml'} not found"
            return False
        token_file = self._dir / "metrics-token"
        token_file.write_text(self._stack.info["metrics_token"])
        config = self._dir / "prometheus.yml"
        rules = fast_rule_files(monitoring, self._dir)
        config.write_text(
            yaml.safe_dump(local_prometheus_config(monitoring, self._stack.info, token_file, rules))
        )
        self._spawn(
            [
                "prometheus-blackbox-exporter",
                f"--config.file={monitoring / 'blackbox.yml'}",
                f"--web.listen-address=127.0.0.1:{BLACKBOX_PORT}",
            ],
            "blackbox",
        )
        self._spawn(
            [
                "prometheus-alertmanager",
                f"--config.file={monitoring / 'alertmanager.yml'}",
                f"--storage.path={self._dir / 'alertmanager'}",
                f"--web.listen-address=127.0.0.1:{ALERTMANAGER_PORT}",
                "--cluster.listen-address=",
            ],
            "alertmanager",
        )
        self._spawn(
            [
                "prometheus",
                f"--config.file={config}",
                f"--storage.tsdb.path={self._dir / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{PROMETHEUS_PORT}",
            ],
            "prometheus",
        )
        self.running = True
        try:
            if self._wait(self._scraping, timeout):
                return True
        except RuntimeError as exc:
            self.why_not = str(exc)
            self.stop(keep_logs=True)
            return False
        self.why_not = (
            f"Prometheus did not scrape /metrics within {timeout:g}s (logs in {self._dir})"
        )
        self.stop(keep_logs=True)
        return False

    def _scraping(self) -> bool:
        exited = [
            name
            for name, p in zip(self._names, self._processes, strict=True)
            if p.poll() is not None
        ]
        if exited:
            log = (self._dir / f"{exited[0]}.log").read_text().strip().splitlines()[-3:]
            raise RuntimeError(f"{exited[0]} exited: {' | '.join(log)[-400:]}")
        return self.query('up{job="crm-api"}') == 1.0

    def _spawn(self, argv: list[str], name: str) -> None:
        log = (self._dir / f"{name}.log").open("w")
        self._names.append(name)
        self._processes.append(subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT))  # noqa: S603

    def query(self, promql: str) -> float | None:
        try:
            response = requests.get(
                f"{self.prometheus_url}/api/v1/query", params={"query": promql}, timeout=2
            )
            result = response.json()["data"]["result"]
        except (requests.RequestException, ValueError, KeyError):
            return None
        return float(result[0]["value"][1]) if result else None

    @staticmethod
    def _wait(check: Any, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return True
            time.sleep(0.25)  # an external process: polled within a deadline
        return False

    def payment_rate(self, paid_total: float, timeout: float = 15.0) -> float | None:
        """The rule's value once Prometheus has scraped ``paid_total`` and evaluated after."""
        if not self._wait(
            lambda: self.query("sum(crm_invoices_paid_total)") == paid_total, timeout
        ):
            return None
        scraped_at = time.time()
        evaluated = "max(prometheus_rule_group_last_evaluation_timestamp_seconds)"
        if not self._wait(lambda: (self.query(evaluated) or 0) > scraped_at + 1, timeout):
            return None
        return self.query("crm:payment_rate_30d_pct")

    def stop(self, *, keep_logs: bool = False) -> None:
        for process in self._processes:
            process.terminate()
        for process in self._processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        self._processes.clear()
        self._names.clear()
        self.running = False
        if not keep_logs:
            shutil.rmtree(self._dir, ignore_errors=True)
