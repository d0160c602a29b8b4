"""Fixtures for the integration and monitoring tiers.

Real PostgreSQL (pgserver or $DATABASE_URL), moto and the QBO emulator.

One local stack serves the whole session, exactly as ``crm-finance serve`` runs it,
except that the SQS event source is driven by the tests (``drain``) instead of a thread,
so that tests wait on work deterministically rather than sleeping.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from crm_finance.devstack import stripe_fixtures
from crm_finance.devstack.stack import LocalStack, StackOptions


@pytest.fixture(scope="session")
def stack() -> Iterator[LocalStack]:
    local = LocalStack(StackOptions(api_port=0, state_dir=None, run_event_source=False)).start()
    yield local
    local.stop()


class Api:
    """The local API Gateway, spoken to over HTTP like any client would."""

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.info = stack.info
        self.http = requests.Session()

    @property
    def admin_headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.info['admin_token']}"}

    def create_lead(
        self,
        *,
        amount_cents: int = 100_000,
        currency: str = "USD",
        email: str = "buyer@example.com",
        name: str = "Buyer",
        company: str | None = "Buyer Co",
        org_headers: dict | None = None,
    ) -> int:
        response = self.http.post(
            f"{self.info['api_url']}/leads",
            json={
                "contact_name": name,
                "contact_email": email,
                "company_name": company,
                "amount_cents": amount_cents,
                "currency": currency,
            },
            headers=org_headers or self.admin_headers,
            timeout=10,
        )
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def webhook(self, event: dict[str, Any], *, secret: str | None = None) -> requests.Response:
        body, headers = stripe_fixtures.webhook_request(
            event, secret or self.info["stripe_webhook_secret"]
        )
        return self.post_webhook(body, headers)

    def post_webhook(self, body: str | bytes, headers: dict[str, str]) -> requests.Response:
        return self.http.post(
            f"{self.info['api_url']}/payments/webhook", data=body, headers=headers, timeout=10
        )

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("headers", self.admin_headers)
        return self.http.get(f"{self.info['api_url']}{path}", timeout=10, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("headers", self.admin_headers)
        return self.http.post(f"{self.info['api_url']}{path}", timeout=10, **kwargs)


@pytest.fixture
def api(stack: LocalStack) -> Api:
    return Api(stack)


class Db:
    """Direct reads of the CRM database, for asserting on state."""

    def __init__(self, url: str) -> None:
        import psycopg
        from psycopg.rows import dict_row

        self.conn = psycopg.connect(url, autocommit=True, row_factory=dict_row)

    def rows(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        return self.conn.execute(sql, params).fetchall()

    def one(self, sql: str, *params: Any) -> dict[str, Any]:
        rows = self.rows(sql, *params)
        assert len(rows) == 1, rows
        return rows[0]

    def ledger(self, lead_id: int) -> list[tuple[str, int]]:
        return [
            (r["kind"], r["amount_cents"])
            for r in self.rows(
                "SELECT kind, amount_cents FROM finance_ledger WHERE lead_id = %s ORDER BY id",
                lead_id,
            )
        ]


@pytest.fixture(scope="session")
def db(stack: LocalStack) -> Iterator[Db]:
    handle = Db(stack.info["database_url"])
    yield handle
    handle.conn.close()


class Books:
    """The demo org's company in the QBO emulator."""

    def __init__(self, stack: LocalStack) -> None:
        self.emulator = stack.emulator
        self.realm = stack.info["qbo"]["realm_id"]

    def find(self, entity: str, **match: Any) -> list[dict[str, Any]]:
        """Objects whose fields equal ``match``; ``A__B`` reaches into nested objects."""
        found = self.emulator.objects(self.realm, entity)
        return [o for o in found if all(_dig(o, k) == v for k, v in match.items())]

    def payments_for(self, invoice_id: str) -> list[dict[str, Any]]:
        return [
            p
            for p in self.find("Payment")
            if any(
                t.get("TxnId") == invoice_id
                for line in p.get("Line", [])
                for t in line.get("LinkedTxn", [])
            )
        ]


@pytest.fixture
def books(stack: LocalStack) -> Books:
    return Books(stack)


def _dig(obj: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("__"):
        obj = obj.get(part) if isinstance(obj, dict) else None  # type: ignore[assignment]
    return obj


def dumps(value: Any) -> str:
    return json.dumps(value, default=str)
