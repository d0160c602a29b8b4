"""monitoring/alertmanager.yml and its Slack templates."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

SLACK = "crm-slack"
PAGER = "crm-pager"


def _config(mon: SimpleNamespace) -> dict:
    return mon.load_yaml(mon.ALERTMANAGER_CONFIG)


def test_amtool_check_config(mon: SimpleNamespace, amtool: str) -> None:
    result = mon.run(amtool, "check-config", str(mon.ALERTMANAGER_CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
    assert "1 templates" in result.stdout


def test_every_alert_reaches_its_receiver(
    mon: SimpleNamespace, amtool: str, alert_name: str
) -> None:
    labels = mon.alert_rules()[alert_name]["labels"]
    expected = PAGER if labels["severity"] == "critical" else SLACK
    result = mon.run(
        amtool,
        "config",
        "routes",
        "test",
        f"--config.file={mon.ALERTMANAGER_CONFIG}",
        f"--verify.receivers={expected}",
        f"alertname={alert_name}",
        *(f"{k}={v}" for k, v in labels.items()),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == expected


def test_receivers_post_to_crm_alerts(mon: SimpleNamespace) -> None:
    receivers = {r["name"]: r for r in _config(mon)["receivers"]}
    assert set(receivers) == {SLACK, PAGER}
    for receiver in receivers.values():
        (slack,) = receiver["slack_configs"]
        assert slack["channel"] == "#crm-alerts"
        assert slack["send_resolved"] is True
    (page,) = receivers[PAGER]["webhook_configs"]
    assert page["url"].startswith("http")
    # the webhook URL comes from a file, never from the repository
    global_ = _config(mon)["global"]
    assert global_["slack_api_url_file"] == "../.local/slack_webhook_url"
    assert "slack_api_url" not in global_


def test_business_hours_interval(mon: SimpleNamespace) -> None:
    config = _config(mon)
    (interval,) = config["time_intervals"]
    assert interval["name"] == "business-hours"
    assert interval["time_intervals"] == [
        {
            "weekdays": ["monday:friday"],
            "times": [{"start_time": "08:00", "end_time": "18:00"}],
            "location": "America/New_York",
        }
    ]
    routes = [r for r in config["route"]["routes"] if r.get("active_time_intervals")]
    assert routes == [
        {
            "matchers": ['alertname="InvoiceGenerationStalled"'],
            "receiver": SLACK,
            "active_time_intervals": ["business-hours"],
        }
    ]


def test_inhibitions(mon: SimpleNamespace) -> None:
    rules = _config(mon)["inhibit_rules"]
    assert {
        "source_matchers": ['alertname="TcpEndpointDownFast"'],
        "target_matchers": ['alertname=~"TcpLatencyHigh|TcpEndpointFlapping"'],
        "equal": ["instance"],
    } in rules
    alerts = mon.alert_rules()
    for rule in rules:  # every alert named in an inhibition exists, and carries the label
        names = [m.split("=", 1)[1].strip('~"') for m in rule["source_matchers"]]
        names += rule["target_matchers"][0].split("=", 1)[1].strip('~"').split("|")
        assert set(names) <= set(alerts)


def _render(mon: SimpleNamespace, amtool: str, tmp_path: Path, name: str, data: dict) -> str:
    path = tmp_path / "data.json"
    path.write_text(json.dumps(data))
    result = mon.run(
        amtool,
        "template",
        "render",
        f"--template.glob={mon.TEMPLATES}/*.tmpl",
        f'--template.text={{{{ template "{name}" . }}}}',
        f"--template.data={path}",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_slack_message_links_runbook_and_dashboard(
    mon: SimpleNamespace, amtool: str, tmp_path: Path
) -> None:
    rule = mon.alert_rules()["TcpEndpointDownFast"]
    labels = {
        "alertname": "TcpEndpointDownFast",
        **rule["labels"],
        "instance": "127.0.0.1:5432",
        "endpoint": "database",
        "job": "blackbox_tcp",
    }
    annotations = {
        "summary": "TCP endpoint 127.0.0.1:5432 is down",
        "description": "The blackbox exporter could not open a TCP connection.",
        "runbook_url": rule["annotations"]["runbook_url"],
    }
    data = {
        "receiver": PAGER,
        "status": "firing",
        "alerts": [
            {
                "status": "firing",
                "labels": labels,
                "annotations": annotations,
                "startsAt": "2025-11-03T09:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://localhost:9099/graph",
                "fingerprint": "0123456789abcdef",
            }
        ],
        "groupLabels": {"alertname": "TcpEndpointDownFast", "instance": "127.0.0.1:5432"},
        "commonLabels": labels,
        "commonAnnotations": annotations,
        "externalURL": "http://localhost:9093",
    }
    text = _render(mon, amtool, tmp_path, "crm.slack.text", data)
    assert "TCP endpoint 127.0.0.1:5432 is down" in text
    assert f"Runbook: {mon.RUNBOOK_URL_BASE}#tcp-endpoint-down" in text
    assert f"Dashboard: {mon.DASHBOARD_URL}" in text
    title = _render(mon, amtool, tmp_path, "crm.slack.title", data)
    assert title.startswith("[FIRING:1] TcpEndpointDownFast (critical)")
    link = _render(mon, amtool, tmp_path, "crm.slack.runbook_link", data)
    assert link.startswith(f"{mon.RUNBOOK_URL_BASE}#tcp-endpoint-down")
    assert _render(mon, amtool, tmp_path, "crm.slack.color", data).startswith("danger")
    dashboard = _render(mon, amtool, tmp_path, "crm.slack.dashboard_link", data)
    assert dashboard.startswith(mon.DASHBOARD_URL)


def test_slack_configs_use_the_templates(mon: SimpleNamespace) -> None:
    for receiver in _config(mon)["receivers"]:
        (slack,) = receiver["slack_configs"]
        assert "crm.slack.title" in slack["title"]
        assert "crm.slack.text" in slack["text"]
        buttons = {a["text"]: a["url"] for a in slack["actions"]}
        assert "crm.slack.runbook_link" in buttons["Runbook"]
        assert "crm.slack.dashboard_link" in buttons["Dashboard"]
