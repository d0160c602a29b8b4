"""The whole system in one process: embedded PostgreSQL, moto, the QBO emulator, the
API on :8089 in front of the real handlers, and the SQS event source for the worker."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crm_finance.devstack.local_aws import LocalAws, apply_environment

STAGE = "local"
WORKER_FUNCTION = "InvoiceWorkerFunction"
POLL_WORKER_FUNCTION = "PollWorkerFunction"


@dataclass
class StackOptions:
    host: str = "127.0.0.1"
    api_port: int = 8089
    database_url: str | None = None
    state_dir: Path | None = Path(".local")
    run_event_source: bool = True
    visibility_timeout: int = 2
    max_receives: int = 5
    poll_interval_seconds: float | None = None  # None: the schedule does not run
    connect_demo_org: bool = True  # False: the demo org connects through the OAuth flow
    stripe_webhook_secret: str | None = None  # e.g. the one `stripe listen` prints
    extra_env: dict[str, str] = field(default_factory=dict)


class LocalStack:
    def __init__(self, options: StackOptions | None = None) -> None:
        self.options = options or StackOptions()
        self._started: list[Any] = []
        self.info: dict[str, Any] = {}

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> LocalStack:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        from crm_finance import wiring
        from crm_finance.adapters.admin_tokens import token_digest
        from crm_finance.adapters.postgres.migrate import apply_migrations
        from crm_finance.devstack.api_gateway import LocalApiGateway
        from crm_finance.devstack.embedded_postgres import EmbeddedPostgres
        from crm_finance.devstack.lambda_runtime import unload_functions
        from crm_finance.devstack.qbo_emulator import QboEmulator
        from crm_finance.devstack.schedule import LocalSchedule
        from crm_finance.devstack.sqs_event_source import SqsEventSource

        opts = self.options
        database_url = opts.database_url or os.environ.get("DATABASE_URL")
        if not database_url:
            pg = EmbeddedPostgres().start()
            self._started.append(pg)
            database_url = pg.url
        apply_migrations(database_url)

        self.aws = LocalAws(opts.host).start()
        self._started.append(self.aws)
        self.emulator = QboEmulator(host=opts.host, port=0).start()
        self._started.append(self.emulator)

        webhook_secret = opts.stripe_webhook_secret or "whsec_" + secrets.token_urlsafe(24)
        admin_token = "adm_" + secrets.token_urlsafe(24)
        metrics_token = "met_" + secrets.token_urlsafe(24)
        queue_url = self.aws.create_queue_with_dlq(
            "crm-finance-invoices",
            visibility_timeout=opts.visibility_timeout,
            max_receives=opts.max_receives,
        )
        poll_queue_url = self.aws.create_queue_with_dlq(
            "crm-finance-polls", visibility_timeout=opts.visibility_timeout, max_receives=3
        )
        stripe_secret_id = self.aws.put_secret(
            f"crm-finance/{STAGE}/stripe-webhook", webhook_secret
        )
        metrics_secret_id = self.aws.put_secret(f"crm-finance/{STAGE}/metrics-token", metrics_token)
        qbo_app_secret_id = self.aws.put_secret(
            f"crm-finance/{STAGE}/qbo-app",
            {"client_id": self.emulator.client_id, "client_secret": self.emulator.client_secret},
        )
        self.api = LocalApiGateway(opts.host, opts.api_port).start()
        self._started.append(self.api)

        env = {
            **self.aws.environment(),
            "DATABASE_URL": database_url,
            "STRIPE_WEBHOOK_SECRET_ID": stripe_secret_id,
            "INVOICE_QUEUE_URL": queue_url,
            "POLL_QUEUE_URL": poll_queue_url,
            "QBO_API_BASE_URL": self.emulator.base_url,
            "QBO_APP_SECRET_ID": qbo_app_secret_id,
            "METRICS_TOKEN_SECRET_ID": metrics_secret_id,
            "QBO_DISCOVERY_URL": self.emulator.discovery_url,
            "QBO_REDIRECT_URI": f"{self.api.url}/qbo/oauth/callback",
            "QBO_TOKEN_SECRET_PREFIX": f"crm-finance/{STAGE}/qbo/",
            "PUBLIC_API_URL": self.api.url,
            "QBO_BACKOFF_BASE_SECONDS": "0.05",
            "QBO_BACKOFF_MAX_SECONDS": "0.5",
            "QBO_TIMEOUT_SECONDS": "5",
            "SECRETS_MAX_AGE_SECONDS": "5",
            "POWERTOOLS_SERVICE_NAME": "crm-finance-local",
            "PYDANTIC_DISABLE_PLUGINS": "__all__",
            "POWERTOOLS_METRICS_NAMESPACE": "crm-finance",
            **opts.extra_env,
        }
        apply_environment(env)
        wiring.reset()

        org_id, realm_id, access_token = self._create_demo_org(database_url, opts.connect_demo_org)
        admin_secret_id = self.aws.put_secret(
            f"crm-finance/{STAGE}/admin-tokens",
            {"tokens": [{"sha256": token_digest(admin_token), "org_id": org_id, "label": "demo"}]},
        )
        apply_environment({"ADMIN_TOKENS_SECRET_ID": admin_secret_id})
        wiring.reset()
        unload_functions()

        sqs = self.aws.client("sqs")
        self.event_source = SqsEventSource(sqs, queue_url, WORKER_FUNCTION)
        self.poll_source = SqsEventSource(sqs, poll_queue_url, POLL_WORKER_FUNCTION, batch_size=1)
        if opts.run_event_source:
            for source in (self.event_source, self.poll_source):
                source.start()
                self._started.append(source)
        self.schedule = LocalSchedule("PollSchedulerFunction", opts.poll_interval_seconds)
        if opts.poll_interval_seconds:
            self._started.append(self.schedule.start())

        self.info = {
            "api_url": self.api.url,
            "admin_token": admin_token,
            "org_id": org_id,
            "metrics_token": metrics_token,
            "stripe_webhook_secret": webhook_secret,
            "database_url": database_url,
            "aws_endpoint_url": self.aws.endpoint_url,
            "env": {**env, "ADMIN_TOKENS_SECRET_ID": admin_secret_id},
            "invoice_queue_url": queue_url,
            "poll_queue_url": poll_queue_url,
            "qbo": {
                "api_url": self.emulator.base_url,
                "realm_id": realm_id,
                "access_token": access_token,
            },
        }
        if opts.state_dir is not None:
            opts.state_dir.mkdir(parents=True, exist_ok=True)
            path = opts.state_dir / "stack.json"
            path.write_text(json.dumps(self.info, indent=2) + "\n")
            path.chmod(0o600)
            token = opts.state_dir / "metrics_token"  # monitoring/prometheus.yml's credentials_file
            token.write_text(metrics_token)
            token.chmod(0o600)

    def _create_demo_org(
        self, database_url: str, connect: bool
    ) -> tuple[int, str | None, str | None]:
        from crm_finance.adapters.postgres.database import Database
        from crm_finance.adapters.postgres.orgs import PostgresOrgs

        db = Database(database_url)
        try:
            org_id = PostgresOrgs(db).create("Demo Org")
        finally:
            db.close()
        if not connect:
            return org_id, None, None
        realm_id, access_token = self.connect_org_to_emulator(org_id)
        return org_id, realm_id, access_token

    def connect_org_to_emulator(self, org_id: int) -> tuple[str, str]:
        """Give ``org_id`` its own emulated QBO company and store its tokens, as the OAuth
        callback would; returns (realm_id, access_token)."""
        from crm_finance import wiring
        from crm_finance.domain.qbo_tokens import QboTokens

        realm_id = self.emulator.create_company(name=f"Org {org_id} Co")
        issued = self.emulator.issue_tokens(realm_id, access_ttl=3600)
        tokens = QboTokens.issued(issued, realm_id=realm_id, environment="sandbox", now=time.time())
        secret_id = wiring.token_vault().write(org_id, tokens)
        wiring.connections().save_connected(org_id, tokens, token_secret_id=secret_id)
        return realm_id, tokens.access_token

    def add_org(self, name: str, *, connect_qbo: bool = True) -> tuple[int, str]:
        """Another org with its own admin token (and QBO company); returns (org_id, token)."""
        from crm_finance.adapters.admin_tokens import token_digest
        from crm_finance.adapters.postgres.database import Database
        from crm_finance.adapters.postgres.orgs import PostgresOrgs
        from crm_finance.adapters.secrets import clear_secret_cache

        db = Database(self.info["database_url"])
        try:
            org_id = PostgresOrgs(db).create(name)
        finally:
            db.close()
        if connect_qbo:
            self.connect_org_to_emulator(org_id)
        token = "adm_" + secrets.token_urlsafe(24)
        secret_id = self.info["env"]["ADMIN_TOKENS_SECRET_ID"]
        sm = self.aws.client("secretsmanager")
        current = json.loads(sm.get_secret_value(SecretId=secret_id)["SecretString"])
        current["tokens"].append({"sha256": token_digest(token), "org_id": org_id, "label": name})
        sm.put_secret_value(SecretId=secret_id, SecretString=json.dumps(current))
        clear_secret_cache()  # what SECRETS_MAX_AGE_SECONDS does in a deployed function
        return org_id, token

    def revoke_admin_token(self, token: str) -> None:
        """Remove one admin token, as an operator would (the next lookup misses it)."""
        from crm_finance.adapters.admin_tokens import token_digest
        from crm_finance.adapters.secrets import clear_secret_cache

        secret_id = self.info["env"]["ADMIN_TOKENS_SECRET_ID"]
        sm = self.aws.client("secretsmanager")
        current = json.loads(sm.get_secret_value(SecretId=secret_id)["SecretString"])
        digest = token_digest(token)
        current["tokens"] = [t for t in current["tokens"] if t["sha256"] != digest]
        sm.put_secret_value(SecretId=secret_id, SecretString=json.dumps(current))
        clear_secret_cache()  # what ADMIN_TOKENS_MAX_AGE_SECONDS does in a deployed function

    def stop(self) -> None:
        while self._started:
            part = self._started.pop()
            with contextlib.suppress(Exception):  # keep stopping the rest
                part.stop()
        state_dir = self.options.state_dir
        if state_dir is not None:
            for name in ("stack.json", "metrics_token"):
                (state_dir / name).unlink(missing_ok=True)
