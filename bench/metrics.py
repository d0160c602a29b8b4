"""Metrics scrape time vs ledger size: running totals (ours) vs a naive collector.

``.venv/bin/python -m bench.metrics [--sizes 10000 100000 1000000] [--scrapes 20]
[--chunk 1000] [--vacuum-every 10000] [--burst 1000000] [--open-leads 100000]``

On an org of its own, ``finance_ledger`` is grown to each size in turn (cumulatively) with
``INSERT ... SELECT generate_series``; the ledger's triggers keep ``finance_totals`` as they
do in production. At each size, ``--scrapes`` scrapes of each of these, interleaved, after
3 warm-up rounds (medians and p90s):

* ours, ``render_metrics(PostgresFinanceState(db))``: the exposition body the metrics
  function serves, read from the running totals;
* ours end to end: ``lambda_runtime.invoke("MetricsFunction", ...)`` with a bearer-token
  API Gateway event (token check, Powertools resolver, the same render);
* naive: the same ``render_metrics`` and the same snapshot, except that the ledger
  counters come from ``COUNT(*)``/``SUM()``/``max()`` over ``finance_ledger`` grouped by
  org and kind at scrape time, instead of from ``finance_totals``.

Every row checks that the expositions agree on every sample (scrape duration aside), and
that the bench orgs' counters equal what was inserted.

Loading: one statement per chunk of ``--chunk`` rows, each its own transaction. The
per-row trigger upserts one ``finance_totals`` row per (org, kind): inside one transaction
each upsert steps over every version of that row the transaction already made (none can
be pruned before it commits), so one statement's cost grows with the square of its row
count (the probe rows show it). Chunks keep it linear.

Every ledger row also leaves one dead version of a ``finance_totals`` row behind, and the
space is reused only after a VACUUM. In production autovacuum does that about once a
minute; the bench runs ``VACUUM finance_totals`` after every ``--vacuum-every`` rows (the
steady state, where the size targets are judged). Then rows that show the limits:

* ``--burst`` rows more into a second org with no VACUUM in between (a backfill, say):
  ``finance_totals`` grows by about 1 page per 100 ledger rows, every scrape reads all of
  it, and a VACUUM does not shrink it back;
* ``--open-leads`` open invoices (leads) in the bench org: the open-invoice gauges are
  computed from ``leads`` at scrape time, not kept as running totals.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import psycopg

from bench.common import (
    RUN_TAG,
    load_functions,
    percentile,
    print_section,
    running_stack,
    table,
    verdict,
)
from crm_finance.adapters.postgres.database import Database

METRICS = "MetricsFunction"
KINDS = ("invoice_generated", "payment_received", "invoice_paid")  # row g has KINDS[g % 3]
AMOUNT_MODULUS = 100_000  # row g has amount (g * 37) % AMOUNT_MODULUS cents
TARGET_SECONDS = 0.020
FLAT_RATIO = 1.5  # "flat": the largest size's median within 1.5x the smallest's
WARMUP = 3
NAIVE_LEDGER_SQL = (
    "SELECT org_id, kind, count(*) AS entries, coalesce(sum(amount_cents), 0) AS amount_cents,"
    " max(recorded_at) AS last_recorded_at FROM finance_ledger GROUP BY org_id, kind"
)
OPEN_INVOICES_SQL = (
    "SELECT count(*) FROM leads WHERE qbo_invoice_id IS NOT NULL"
    " AND qbo_status IN ('Open', 'Partial')"
)
SEED_LEADS_SQL = """INSERT INTO leads (org_id, contact_name, contact_email, proposal_amount_cents,
                   currency, status, qbo_invoice_id, qbo_status, qbo_balance_cents,
                   qbo_total_cents)
SELECT %s, 'Seeded', 'seeded@example.com', 10000, 'USD', 'approved', 'bench-metrics-' || g,
       'Open', 10000, 10000
FROM generate_series(1, %s) AS g"""
INSERT_SQL = """INSERT INTO finance_ledger (org_id, kind, source_ref, amount_cents, currency)
SELECT %(org)s, (%(kinds)s::text[])[1 + g %% 3], %(prefix)s || g, (g * 37) %% %(mod)s, 'USD'
FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g"""


# -- the collectors -------------------------------------------------------------------------
class _ProbeCursor:
    """The project's cursor, with the ledger query swapped (naive) and statements timed."""

    def __init__(self, cur: Any, owner: ProbeDatabase) -> None:
        self._cur, self._owner = cur, owner

    def execute(self, query: str, params: Any = None) -> Any:
        text = " ".join(query.split())
        if self._owner.naive and "FROM finance_totals" in text:
            text = query = NAIVE_LEDGER_SQL
            self._owner.rewrites += 1
        t0 = time.perf_counter()
        result = self._cur.execute(query, params)
        if self._owner.timings is not None:
            self._owner.timings.setdefault(text, []).append(time.perf_counter() - t0)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cur, name)


