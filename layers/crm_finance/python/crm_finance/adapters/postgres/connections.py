"""The QBO connection of each org, its token lifecycle, and the per-org refresh lock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from crm_finance.adapters.postgres.database import Database
from crm_finance.domain.qbo_tokens import QboTokens

_REFRESH_LOCK_CLASS = 0x51B0  # advisory lock namespace: "QBO token refresh"


@dataclass(frozen=True)
class QboConnection:
    org_id: int
    realm_id: str
    environment: str
    token_secret_id: str
    item_id: str
    status: str
    last_error: str | None
    access_expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    last_refreshed_at: datetime | None = None
    last_refresh_error: str | None = None
    connected_at: datetime | None = None


class PostgresConnections:
    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, org_id: int) -> QboConnection | None:
        with self._db.statement() as cur:
            cur.execute(
                """SELECT org_id, realm_id, environment, token_secret_id, item_id, status,
                          last_error, access_expires_at, refresh_expires_at, last_refreshed_at,
                          last_refresh_error, connected_at
                   FROM qbo_connections WHERE org_id = %s""",
                (org_id,),
            )
            row = cur.fetchone()
        return QboConnection(**row) if row else None

    def connected_org_ids(self) -> list[int]:
        with self._db.statement() as cur:
            cur.execute(
                "SELECT org_id FROM qbo_connections WHERE status = 'connected' ORDER BY org_id"
            )
            return [int(r["org_id"]) for r in cur.fetchall()]

    def save_connected(self, org_id: int, tokens: QboTokens, *, token_secret_id: str) -> None:
        with self._db.statement() as cur:
            cur.execute(
                """INSERT INTO qbo_connections (org_id, realm_id, environment, token_secret_id,
                                                access_expires_at, refresh_expires_at)
                   VALUES (%s, %s, %s, %s, to_timestamp(%s), to_timestamp(%s))
                   ON CONFLICT (org_id) DO UPDATE
                      SET realm_id = EXCLUDED.realm_id, environment = EXCLUDED.environment,
                          token_secret_id = EXCLUDED.token_secret_id, status = 'connected',
                          access_expires_at = EXCLUDED.access_expires_at,
                          refresh_expires_at = EXCLUDED.refresh_expires_at,
                          last_error = NULL, last_refresh_error = NULL, disconnected_at = NULL,
                          connected_at = now(), updated_at = now()""",
                (
                    org_id,
                    tokens.realm_id,
                    tokens.environment,
                    token_secret_id,
                    tokens.access_expires_at,
                    tokens.refresh_expires_at,
                ),
            )

    @contextmanager
    def refresh_lock(self, org_id: int) -> Iterator[None]:
        """Held for the whole refresh; every instance of every function takes the same lock."""
        with self._db.transaction() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_REFRESH_LOCK_CLASS, org_id))
            yield

    def record_refresh(self, org_id: int, tokens: QboTokens) -> None:
        with self._db.statement() as cur:
            cur.execute(
                """UPDATE qbo_connections
                   SET access_expires_at = to_timestamp(%s), refresh_expires_at = to_timestamp(%s),
                       last_refreshed_at = now(), last_refresh_error = NULL, updated_at = now()
                   WHERE org_id = %s""",
                (tokens.access_expires_at, tokens.refresh_expires_at, org_id),
            )

    def mark_disconnected(self, org_id: int, reason: str) -> None:
        with self._db.statement() as cur:
            cur.execute(
                """UPDATE qbo_connections
                   SET status = 'disconnected', last_error = %s, last_refresh_error = %s,
                       disconnected_at = now(), updated_at = now()
                   WHERE org_id = %s""",
                (reason, reason, org_id),
            )
