"""docs/runbook.md: every alert has its section, every link target exists, and the commands
address this system (Lambda, its routes and schema), not the old containers."""

from __future__ import annotations

import re
import unicodedata
from types import SimpleNamespace

import pytest


def github_slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading: lowercase, punctuation dropped, spaces -> '-'."""
    text = re.sub(r"<[^>]+>", "", heading).strip().lower()
    text = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LN")
    return text.replace(" ", "-")


def anchors(markdown: str) -> list[str]:
    """Every anchor of a document: explicit <a id/name> and heading slugs (GitHub dedupes)."""
    found = re.findall(r'<a\s+(?:id|name)="([^"]+)"', markdown)
    seen: dict[str, int] = {}
    in_code = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_code = not in_code
            continue
        m = re.match(r"#{1,6}\s+(.*)", line)
        if m and not in_code:
            slug = github_slug(m.group(1))
            count = seen.get(slug, 0)
            seen[slug] = count + 1
            found.append(slug if count == 0 else f"{slug}-{count}")
    return found


def test_github_slug() -> None:
    assert github_slug("Alert 1: LowInvoicePaymentRate (Warning)") == (
        "alert-1-lowinvoicepaymentrate-warning"
    )
    assert github_slug("TCP Endpoint Down") == "tcp-endpoint-down"


@pytest.fixture(scope="module")
def runbook(mon: SimpleNamespace) -> str:
    return mon.RUNBOOK.read_text(encoding="utf-8")


def test_explicit_anchors_are_unique(runbook: str) -> None:
    explicit = re.findall(r'<a\s+(?:id|name)="([^"]+)"', runbook)
    assert len(explicit) == len(set(explicit))


def test_every_runbook_url_anchor_exists(
    mon: SimpleNamespace, runbook: str, alert_name: str
) -> None:
    url = mon.alert_rules()[alert_name]["annotations"]["runbook_url"]
    base, _, anchor = url.partition("#")
    assert base == mon.RUNBOOK_URL_BASE
    assert anchor in anchors(runbook), f"{alert_name}: #{anchor} missing from docs/runbook.md"


def test_every_alert_is_described_at_its_anchor(
    mon: SimpleNamespace, runbook: str, alert_name: str
) -> None:
    anchor = mon.alert_rules()[alert_name]["annotations"]["runbook_url"].partition("#")[2]
    section = runbook.split(f'<a id="{anchor}"></a>', 1)[1][:1500]
    assert alert_name in section


def test_internal_links_resolve(runbook: str) -> None:
    targets = set(anchors(runbook))
    for link in re.findall(r"\]\(#([^)]+)\)", runbook):
        assert link in targets, f"[...](#{link}) points nowhere"


def test_every_alert_of_the_seed_runbook_exists(mon: SimpleNamespace) -> None:
    alerts = set(mon.alert_rules())
    assert mon.RUNBOOK_ALERTS - alerts == set()
    if not mon.SEED_RUNBOOK.exists():  # the users' original lives outside the repository
        return
    seed = mon.SEED_RUNBOOK.read_text(encoding="utf-8")
    named = set(re.findall(r"\*\*(\w+)\*\* \((?:Warning|Critical)\)", seed))
    named |= set(re.findall(r"\*Linked by:\* (\w+)", seed))
    named |= set(re.findall(r"\*\*Alert\*\*: `(\w+)`", seed))
    assert named == mon.RUNBOOK_ALERTS
    assert named - alerts == set()


def test_seed_runbook_anchors_still_exist(mon: SimpleNamespace, runbook: str) -> None:
    ours = set(anchors(runbook))
    expected = {
        "tcp-endpoint-down",
        "tcp-endpoint-flapping",
        "tcp-latency-high",
        "payment-rate-slo-burn-fast",
        "payment-rate-slo-burn-slow",
        "error-budget-low",
        "error-budget-critical",
    }
    if mon.SEED_RUNBOOK.exists():
        seed = mon.SEED_RUNBOOK.read_text(encoding="utf-8")
        quick = seed.split("## Quick Reference Anchors", 1)[1].split("\n## ", 1)[0]
        expected |= set(re.findall(r"^### ([a-z0-9-]+)$", quick, re.MULTILINE))
    assert expected - ours == set()


def test_every_seed_alert_keeps_its_thresholds(runbook: str) -> None:
    for phrase in [
        "Payment rate < 50%",
        "**Duration**: 24 hours",
        "Zero revenue for 48 hours",
        "Zero invoices created",
        "for ≥2 minutes",
        "changed ≥4 times in a 10-minute window",
        "above 250ms for 5+ minutes",
        "1h burn rate > 2 for 30m",
        "6h burn rate > 1 for 2h",
        "EBR < 50%",
        "EBR < 25%",
    ]:
        assert phrase in runbook, phrase


def test_no_container_commands(runbook: str) -> None:
    code = "\n".join(re.findall(r"```bash\n(.*?)```", runbook, re.DOTALL))
    assert not re.search(r"\bdocker\b|docker compose|docker-compose", code)
    assert "localhost:9090" not in runbook  # Prometheus listens on :9099
    assert "http://localhost:8089" not in code  # routes are addressed through $API


def test_commands_address_this_system(runbook: str) -> None:
    code = "\n".join(re.findall(r"```bash\n(.*?)```", runbook, re.DOTALL))
    assert "sam logs -n PollWorkerFunction" in code
    assert "aws logs tail" in code
    assert 'psql "$DATABASE_URL"' in code
    assert 'curl -s -H "Authorization: Bearer $METRICS_TOKEN" "$API/metrics"' in code
    assert "jq -r .admin_token .local/stack.json" in code
    assert "$PROM/api/v1/query" in code
    for line in ["Starting invoice status poller", "poll_invoice_status finished"]:
        assert f"'\"{line}\"'" in code  # CloudWatch filter pattern for the exact phrase
    assert "stripe event recorded" in code and "invoicing finished" in code


def test_routes_used_exist_in_the_template(mon: SimpleNamespace, runbook: str) -> None:
    template = mon.TEMPLATE.read_text(encoding="utf-8")
    declared = set(re.findall(r"^\s+Path: (/\S+)$", template, re.MULTILINE))
    used = set(re.findall(r"\$API(/[A-Za-z0-9_/{}]+)", runbook))
    assert "/qbo/sync/invoice/poll_all" in used and "/leads" in used
    pattern = {d: re.sub(r"\{[^}]+\}", "[^/]+", d) for d in declared}
    for path in used:
        assert any(re.fullmatch(p, path) for p in pattern.values()), f"{path} is not a route"


def test_sql_uses_the_real_schema(mon: SimpleNamespace, runbook: str) -> None:
    migrations = mon.ROOT / "layers/crm_finance/python/crm_finance/adapters/postgres/migrations"
    schema = "\n".join(p.read_text() for p in sorted(migrations.glob("*.sql")))
    tables = set(re.findall(r"CREATE TABLE (\w+)", schema))
    for table in re.findall(r"\b(?:FROM|JOIN)\s+(\w+)", runbook):
        if (table.islower() and "_" in table) or table in {"leads", "orgs"}:
            assert table in tables, f"table {table} does not exist"
    for column in [
        "qbo_invoice_number",
        "qbo_balance_cents",
        "qbo_last_sync_at",
        "last_refresh_error",
        "finished_at",
        "last_recorded_at",
    ]:
        assert column in schema


def test_decisions_are_documented(runbook: str) -> None:
    assert '<a id="business-hours"></a>' in runbook
    section = runbook.split('<a id="business-hours"></a>', 1)[1][:3500]
    for phrase in ["America/New_York", "time_intervals", "Monday", "72h", "location"]:
        assert phrase in section, phrase


def _runbook_sql(runbook: str) -> list[str]:
    double = re.findall(r'psql "\$DATABASE_URL" -c "(.*?)"', runbook, re.DOTALL)
    single = re.findall(r"psql \"\$DATABASE_URL\" -c '(.*?)'", runbook, re.DOTALL)
    return [sql.replace("<org_id>", "1") for sql in double + single]


def test_runbook_sql_runs_against_the_migrated_schema(runbook: str) -> None:
    """Every psql query of the runbook, executed on a database migrated like production."""
    import psycopg

    from crm_finance.adapters.postgres.migrate import apply_migrations
    from crm_finance.devstack.embedded_postgres import EmbeddedPostgres

    queries = _runbook_sql(runbook)
    assert len(queries) >= 10
    pg = EmbeddedPostgres().start()
    try:
        apply_migrations(pg.url)
        with psycopg.connect(pg.url) as conn:
            for sql in queries:
                with conn.transaction(force_rollback=True):
                    conn.execute(sql)  # raises on an unknown table or column
    finally:
        pg.stop()
