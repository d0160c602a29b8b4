"""Builds an org's ``QuickBooksBooks``: its connection, its token provider, settings."""

from __future__ import annotations

from crm_finance.adapters.postgres.connections import PostgresConnections
from crm_finance.adapters.qbo.books import QuickBooksBooks
from crm_finance.adapters.qbo.client import QboClient
from crm_finance.adapters.qbo.reader import QboBatchReader
from crm_finance.domain.qbo_tokens import QboTokenProvider, TokenEndpoint, TokenVault
from crm_finance.errors import QboNotConnected
from crm_finance.settings import Settings


class QuickBooksFactory:
    def __init__(
        self,
        connections: PostgresConnections,
        vault: TokenVault,
        endpoint: TokenEndpoint,
        settings: Settings,
    ) -> None:
        self._connections = connections
        self._vault = vault
        self._endpoint = endpoint
        self._settings = settings

    def tokens_for(self, org_id: int) -> QboTokenProvider:
        return QboTokenProvider(
            org_id,
            vault=self._vault,
            endpoint=self._endpoint,
            connections=self._connections,
            skew_seconds=self._settings.qbo_refresh_skew_seconds,
        )

    def reader_for(self, org_id: int) -> QboBatchReader:
        return QboBatchReader(
            self.for_org(org_id), requests_per_minute=self._settings.qbo_poll_requests_per_minute
        )

    def for_org(self, org_id: int) -> QuickBooksBooks:
        connection = self._connections.get(org_id)
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
            tokens=self.tokens_for(org_id),
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
