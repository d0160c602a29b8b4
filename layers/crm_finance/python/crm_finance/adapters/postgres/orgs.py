"""Orgs and their QBO connection records."""

from __future__ import annotations

from dataclasses import dataclass

from crm_finance.adapters.postgres.database import Database, fetch_one


@dataclass(frozen=True)
class QboConnection:
    org_id: int
    realm_id: str
    environment: str
    token_secret_id: str
    item_id: str
    status: str
    last_error: str | None


class PostgresOrgs:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, name: str) -> int:
        with self._db.transaction() as cur:
            cur.execute("INSERT INTO orgs (name) VALUES (%s) RETURNING id", (name,))
            return int(fetch_one(cur)["id"])

    def save_qbo_connection(
        self, org_id: int, *, realm_id: str, environment: str, token_secret_id: str
    ) -> None:
        with self._db.transaction() as cur:
            cur.execute(
                """INSERT INTO qbo_connections (org_id, realm_id, environment, token_secret_id)
                   VALUES (%s, %s, %s, %s)
                   ON CONFLICT (org_id) DO UPDATE
                      SET realm_id = EXCLUDED.realm_id, environment = EXCLUDED.environment,
                          token_secret_id = EXCLUDED.token_secret_id, status = 'connected',
                          last_error = NULL, connected_at = now(), updated_at = now()""",
                (org_id, realm_id, environment, token_secret_id),
            )

    def qbo_connection(self, org_id: int) -> QboConnection | None:
        with self._db.transaction() as cur:
            cur.execute(
                """SELECT org_id, realm_id, environment, token_secret_id, item_id, status,
                          last_error
                   FROM qbo_connections WHERE org_id = %s""",
                (org_id,),
            )
            row = cur.fetchone()
        return QboConnection(**row) if row else None
