"""Intuit's OpenID discovery document, fetched at most once per ``max_age`` for all instances."""

from __future__ import annotations

import json
from typing import Any

from crm_finance.adapters.postgres.database import Database


class PostgresDiscoveryCache:
    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, url: str, *, max_age_seconds: int) -> dict[str, Any] | None:
        with self._db.statement() as cur:
            cur.execute(
                """SELECT document FROM qbo_discovery_cache
                   WHERE url = %s AND fetched_at > now() - make_interval(secs => %s)""",
                (url, max_age_seconds),
            )
            row = cur.fetchone()
        return dict(row["document"]) if row else None

    def put(self, url: str, document: dict[str, Any]) -> None:
        with self._db.statement() as cur:
            cur.execute(
                """INSERT INTO qbo_discovery_cache (url, document) VALUES (%s, %s::jsonb)
                   ON CONFLICT (url) DO UPDATE
                      SET document = EXCLUDED.document, fetched_at = now()""",
                (url, json.dumps(document)),
            )
