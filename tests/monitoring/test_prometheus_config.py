"""monitoring/prometheus.yml and monitoring/blackbox.yml: valid, and shaped as required."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from types import SimpleNamespace


def _jobs(mon: SimpleNamespace) -> dict[str, dict]:
    config = mon.load_yaml(mon.PROMETHEUS_CONFIG)
    return {job["job_name"]: job for job in config["scrape_configs"]}


def test_promtool_check_config(mon: SimpleNamespace, promtool: str, tmp_path: Path) -> None:
    # A copy of monitoring/ with the bearer token file where credentials_file points
    # (relative to the config's directory): promtool checks that it exists.
    copy = tmp_path / "repo" / "monitoring"
    shutil.copytree(mon.MONITORING, copy, ignore=shutil.ignore_patterns("grafana", "__pycache__"))
    credentials = _jobs(mon)["crm-api"]["authorization"]["credentials_file"]
    token = (copy / credentials).resolve()
    assert token.is_relative_to(tmp_path), "credentials_file must stay inside the checkout"
    token.parent.mkdir(parents=True, exist_ok=True)
    token.write_text("met_test-token\n")
    result = mon.run(promtool, "check", "config", str(copy / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 rule files found" in result.stdout


def test_rule_files_resolve_next_to_the_config(mon: SimpleNamespace) -> None:
    files = mon.load_yaml(mon.PROMETHEUS_CONFIG)["rule_files"]
    assert files == ["prometheus-recording-rules.yml", "prometheus-alerts.yml"]
    assert all((mon.MONITORING / f).is_file() for f in files)


def test_credentials_file_is_the_gitignored_local_token(mon: SimpleNamespace) -> None:
    credentials = _jobs(mon)["crm-api"]["authorization"]["credentials_file"]
    assert (mon.MONITORING / credentials).resolve() == mon.ROOT / ".local" / "metrics_token"
    assert ".local/" in (mon.ROOT / ".gitignore").read_text()


def test_crm_api_job_scrapes_metrics_with_a_bearer_token(mon: SimpleNamespace) -> None:
    job = _jobs(mon)["crm-api"]
    assert job["metrics_path"] == "/metrics"
    assert job["authorization"]["type"] == "Bearer"
    assert "credentials" not in job["authorization"], "no secret in the config file"
    assert job["static_configs"] == [{"targets": ["127.0.0.1:8089"]}]


def test_blackbox_tcp_job_uses_the_standard_relabelling(mon: SimpleNamespace) -> None:
    job = _jobs(mon)["blackbox_tcp"]
    assert job["metrics_path"] == "/probe"
    assert job["params"] == {"module": ["tcp_connect"]}
    endpoints = {sc["labels"]["endpoint"]: sc["targets"] for sc in job["static_configs"]}
    assert endpoints == {"api": ["127.0.0.1:8089"], "database": ["127.0.0.1:5432"]}
    assert job["relabel_configs"] == [
        {"source_labels": ["__address__"], "target_label": "__param_target"},
        {"source_labels": ["__param_target"], "target_label": "instance"},
        {"target_label": "__address__", "replacement": "127.0.0.1:9115"},
    ]
    assert _jobs(mon)["blackbox_exporter"]["static_configs"] == [{"targets": ["127.0.0.1:9115"]}]


def test_intervals_fit_changes_over_ten_minutes(mon: SimpleNamespace) -> None:
    config = mon.load_yaml(mon.PROMETHEUS_CONFIG)
    assert config["global"]["scrape_interval"] == "15s"
    assert config["global"]["evaluation_interval"] == "15s"
    # the reason is written next to the setting
    assert re.search(r"#.*changes\(probe_success\[10m\]\)", mon.PROMETHEUS_CONFIG.read_text())


def test_retention_comment_covers_the_30_day_rules(mon: SimpleNamespace) -> None:
    text = mon.PROMETHEUS_CONFIG.read_text()
    assert "--storage.tsdb.retention.time=35d" in text
    assert re.search(r"#.*>= 35d", text)


def test_alertmanager_target(mon: SimpleNamespace) -> None:
    (am,) = mon.load_yaml(mon.PROMETHEUS_CONFIG)["alerting"]["alertmanagers"]
    assert am["static_configs"] == [{"targets": ["127.0.0.1:9093"]}]


def test_blackbox_module(mon: SimpleNamespace, blackbox_exporter_bin: str) -> None:
    module = mon.load_yaml(mon.BLACKBOX_CONFIG)["modules"]["tcp_connect"]
    assert module["prober"] == "tcp"
    assert module["tcp"]["preferred_ip_protocol"] == "ip4"
    result = mon.run(
        blackbox_exporter_bin, f"--config.file={mon.BLACKBOX_CONFIG}", "--config.check"
    )
    assert result.returncode == 0, result.stdout + result.stderr
