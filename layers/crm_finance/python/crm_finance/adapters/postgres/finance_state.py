"""What /metrics exposes, read from the running totals in one read-only transaction."""

from __future__ import annotations

from crm_finance.adapters.postgres.database import Database
from crm_finance.domain.metrics import FinanceSnapshot


def _epoch(value: object) -> float:
    return float(value.timestamp()) if value is not None else 0.0  # type: ignore[attr-defined]


class PostgresFinanceState:
    def __init__(self, db: Database) -> None:
        self._db = db

    def snapshot(self) -> FinanceSnapshot:
        with self._db.transaction() as cur:
            cur.execute("SET TRANSACTION READ ONLY")
            cur.execute("SELECT id FROM orgs ORDER BY id")
            snap = FinanceSnapshot(org_ids=[int(r["id"]) for r in cur.fetchall()])
            cur.execute(
                "SELECT org_id, kind, entries, amount_cents, last_recorded_at FROM finance_totals"
            )
            for r in cur.fetchall():
                snap.ledger[(r["org_id"], r["kind"])] = {
                    "entries": r["entries"],
                    "amount_cents": r["amount_cents"],
                    "last_recorded_at": _epoch(r["last_recorded_at"]),
                }
            cur.execute("SELECT org_id, amount_cents FROM stripe_payment_totals")
            snap.stripe_cents = {r["org_id"]: r["amount_cents"] for r in cur.fetchall()}
            cur.execute("SELECT event_type, outcome, events FROM stripe_event_totals")
            snap.webhook_events = {
                (r["event_type"], r["outcome"]): r["events"] for r in cur.fetchall()
            }
            cur.execute(
                "SELECT min(received_at) AS oldest FROM stripe_events WHERE status = 'received'"
            )
            row = cur.fetchone()
            snap.oldest_unprocessed = _epoch(row["oldest"] if row else None)
            cur.execute("SELECT org_id, status, refresh_expires_at FROM qbo_connections")
            snap.qbo = {
                r["org_id"]: {
                    "connected": r["status"] == "connected",
                    "refresh_expires_at": _epoch(r["refresh_expires_at"]),
                }
                for r in cur.fetchall()
            }
            cur.execute("SELECT org_id, last_success_at FROM qbo_poll_state")
            snap.poll_last_success = {
                r["org_id"]: _epoch(r["last_success_at"]) for r in cur.fetchall()
            }
            cur.execute("SELECT org_id, outcome, runs FROM poll_run_totals")
            snap.poll_runs = {(r["org_id"], r["outcome"]): r["runs"] for r in cur.fetchall()}
            cur.execute("SELECT org_id, invoices, balance_cents FROM open_invoice_totals")
            snap.open_invoices = {
                r["org_id"]: (r["invoices"], r["balance_cents"]) for r in cur.fetchall()
            }
        return snap
