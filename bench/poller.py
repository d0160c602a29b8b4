"""Invoice poller: QBO calls, wall time and PostgreSQL statements per poll, ours vs naive.

``.venv/bin/python -m bench.poller [--sizes 10000 100000] [--sample 5000] [--full-naive 10000]``

For each size N, on an org of its own (its own emulated QBO company):

* N open invoices are seeded in the emulator and N leads tracking them in PostgreSQL,
  and 1% of the invoices are paid by cheque in QBO ("entered in the QBO UI"). Both are
  dated one hour back on the emulator's clock: they happened before this poll's cursor,
  as open invoices and cheques do in real life. (Dated now, they would all fall in CDC's
  five-minute overlap window and the second poll would fall back to a full scan.)
* ours, full: the first ``poll_org`` of the org (no cursor yet: a full scan);
* then 100 more cheques are entered, dated now, and
* ours, CDC: the second ``poll_org``, which reads QBO's change data capture.

The naive poller (bench/naive/poller.py: one GET per invoice, one per payment, one
commit per invoice) runs on a second org seeded the same way; above ``--full-naive``
invoices it polls only the first ``--sample`` leads and the figures for N are that
sample's multiplied by N / sample, labelled as extrapolated.

Counted: QBO requests the emulator answered for the org's company (every kind, token
requests included), reset before each run; PostgreSQL statements executed through a
counting cursor on every database handle the poll uses (poll store and the QBO
connection lookup), and the transactions they ran in. The emulator enforces no rate
limits here (the naive poll could not finish in minutes if it did); the time QBO's
500 requests/minute per company would impose is computed below each table. The
poller's own pacing (``QBO_POLL_REQUESTS_PER_MINUTE``, 400 by default) stays on: a poll
of more calls than that would sleep, and the wall time would show it.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.rows import DictRow, dict_row

from bench.common import RUN_TAG, print_section, running_stack, table, verdict
from crm_finance.adapters.postgres.database import Database

AMOUNT = Decimal("100.00")
PAID_FRACTION = 100  # one invoice in 100 is paid by cheque before the first poll
CDC_CHEQUES = 100  # cheques entered between the first and the second poll
BACKDATE_SECONDS = 3600
QBO_PER_MINUTE = 500  # QBO's limit per company (realm)
TARGET_N, TARGET_CALLS, TARGET_SECONDS, TARGET_RATIO = 100_000, 110, 60.0, 1000


# -- counting -----------------------------------------------------------------------------
class CountingCursor(psycopg.Cursor):
    """Counts every statement sent to the server through it (all instances share it)."""

    statements = 0

    def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
        CountingCursor.statements += 1
        return super().execute(query, params, **kwargs)

    def executemany(self, query: Any, params_seq: Any, **kwargs: Any) -> None:
        params_seq = list(params_seq)
        CountingCursor.statements += len(params_seq)
        super().executemany(query, params_seq, **kwargs)


class CountingDatabase(Database):
    """The project's ``Database`` with the counting cursor, counting transactions too."""

    transactions = 0

    def __init__(self, url: str, statement_timeout_ms: int) -> None:
        super().__init__(
            url, statement_timeout_ms=statement_timeout_ms, cursor_factory=CountingCursor
        )

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        CountingDatabase.transactions += 1
        with super().transaction() as cur:
            yield cur


@dataclass
class Measure:
    label: str
    calls: float
    seconds: float
    statements: float
    transactions: float
    checked: float
    correct: str
    ok: bool | None = None  # None: not checked (extrapolated)
    kinds: str = ""

    def scaled(self, label: str, factor: float) -> Measure:
        return Measure(
            label,
            self.calls * factor,
            self.seconds * factor,
            self.statements * factor,
            self.transactions * factor,
            self.checked * factor,
            f"n/a (sample: {self.correct})",
        )


