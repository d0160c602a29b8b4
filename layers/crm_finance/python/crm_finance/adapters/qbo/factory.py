"""Builds an org's ``QuickBooksBooks`` from its connection record and settings."""

from __future__ import annotations

from crm_finance.adapters.postgres.orgs import PostgresOrgs
from crm_finance.adapters.qbo.books import QuickBooksBooks
from crm_finance.adapters.qbo.client import QboClient
from crm_finance.adapters.qbo.tokens import SecretAccessTokens
from crm_finance.errors import QboNotConnected
from crm_finance.settings import Settings


class QuickBooksFactory:
    def __init__(self, orgs: PostgresOrgs, settings: Settings) -> None:
        self._orgs = orgs
        self._settings = settings

    def for_org(self, org_id: int) -> QuickBooksBooks:
        connection = self._orgs.qbo_connection(org_id)
        if connection is None:
            raise QboNotConnected(f"org {org_id} has not connected QuickBooks")
        if connection.status != "connected":
            raise QboNotConnected(
                f"org {org_id} QuickBooks is disconnected: {connection.last_error}"
            )
        s = self._settings
        client = QboClient.connect(
            base_url=s.qbo_api_base_url,
            realm_id=connection.realm_id,
            tokens=SecretAccessTokens(
                connection.token_secret_id, max_age=s.secrets_max_age_seconds
            ),
            timeout=s.qbo_timeout_seconds,
            minor_version=s.qbo_minor_version,
        )
        return QuickBooksBooks(
            client,
            org_id=org_id,
            item_id=connection.item_id,
            max_attempts=s.qbo_max_attempts,
            backoff_base=s.qbo_backoff_base_seconds,
            backoff_max=s.qbo_backoff_max_seconds,
        )
