"""One validated settings model, read once per cold start.

Every function reads the same model; ``require`` makes a function fail fast at import
time, with the variable's name, when something it needs is missing.
"""

from __future__ import annotations

import os
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crm_finance.errors import ConfigurationError


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    database_url: str | None = Field(None, alias="DATABASE_URL")
    database_secret_id: str | None = Field(None, alias="DATABASE_SECRET_ID")
    database_host: str | None = Field(None, alias="DATABASE_HOST")
    database_name: str = Field("crm", alias="DATABASE_NAME")
    db_connect_timeout_seconds: int = Field(5, ge=1, le=60, alias="DB_CONNECT_TIMEOUT_SECONDS")
    db_statement_timeout_ms: int = Field(10_000, ge=100, alias="DB_STATEMENT_TIMEOUT_MS")

    stripe_webhook_secret_id: str | None = Field(None, alias="STRIPE_WEBHOOK_SECRET_ID")
    stripe_tolerance_seconds: int = Field(300, ge=1, le=3600, alias="STRIPE_TOLERANCE_SECONDS")
    invoice_queue_url: str | None = Field(None, alias="INVOICE_QUEUE_URL")
    poll_queue_url: str | None = Field(None, alias="POLL_QUEUE_URL")
    public_api_url: str | None = Field(None, alias="PUBLIC_API_URL")
    metrics_token_secret_id: str | None = Field(None, alias="METRICS_TOKEN_SECRET_ID")
    admin_tokens_secret_id: str | None = Field(None, alias="ADMIN_TOKENS_SECRET_ID")
    secrets_max_age_seconds: int = Field(300, ge=0, alias="SECRETS_MAX_AGE_SECONDS")

    qbo_environment: Literal["sandbox", "production"] = Field("sandbox", alias="QBO_ENVIRONMENT")
    qbo_app_secret_id: str | None = Field(None, alias="QBO_APP_SECRET_ID")
    qbo_redirect_uri: str | None = Field(None, alias="QBO_REDIRECT_URI")
    qbo_discovery_url: str = Field(
        "https://developer.intuit.com/.well-known/openid_sandbox_configuration",
        alias="QBO_DISCOVERY_URL",
    )
    qbo_token_secret_prefix: str = Field("crm-finance/dev/qbo/", alias="QBO_TOKEN_SECRET_PREFIX")
    qbo_refresh_skew_seconds: int = Field(300, ge=0, le=3000, alias="QBO_REFRESH_SKEW_SECONDS")
    oauth_state_ttl_seconds: int = Field(600, ge=30, le=3600, alias="OAUTH_STATE_TTL_SECONDS")
    oauth_link_ttl_seconds: int = Field(300, ge=30, le=3600, alias="OAUTH_LINK_TTL_SECONDS")
    discovery_cache_seconds: int = Field(86_400, ge=60, alias="QBO_DISCOVERY_CACHE_SECONDS")
    admin_tokens_max_age_seconds: int = Field(
        15, ge=0, le=300, alias="ADMIN_TOKENS_MAX_AGE_SECONDS"
    )

    qbo_api_base_url: str = Field(
        "https://sandbox-quickbooks.api.intuit.com/v3", alias="QBO_API_BASE_URL"
    )
    qbo_poll_requests_per_minute: int = Field(
        400, ge=1, le=500, alias="QBO_POLL_REQUESTS_PER_MINUTE"
    )
    qbo_minor_version: int = Field(75, ge=75, alias="QBO_MINOR_VERSION")
    qbo_timeout_seconds: float = Field(10.0, gt=0, le=60, alias="QBO_TIMEOUT_SECONDS")
    qbo_max_attempts: int = Field(4, ge=1, le=10, alias="QBO_MAX_ATTEMPTS")
    qbo_backoff_base_seconds: float = Field(0.5, ge=0, le=30, alias="QBO_BACKOFF_BASE_SECONDS")
    qbo_backoff_max_seconds: float = Field(8.0, ge=0, le=120, alias="QBO_BACKOFF_MAX_SECONDS")

    @property
    def oauth_redirect_uri(self) -> str | None:
        """QBO_REDIRECT_URI, else PUBLIC_API_URL + /qbo/oauth/callback."""
        if self.qbo_redirect_uri:
            return self.qbo_redirect_uri
        if self.public_api_url:
            return self.public_api_url.rstrip("/") + "/qbo/oauth/callback"
        return None

    def require(self, *fields: str) -> Settings:
        missing = [
            type(self).model_fields[name].alias or name
            for name in fields
            if getattr(self, name) in (None, "")
        ]
        if missing:
            raise ConfigurationError(f"missing configuration: {', '.join(missing)}")
        return self


@lru_cache(maxsize=1)
def load_settings() -> Settings:
    try:
        return Settings.model_validate(dict(os.environ))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigurationError(f"invalid configuration: {problems}") from None
