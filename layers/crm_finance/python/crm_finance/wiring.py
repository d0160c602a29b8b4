"""Production wiring: each adapter built once per process and reused by warm invocations.

Handlers pass these to the domain functions as keyword arguments; tests pass their own.
Only what a function touches is imported, so a function's cold start pays for its own
dependencies alone.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from crm_finance.errors import ConfigurationError
from crm_finance.settings import load_settings


def database_url() -> str:
    """DATABASE_URL, or one built from the RDS secret and the RDS Proxy endpoint."""
    s = load_settings()
    if s.database_url:
        return s.database_url
    if not (s.database_secret_id and s.database_host):
        raise ConfigurationError(
            "missing configuration: DATABASE_URL, or DATABASE_SECRET_ID and DATABASE_HOST"
        )
    from urllib.parse import quote

    from crm_finance.adapters.secrets import read_json_secret

    secret = read_json_secret(s.database_secret_id, max_age=s.secrets_max_age_seconds)
    user, password = (
        quote(str(secret["username"]), safe=""),
        quote(str(secret["password"]), safe=""),
    )
    port = secret.get("port", 5432)
    return (
        f"postgresql://{user}:{password}@{s.database_host}:{port}/{s.database_name}?sslmode=require"
    )


@lru_cache(maxsize=1)
def database() -> Any:
    from crm_finance.adapters.postgres.database import database_for

    s = load_settings()
    return database_for(
        database_url(),
        connect_timeout=s.db_connect_timeout_seconds,
        statement_timeout_ms=s.db_statement_timeout_ms,
    )


@lru_cache(maxsize=1)
def webhook_ports() -> dict[str, Any]:
    from crm_finance.adapters.aws import aws_client
    from crm_finance.adapters.postgres.repositories import PostgresInbox
    from crm_finance.adapters.secrets import read_secret
    from crm_finance.adapters.sqs_queue import SqsWorkQueue
    from crm_finance.adapters.stripe_signature import StripeSignatureVerifier

    s = load_settings().require("stripe_webhook_secret_id", "invoice_queue_url")
    secret_id, max_age = s.stripe_webhook_secret_id, s.secrets_max_age_seconds
    assert secret_id is not None and s.invoice_queue_url is not None
    return {
        "verifier": StripeSignatureVerifier(
            lambda: read_secret(secret_id, max_age=max_age), s.stripe_tolerance_seconds
        ),
        "inbox": PostgresInbox(database()),
        "queue": SqsWorkQueue(s.invoice_queue_url, aws_client("sqs")),
    }


@lru_cache(maxsize=1)
def connections() -> Any:
    from crm_finance.adapters.postgres.connections import PostgresConnections

    return PostgresConnections(database())


@lru_cache(maxsize=1)
def token_vault() -> Any:
    from crm_finance.adapters.qbo.token_vault import SecretsManagerTokenVault

    s = load_settings()
    return SecretsManagerTokenVault(s.qbo_token_secret_prefix, max_age=s.secrets_max_age_seconds)


@lru_cache(maxsize=1)
def intuit_oauth() -> Any:
    from crm_finance.adapters.postgres.discovery_cache import PostgresDiscoveryCache
    from crm_finance.adapters.qbo.intuit_oauth import IntuitOAuth
    from crm_finance.adapters.secrets import read_json_secret

    s = load_settings().require("qbo_app_secret_id")
    app_secret, max_age = s.qbo_app_secret_id, s.secrets_max_age_seconds
    assert app_secret is not None
    return IntuitOAuth(
        credentials=lambda: read_json_secret(app_secret, max_age=max_age),
        redirect_uri=s.oauth_redirect_uri or "",
        discovery_url=s.qbo_discovery_url,
        discovery_cache=PostgresDiscoveryCache(database()),
        discovery_max_age=s.discovery_cache_seconds,
        environment=s.qbo_environment,
        timeout=s.qbo_timeout_seconds,
    )


@lru_cache(maxsize=1)
def qbo_books() -> Any:
    from crm_finance.adapters.qbo.factory import QuickBooksFactory

    return QuickBooksFactory(connections(), token_vault(), intuit_oauth(), load_settings())


@lru_cache(maxsize=1)
def invoicing_ports() -> dict[str, Any]:
    from crm_finance.adapters.postgres.repositories import (
        PostgresInbox,
        PostgresInvoiceLedger,
        PostgresLeads,
    )

    db = database()
    return {
        "inbox": PostgresInbox(db),
        "leads": PostgresLeads(db),
        "ledger": PostgresInvoiceLedger(db),
        "books": qbo_books(),
    }


@lru_cache(maxsize=1)
def oauth_ports() -> dict[str, Any]:
    from crm_finance.adapters.postgres.oauth_states import PostgresOAuthStates

    if load_settings().oauth_redirect_uri is None:
        raise ConfigurationError("missing configuration: PUBLIC_API_URL (or QBO_REDIRECT_URI)")
    return {
        "states": PostgresOAuthStates(database()),
        "oauth": intuit_oauth(),
        "vault": token_vault(),
        "connections": connections(),
    }


@lru_cache(maxsize=1)
def poll_ports() -> dict[str, Any]:
    from crm_finance.adapters.postgres.poll_store import PostgresPollStore
    from crm_finance.domain.polling import wall_clock

    return {
        "store": PostgresPollStore(database()),
        "reader_for": qbo_books().reader_for,
        "now": wall_clock,
    }


@lru_cache(maxsize=1)
def schedule_ports() -> dict[str, Any]:
    from crm_finance.adapters.aws import aws_client
    from crm_finance.adapters.sqs_queue import SqsPollQueue

    s = load_settings().require("poll_queue_url")
    assert s.poll_queue_url is not None
    return {"orgs": connections(), "queue": SqsPollQueue(s.poll_queue_url, aws_client("sqs"))}


@lru_cache(maxsize=1)
def metrics_ports() -> dict[str, Any]:
    from crm_finance.adapters.postgres.finance_state import PostgresFinanceState
    from crm_finance.adapters.secrets import read_secret

    s = load_settings().require("metrics_token_secret_id")
    secret_id, max_age = s.metrics_token_secret_id, s.admin_tokens_max_age_seconds
    assert secret_id is not None
    return {
        "state": PostgresFinanceState(database()),
        "token": lambda: read_secret(secret_id, max_age=max_age),
    }


@lru_cache(maxsize=1)
def leads() -> Any:
    from crm_finance.adapters.postgres.repositories import PostgresLeads

    return PostgresLeads(database())


@lru_cache(maxsize=1)
def admin_tokens() -> Any:
    from crm_finance.adapters.admin_tokens import SecretAdminTokens

    s = load_settings().require("admin_tokens_secret_id")
    assert s.admin_tokens_secret_id is not None
    return SecretAdminTokens(s.admin_tokens_secret_id, max_age=s.admin_tokens_max_age_seconds)


def reset() -> None:
    """Forget every cached adapter (tests that change configuration call this)."""
    for factory in (
        database,
        webhook_ports,
        connections,
        token_vault,
        intuit_oauth,
        qbo_books,
        invoicing_ports,
        oauth_ports,
        poll_ports,
        schedule_ports,
        metrics_ports,
        leads,
        admin_tokens,
    ):
        factory.cache_clear()
    load_settings.cache_clear()
    from crm_finance.adapters import aws, secrets

    aws.aws_client.cache_clear()
    aws._session.cache_clear()
    secrets.clear_provider()