def measure(stack: Any, realm: str, label: str, poll: Callable[[], int]) -> Measure:
    """Run ``poll`` (returns invoices checked) with fresh QBO and PostgreSQL counters."""
    stack.emulator.reset_counters()
    CountingCursor.statements = CountingDatabase.transactions = 0
    started = time.perf_counter()
    checked = poll()
    seconds = time.perf_counter() - started
    kinds = {
        k: n
        for k in ("query", "cdc", "read", "token")
        if (n := stack.emulator.request_count(realm, kind=k))
    }
    return Measure(
        label,
        stack.emulator.request_count(realm),
        seconds,
        CountingCursor.statements,
        CountingDatabase.transactions,
        checked,
        "",
        kinds=", ".join(f"{n} {k}" for k, n in kinds.items()),
    )


# -- an org with N open invoices ----------------------------------------------------------
class Org:
    def __init__(self, stack: Any, conn: psycopg.Connection[DictRow], n: int, name: str) -> None:
        from crm_finance import wiring

        self.stack, self.conn, self.n = stack, conn, n
        self.org_id, _ = stack.add_org(f"Bench poller {name} {RUN_TAG}")
        self.realm = wiring.connections().get(self.org_id).realm_id
        emulator = stack.emulator
        real_clock = emulator.clock
        emulator.clock = lambda: real_clock() - BACKDATE_SECONDS
        try:
            self.invoice_ids = emulator.seed_open_invoices(self.realm, n, AMOUNT)
            self.paid: list[str] = []
            self.pay(self.invoice_ids[::PAID_FRACTION])
        finally:
            emulator.clock = real_clock
        cents = int(AMOUNT * 100)
        with conn.cursor() as cur:
            cur.execute(
                """INSERT INTO leads (org_id, contact_name, contact_email, proposal_amount_cents,
                                      currency, status, qbo_invoice_id, qbo_invoice_number,
                                      qbo_status, qbo_balance_cents, qbo_total_cents)
                   SELECT %s, 'Seeded', 'seeded@example.com', %s, 'USD', 'approved', i,
                          'S-' || i, 'Open', %s, %s
                   FROM unnest(%s::text[]) WITH ORDINALITY AS t(i, n) ORDER BY n""",
                (self.org_id, cents, cents, cents, self.invoice_ids),
            )
            cur.execute("ANALYZE leads")

    def pay(self, invoice_ids: list[str]) -> None:
        for invoice_id in invoice_ids:
            self.stack.emulator.enter_payment(self.realm, invoice_id, AMOUNT)
        self.paid.extend(invoice_ids)

    def check(self, polled: int | None = None) -> tuple[str, bool]:
        """Do the leads (the first ``polled`` of them, if given) and the ledger match QBO?"""
        scope = self.invoice_ids[:polled] if polled is not None else self.invoice_ids
        paid = set(self.paid) & set(scope)
        unpaid = len(scope) - len(paid)
        with self.conn.cursor() as cur:
            cur.execute(
                """SELECT
                     count(*) FILTER (WHERE qbo_invoice_id = ANY(%(paid)s) AND qbo_status = 'Paid'
                                      AND qbo_balance_cents = 0 AND status = 'won') AS paid_ok,
                     count(*) FILTER (WHERE qbo_status = 'Paid') AS paid_all,
                     count(*) FILTER (WHERE NOT qbo_invoice_id = ANY(%(paid)s)
                                      AND qbo_status = 'Open' AND status = 'approved'
                                      AND qbo_balance_cents = %(cents)s) AS open_ok
                   FROM leads WHERE org_id = %(org)s AND qbo_invoice_id = ANY(%(scope)s)""",
                {
                    "paid": sorted(paid),
                    "scope": scope,
                    "org": self.org_id,
                    "cents": int(AMOUNT * 100),
                },
            )
            leads = cur.fetchone()
            cur.execute(
                """SELECT
                     count(*) FILTER (WHERE kind = 'payment_received') AS payments,
                     coalesce(sum(amount_cents) FILTER (WHERE kind = 'payment_received'), 0)
                       AS cents,
                     count(*) FILTER (WHERE kind = 'invoice_paid') AS paid
                   FROM finance_ledger WHERE org_id = %s""",
                (self.org_id,),
            )
            ledger = cur.fetchone()
        assert leads is not None and ledger is not None
        expected_cents = len(paid) * int(AMOUNT * 100)
        ledger_ok = (ledger["payments"], ledger["cents"], ledger["paid"]) == (
            len(paid),
            expected_cents,
            len(paid),
        )
        ok = (
            leads["paid_ok"] == leads["paid_all"] == len(paid)
            and leads["open_ok"] == unpaid
            and ledger_ok
        )
        text = (
            f"{leads['paid_ok']:,}/{len(paid):,} paid + {leads['open_ok']:,}/{unpaid:,} open;"
            f" ledger {ledger['payments']:,}+{ledger['paid']:,} {'ok' if ledger_ok else 'WRONG'}"
        )
        return text, ok