class ProbeDatabase(Database):
    """``Database`` whose cursors are ``_ProbeCursor``: ``naive`` reads the ledger counters
    from ``finance_ledger``; ``timings`` (a dict) collects each statement's time."""

    def __init__(self, url: str, *, naive: bool, timings: dict | None = None) -> None:
        super().__init__(url)
        self.naive, self.timings, self.rewrites = naive, timings, 0

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Any]:
        with super().transaction() as cur:
            yield _ProbeCursor(cur, self)


def _state(db: Database) -> Any:
    from crm_finance.adapters.postgres.finance_state import PostgresFinanceState

    return PostgresFinanceState(db)


def _render(state: Any) -> str:
    from crm_finance.domain.metrics import render_metrics

    exposition = render_metrics(state)
    if exposition.errors:
        raise RuntimeError(f"scrape failed ({exposition.errors} collector errors)")
    return exposition.body.decode()


def _metrics_event(stack: Any) -> dict[str, Any]:
    from crm_finance.devstack.api_gateway import build_http_api_event
    from crm_finance.devstack.template import Route

    return build_http_api_event(
        route=Route("GET", "/metrics", METRICS),
        path="/metrics",
        path_params={},
        query="",
        headers={
            "host": "127.0.0.1",
            "user-agent": "Prometheus/3.0",
            "authorization": f"Bearer {stack.info['metrics_token']}",
        },
        body=b"",
    )


def _invoke(event: dict[str, Any]) -> str:
    from crm_finance.devstack.lambda_runtime import invoke

    result = invoke(METRICS, event)
    if result.get("statusCode") != 200:
        raise RuntimeError(f"MetricsFunction answered {result.get('statusCode')}: {result}")
    return str(result["body"])


