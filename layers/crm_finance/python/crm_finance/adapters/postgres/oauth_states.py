"""Single-use, expiring OAuth states and start tickets; only their SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets

from crm_finance.adapters.postgres.database import Database


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class PostgresOAuthStates:
    def __init__(self, db: Database) -> None:
        self._db = db

    def issue(self, org_id: int, *, purpose: str, ttl_seconds: int) -> str:
        value = secrets.token_urlsafe(32)
        with self._db.transaction() as cur:
            cur.execute("DELETE FROM oauth_states WHERE expires_at < now() - interval '1 day'")
            cur.execute(
                """INSERT INTO oauth_states (state_hash, org_id, purpose, expires_at)
                   VALUES (%s, %s, %s, now() + make_interval(secs => %s))""",
                (_digest(value), org_id, purpose, ttl_seconds),
            )
        return value

    def consume(self, value: str, *, purpose: str) -> int | None:
        """The org the value was issued for, once; None if unknown, expired or used."""
        with self._db.statement() as cur:
            cur.execute(
                """UPDATE oauth_states SET used_at = now()
                   WHERE state_hash = %s AND purpose = %s AND used_at IS NULL
                     AND expires_at > now()
                   RETURNING org_id""",
                (_digest(value), purpose),
            )
            row = cur.fetchone()
        return int(row["org_id"]) if row else None