# -- the runs -----------------------------------------------------------------------------
@dataclass
class Ports:
    db: CountingDatabase
    factory: Any


def counting_ports(stack: Any) -> Ports:
    from crm_finance import wiring
    from crm_finance.adapters.postgres.connections import PostgresConnections
    from crm_finance.adapters.qbo.factory import QuickBooksFactory
    from crm_finance.settings import load_settings

    settings = load_settings()
    db = CountingDatabase(stack.info["database_url"], settings.db_statement_timeout_ms)
    factory = QuickBooksFactory(
        PostgresConnections(db), wiring.token_vault(), wiring.intuit_oauth(), settings
    )
    return Ports(db, factory)


def ours(stack: Any, ports: Ports, org: Org, label: str, mode: str) -> Measure:
    from crm_finance import wiring
    from crm_finance.adapters.postgres.poll_store import PostgresPollStore
    from crm_finance.domain.polling import poll_org

    poll_ports = {
        **wiring.poll_ports(),
        "store": PostgresPollStore(ports.db),
        "reader_for": ports.factory.reader_for,
    }
    reports = []

    def poll() -> int:
        report = poll_org(org.org_id, trigger="manual", **poll_ports)
        reports.append(report)
        return report.checked

    m = measure(stack, org.realm, label, poll)
    report = reports[0]
    if (report.outcome, report.mode) != ("ok", mode):
        raise RuntimeError(f"{label}: expected an ok {mode} poll, got {report.as_dict()}")
    m.correct, m.ok = org.check()
    m.kinds += f"; PollReport.qbo_calls {report.qbo_calls}"
    return m


def naive(stack: Any, ports: Ports, org: Org, label: str, limit: int | None) -> Measure:
    from bench.naive import poller as naive_poller

    def poll() -> int:
        books = ports.factory.for_org(org.org_id)
        return naive_poller.poll(org.org_id, books=books, db=ports.db, limit=limit).checked

    m = measure(stack, org.realm, label, poll)
    m.correct, m.ok = org.check(limit)
    return m


def fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 or value == int(value) else f"{value:,.2f}"