def _samples(body: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, scrape duration aside (it differs by nature)."""
    from prometheus_client.parser import text_string_to_metric_families

    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body)
        for s in family.samples
        if s.name != "crm_metrics_scrape_duration_seconds"
    }


# -- the ledger -----------------------------------------------------------------------------
class Ledger:
    """An org's bench ledger rows (g = 1..rows) and the totals they must add up to."""

    def __init__(self, stack: Any, conn: psycopg.Connection, name: str) -> None:
        self.conn = conn
        self.org_id, _ = stack.add_org(f"Bench metrics {name} {RUN_TAG}", connect_qbo=False)
        self.prefix = f"bench-metrics-{name}-{RUN_TAG}-"
        self.rows = 0
        self.entries: Counter[str] = Counter()
        self.cents: Counter[str] = Counter()

    def insert(self, first: int, last: int) -> None:
        self.conn.execute(
            INSERT_SQL,
            {
                "org": self.org_id,
                "kinds": list(KINDS),
                "prefix": self.prefix,
                "mod": AMOUNT_MODULUS,
                "first": first,
                "last": last,
            },
        )
        for g in range(first, last + 1):
            kind = KINDS[g % 3]
            self.entries[kind] += 1
            self.cents[kind] += (g * 37) % AMOUNT_MODULUS
        self.rows = max(self.rows, last)

    def grow(self, size: int, chunk: int, vacuum_every: int) -> Load:
        """Up to ``size`` rows, ``chunk`` rows per statement (each its own transaction),
        ``VACUUM finance_totals`` after every ``vacuum_every`` rows (0: never)."""
        load = Load(f"rows {self.rows + 1:,}..{size:,}", size - self.rows, chunk, vacuum_every)
        since_vacuum = 0
        started = time.perf_counter()
        while self.rows < size:
            last = min(size, self.rows + chunk)
            t0 = time.perf_counter()
            self.insert(self.rows + 1, last)
            load.insert_s += time.perf_counter() - t0
            load.statements += 1
            since_vacuum += chunk
            if vacuum_every and since_vacuum >= vacuum_every:
                t0 = time.perf_counter()
                self.conn.execute("VACUUM finance_totals")
                load.vacuum_s += time.perf_counter() - t0
                load.vacuums += 1
                since_vacuum = 0
        load.wall_s = time.perf_counter() - started
        load.sizes = _relation_sizes(self.conn)
        return load

    def check(self, samples: dict) -> str:
        """Do the exposition's counters for this org equal what was inserted?"""
        org = (("org_id", str(self.org_id)),)
        wanted = {
            "crm_invoices_generated_total": self.entries["invoice_generated"],
            "crm_invoices_paid_total": self.entries["invoice_paid"],
            "crm_invoice_payments_cents_total": self.cents["payment_received"],
        }
        got = {name: samples.get((name, org)) for name in wanted}
        if got != wanted:
            raise RuntimeError(f"org {self.org_id}'s counters {got}, inserted {wanted}")
        return (
            f"{wanted['crm_invoices_generated_total']:,} generated,"
            f" {wanted['crm_invoices_paid_total']:,} paid,"
            f" {wanted['crm_invoice_payments_cents_total']:,} cents"
        )


@dataclass
class Load:
    label: str
    rows: int
    chunk: int
    vacuum_every: int
    statements: int = 0
    insert_s: float = 0.0
    vacuum_s: float = 0.0
    vacuums: int = 0
    wall_s: float = 0.0  # inserts + vacuums + the bench's own expected-total arithmetic
    sizes: tuple[str, str] = ("", "")

    def row(self, what: str) -> list[str]:
        seconds = self.insert_s + self.vacuum_s
        return [
            f"{what}: {self.label}",
            f"{self.rows:,}",
            f"{self.statements:,} x {self.chunk:,}" if self.statements > 1 else "1",
            f"{self.vacuums} ({self.vacuum_s:.2f} s)" if self.vacuum_every else "none",
            f"{seconds:.2f}",
            f"{self.rows / seconds:,.0f}",
            f"{self.insert_s / self.rows * 1e6:.0f}",
            f"{self.sizes[0]} / {self.sizes[1]}",
        ]


def _relation_sizes(conn: psycopg.Connection) -> tuple[str, str]:
    row = conn.execute(
        "SELECT pg_size_pretty(pg_total_relation_size('finance_totals')),"
        " pg_size_pretty(pg_total_relation_size('finance_ledger'))"
    ).fetchone()
    assert row is not None
    return row[0], row[1]


def _count(conn: psycopg.Connection, sql: str) -> int:
    row = conn.execute(sql).fetchone()
    assert row is not None
    return int(row[0])


def probe_single_statement(stack: Any, conn: psycopg.Connection, sizes: list[int]) -> list[Load]:
    """One statement of n rows each, on a scratch org: how its cost grows with n."""
    scratch = Ledger(stack, conn, "probe")
    loads = []
    for n in sizes:
        load = Load(f"{n:,} rows in one statement", n, n, 0, statements=1)
        first = scratch.rows + 1
        t0 = time.perf_counter()
        scratch.insert(first, first + n - 1)
        load.insert_s = load.wall_s = time.perf_counter() - t0
        load.sizes = _relation_sizes(conn)
        loads.append(load)
    conn.execute("VACUUM finance_totals")  # the bench org starts from a vacuumed table
    return loads


# -- scrapes --------------------------------------------------------------------------------
Runner = Callable[[], str]


def scrape_round(
    scrapes: int, runners: dict[str, Runner]
) -> tuple[dict[str, list[float]], dict[str, dict]]:
    """``WARMUP`` + ``scrapes`` interleaved rounds: the timed samples and the last
    exposition of each runner, parsed."""
    times: dict[str, list[float]] = {name: [] for name in runners}
    bodies: dict[str, str] = {}
    for i in range(WARMUP + scrapes):
        for name, runner in runners.items():
            t0 = time.perf_counter()
            bodies[name] = runner()
            seconds = time.perf_counter() - t0
            if i >= WARMUP:
                times[name].append(seconds)
    found = {name: _samples(body) for name, body in bodies.items()}
    first = next(iter(found.values()))
    if any(other != first for other in found.values()):
        keys = set().union(*found.values())
        diff = {
            k: {name: f.get(k) for name, f in found.items()}
            for k in keys
            if len({f.get(k) for f in found.values()}) > 1
        }
        raise RuntimeError(f"the collectors disagree: {diff}")
    return times, found


def _p50(samples: list[float]) -> float:
    return statistics.median(samples)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def query_breakdown(url: str, scrapes: int, *, naive: bool) -> list[list[str]]:
    """Each snapshot statement's median time, ours (and naive) over ``scrapes`` snapshots."""
    timings: dict[str, dict[str, list[float]]] = {"ours": {}, "naive": {}}
    dbs = {
        name: ProbeDatabase(url, naive=name == "naive", timings=t)
        for name, t in timings.items()
        if naive or name == "ours"
    }
    try:
        for i in range(WARMUP + scrapes):
            if i == WARMUP:
                for t in timings.values():
                    t.clear()
            for db in dbs.values():
                _state(db).snapshot()
    finally:
        for db in dbs.values():
            db.close()
    ours_items = list(timings["ours"].items())
    naive_items = list(timings["naive"].items()) if naive else [("", [])] * len(ours_items)
    rows = []
    for (sql, ours_s), (naive_sql, naive_s) in zip(ours_items, naive_items, strict=True):
        label = sql if not naive or sql == naive_sql else f"{sql} (naive: {naive_sql})"
        label = label if len(label) <= 120 else label[:117] + "..."
        rows.append([label, f"{_p50(ours_s) * 1000:.3f}"])
        if naive:
            rows[-1].append(f"{_p50(naive_s) * 1000:.3f}")
    total = ["all statements (sum of medians)"] + [
        f"{sum(_p50(v) for v in timings[name].values()) * 1000:.3f}" for name in dbs
    ]
    return [*rows, total]


def run(
    stack: Any,
    *,
    sizes: tuple[int, ...] = (10_000, 100_000, 1_000_000),
    scrapes: int = 20,
    chunk: int = 1000,
    vacuum_every: int = 10_000,
    burst: int = 1_000_000,
    open_leads: int = 100_000,
) -> dict[str, Any]:
    started = time.perf_counter()
    url = stack.info["database_url"]
    load_functions(METRICS)
    event = _metrics_event(stack)
    conn = psycopg.connect(url, autocommit=True)
    ours_db = Database(url)
    naive_db = ProbeDatabase(url, naive=True)
    ours_state, naive_state = _state(ours_db), _state(naive_db)
    runners: dict[str, Runner] = {
        "ours": lambda: _render(ours_state),
        "e2e": lambda: _invoke(event),
        "naive": lambda: _render(naive_state),
    }
    ours_only = {k: runners[k] for k in ("ours", "e2e")}
    rows: list[list[str]] = []
    load_rows = [
        load.row("probe (scratch org)")
        for load in probe_single_statement(stack, conn, [5_000, 20_000])
    ]
    extra: dict[str, Any] = {}
    try:
        ledger = Ledger(stack, conn, "steady")
        results = []
        for size in sizes:
            load = ledger.grow(size, chunk, vacuum_every)
            load_rows.append(load.row("bench org"))
            times, found = scrape_round(scrapes, runners)
            if naive_db.rewrites == 0:
                raise RuntimeError("the naive collector never saw the finance_totals query")
            checked = ledger.check(found["ours"])
            results.append({"size": size, "times": times})
            rows.append(
                _scrape_row(
                    f"{size:,}",
                    _count(conn, "SELECT count(*) FROM finance_ledger"),
                    load.sizes[0],
                    times,
                )
            )
            print(f"({size:,} ledger rows: loaded in {load.wall_s:.1f} s; {checked})", flush=True)
        open_in_db = _count(conn, OPEN_INVOICES_SQL)
        breakdown = query_breakdown(url, scrapes, naive=True)

        if burst:
            burst_ledger = Ledger(stack, conn, "burst")
            load = burst_ledger.grow(burst, chunk, 0)
            load_rows.append(load.row("burst org, no VACUUM"))
            times, found = scrape_round(scrapes, ours_only)
            ledger.check(found["ours"])
            checked = burst_ledger.check(found["ours"])
            rows.append(
                _scrape_row(
                    f"{sizes[-1]:,} + a burst of {burst:,} (other org, no VACUUM)",
                    _count(conn, "SELECT count(*) FROM finance_ledger"),
                    load.sizes[0],
                    times,
                )
            )
            extra["burst"] = times
            print(f"(burst of {burst:,} rows: loaded in {load.wall_s:.1f} s; {checked})")
            t0 = time.perf_counter()
            conn.execute("VACUUM finance_totals")
            vacuum_s = time.perf_counter() - t0
            times, _ = scrape_round(scrapes, ours_only)
            sizes_after = _relation_sizes(conn)
            rows.append(
                _scrape_row(
                    f"the same, after VACUUM finance_totals ({vacuum_s * 1000:.0f} ms)",
                    _count(conn, "SELECT count(*) FROM finance_ledger"),
                    sizes_after[0],
                    times,
                )
            )
            extra["burst_vacuumed"] = times
        if open_leads:
            t0 = time.perf_counter()
            conn.execute(SEED_LEADS_SQL, (ledger.org_id, open_leads))
            conn.execute("ANALYZE leads")
            seeded = time.perf_counter() - t0
            times, found = scrape_round(scrapes, ours_only)
            org = (("org_id", str(ledger.org_id)),)
            if found["ours"].get(("crm_open_invoices", org)) != open_leads:
                raise RuntimeError("crm_open_invoices does not count the seeded leads")
            rows.append(
                _scrape_row(
                    f"the same + {open_leads:,} open invoices (bench org's leads,"
                    f" seeded in {seeded:.1f} s)",
                    _count(conn, "SELECT count(*) FROM finance_ledger"),
                    _relation_sizes(conn)[0],
                    times,
                )
            )
            extra["leads"] = times
        last_breakdown = query_breakdown(url, scrapes, naive=False) if burst or open_leads else []
    finally:
        ours_db.close()
        naive_db.close()
        conn.close()
    elapsed = time.perf_counter() - started

    first, last = results[0]["times"], results[-1]["times"]
    worst = max(_p50(last["ours"]), _p50(last["e2e"]))
    growth = _p50(last["ours"]) / _p50(first["ours"])
    notes = [
        f"open invoices in the database during the first {len(sizes)} rows: {open_in_db:,}",
        f"target: a scrape <= {TARGET_SECONDS * 1000:.0f} ms at {sizes[-1]:,} ledger rows"
        f" (render and end to end, p50): {verdict(worst <= TARGET_SECONDS)} ({_ms(worst)} ms)",
        f"target: flat from {sizes[0]:,} to {sizes[-1]:,} rows (render p50 within"
        f" x{FLAT_RATIO} of the smallest size's): {verdict(growth <= FLAT_RATIO)}"
        f" (x{growth:.2f})",
    ]
    for key, label in (
        ("burst", "after the burst"),
        ("burst_vacuumed", "after the burst and a VACUUM"),
        ("leads", f"with {open_leads:,} open invoices"),
    ):
        if key in extra:
            p50 = max(_p50(extra[key]["ours"]), _p50(extra[key]["e2e"]))
            notes.append(
                f"{label}: {_ms(p50)} ms, {'within' if p50 <= TARGET_SECONDS else 'over'}"
                f" {TARGET_SECONDS * 1000:.0f} ms"
            )
    print_section(
        f"Metrics scrape vs ledger size (median and p90 of {scrapes} scrapes, ms)",
        table(
            [
                "bench org ledger rows",
                "all ledger rows",
                "finance_totals size",
                "ours render p50",
                "p90",
                "ours end to end p50",
                "p90",
                "naive render p50",
                "p90",
                "naive / ours",
            ],
            rows,
        )
        + "\n\nEvery row: the expositions agree on every sample (scrape duration aside), and"
        " the bench orgs' counters equal what was inserted.\n" + "\n".join(notes),
    )
    print_section(
        "Loading the ledger (per-row trigger keeps finance_totals)",
        table(
            [
                "load",
                "rows",
                "statements",
                "VACUUMs of finance_totals",
                "seconds",
                "rows/s",
                "insert us/row",
                "finance_totals / finance_ledger size after",
            ],
            load_rows,
        ),
    )
    print_section(
        f"Snapshot statements at {sizes[-1]:,} bench-org ledger rows (median of {scrapes}, ms)",
        table(["statement", "ours", "naive"], breakdown),
    )
    if last_breakdown:
        print_section(
            f"Snapshot statements after the burst and with {open_leads:,} open invoices"
            f" (ours, median of {scrapes}, ms)",
            table(["statement", "ours"], last_breakdown),
        )
    print(f"(metrics bench: {elapsed:.0f} s)", flush=True)
    return {"results": results, "extra": extra, "seconds": elapsed}


def _scrape_row(label: str, all_rows: int, totals_size: str, times: dict) -> list[str]:
    cells = [label, f"{all_rows:,}", totals_size]
    for name in ("ours", "e2e", "naive"):
        if name in times:
            cells += [_ms(_p50(times[name])), _ms(percentile(times[name], 90))]
        else:
            cells += ["not run", ""]
    ratio = _p50(times["naive"]) / _p50(times["ours"]) if "naive" in times else None
    return [*cells, f"x{ratio:,.0f}" if ratio else ""]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--scrapes", type=int, default=20)
    parser.add_argument("--chunk", type=int, default=1000)
    parser.add_argument("--vacuum-every", type=int, default=10_000)
    parser.add_argument("--burst", type=int, default=1_000_000)
    parser.add_argument("--open-leads", type=int, default=100_000)
    args = parser.parse_args()
    with running_stack() as stack:
        run(
            stack,
            sizes=tuple(args.sizes),
            scrapes=args.scrapes,
            chunk=args.chunk,
            vacuum_every=args.vacuum_every,
            burst=args.burst,
            open_leads=args.open_leads,
        )


if __name__ == "__main__":
    main()
