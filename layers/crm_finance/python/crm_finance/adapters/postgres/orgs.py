"""Orgs (tenants)."""

from __future__ import annotations

from crm_finance.adapters.postgres.database import Database, fetch_one


class PostgresOrgs:
    def __init__(self, db: Database) -> None:
        self._db = db

    def create(self, name: str) -> int:
        with self._db.statement() as cur:
            cur.execute("INSERT INTO orgs (name) VALUES (%s) RETURNING id", (name,))
            return int(fetch_one(cur)["id"])