def report_size(n: int, rows: list[Measure], naive_row: Measure) -> dict[str, Any]:
    full, cdc = rows[0], rows[1]
    body = table(
        [
            "poller",
            "QBO calls",
            "wall time (s)",
            "PG statements",
            "PG transactions",
            "invoices checked",
            "statements/invoice",
            "reconciled correctly",
        ],
        [
            [
                m.label,
                fmt(m.calls),
                f"{m.seconds:,.2f}",
                fmt(m.statements),
                fmt(m.transactions),
                fmt(m.checked),
                f"{m.statements / m.checked:.4f}" if m.checked else "-",
                m.correct if m.ok is None else ("yes: " if m.ok else "NO: ") + m.correct,
            ]
            for m in rows
        ],
    )
    full_ratio = naive_row.calls / full.calls
    notes = [
        "reconciled correctly: leads of cheque-paid invoices Paid/won with balance 0, the rest"
        " still Open; ledger = payment_received + invoice_paid rows, one of each per cheque.",
        "PG statements: every statement the poll sent (poll store and connection lookup);"
        " statements/invoice divides by invoices checked.",
        f"naive calls / our calls: {full_ratio:,.0f}x (full scan),"
        f" {naive_row.calls / cdc.calls:,.0f}x (CDC poll)",
        f"naive wall time / ours: {naive_row.seconds / full.seconds:,.1f}x (full scan),"
        f" {naive_row.seconds / cdc.seconds:,.0f}x (CDC poll)",
        f"at QBO's {QBO_PER_MINUTE} requests/minute per company (computed, not measured):"
        f" naive needs >= {naive_row.calls / QBO_PER_MINUTE:,.1f} min of QBO quota,"
        f" ours {full.calls / QBO_PER_MINUTE:,.2f} min (full) / {cdc.calls / QBO_PER_MINUTE:.3f}"
        " min (CDC)",
        "QBO requests by kind: " + "; ".join(f"{m.label}: {m.kinds}" for m in rows if m.kinds),
    ]
    print_section(f"Invoice poller, {n:,} open invoices", body + "\n\n" + "\n".join(notes))
    return {"n": n, "full": full, "cdc": cdc, "naive": naive_row, "ratio": full_ratio}


def run(stack: Any, *, sizes: tuple[int, ...], sample: int, full_naive: int) -> list[dict]:
    conn = psycopg.connect(stack.info["database_url"], autocommit=True, row_factory=dict_row)
    ports = counting_ports(stack)
    results = []
    try:
        for n in sizes:
            started = time.perf_counter()
            org = Org(stack, conn, n, f"ours {n}")
            seeded = time.perf_counter() - started
            full = ours(stack, ports, org, "ours, full scan (first poll)", "full")
            step = PAID_FRACTION * max(1, n // (CDC_CHEQUES * PAID_FRACTION))
            new = org.invoice_ids[PAID_FRACTION // 2 :: step][:CDC_CHEQUES]  # none paid yet
            org.pay(new)
            cdc = ours(stack, ports, org, f"ours, CDC (second poll, {len(new)} new cheques)", "cdc")
            naive_org = Org(stack, conn, n, f"naive {n}")
            if n <= full_naive:
                naive_row = naive(stack, ports, naive_org, "naive, one GET per invoice", None)
                rows = [full, cdc, naive_row]
            else:
                measured = naive(
                    stack, ports, naive_org, f"naive, first {sample:,} leads (measured)", sample
                )
                naive_row = measured.scaled(
                    f"naive, {n:,} (extrapolated from {sample:,})", n / sample
                )
                rows = [full, cdc, measured, naive_row]
            print(f"(seeding {n:,} invoices + leads took {seeded:.1f} s per org)", flush=True)
            results.append(report_size(n, rows, naive_row))
    finally:
        ports.db.close()
        conn.close()
    big = [r for r in results if r["n"] == TARGET_N]
    if big:
        r = big[0]
        full = r["full"]
        print_section(
            "Targets (100,000 open invoices)",
            table(
                ["target", "measured", "verdict"],
                [
                    [
                        f"<= {TARGET_CALLS} QBO calls",
                        fmt(full.calls),
                        verdict(full.calls <= TARGET_CALLS),
                    ],
                    [
                        f"~{TARGET_RATIO:,}x fewer calls (>= {TARGET_RATIO * 0.9:,.0f}x)",
                        f"{r['ratio']:,.0f}x",
                        verdict(r["ratio"] >= TARGET_RATIO * 0.9),
                    ],
                    [
                        f"< {TARGET_SECONDS:.0f} s",
                        f"{full.seconds:.1f} s",
                        verdict(full.seconds < TARGET_SECONDS),
                    ],
                    ["reconciled correctly", full.correct, verdict(bool(full.ok))],
                ],
            ),
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--sample", type=int, default=5_000)
    parser.add_argument("--full-naive", type=int, default=10_000)
    args = parser.parse_args()
    with running_stack() as stack:
        run(stack, sizes=tuple(args.sizes), sample=args.sample, full_naive=args.full_naive)


if __name__ == "__main__":
    main()
