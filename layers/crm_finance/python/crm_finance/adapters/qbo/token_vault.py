"""QBO tokens in Secrets Manager, one secret per org (``<prefix>org-<id>``)."""

from __future__ import annotations

import json

from crm_finance.adapters.aws import aws_client
from crm_finance.adapters.secrets import clear_secret_cache, read_json_secret
from crm_finance.domain.qbo_tokens import QboTokens
from crm_finance.errors import ConfigurationError, DependencyUnavailable


class SecretsManagerTokenVault:
    def __init__(self, prefix: str, *, max_age: int) -> None:
        self._prefix = prefix
        self._max_age = max_age

    def secret_id(self, org_id: int) -> str:
        return f"{self._prefix}org-{org_id}"

    def read(self, org_id: int, *, fresh: bool = False) -> QboTokens | None:
        try:
            value = read_json_secret(self.secret_id(org_id), max_age=self._max_age, force=fresh)
        except ConfigurationError:  # no secret yet: this org never connected
            return None
        return QboTokens.from_secret(value)

    def write(self, org_id: int, tokens: QboTokens) -> str:
        return self._put(org_id, json.dumps(tokens.to_secret()))

    def delete(self, org_id: int) -> None:
        self._put(org_id, "{}")

    def _put(self, org_id: int, text: str) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        sm = aws_client("secretsmanager")
        name = self.secret_id(org_id)
        try:
            try:
                arn = sm.put_secret_value(SecretId=name, SecretString=text)["ARN"]
            except sm.exceptions.ResourceNotFoundException:
                arn = sm.create_secret(
                    Name=name, SecretString=text, Description="QBO OAuth tokens of one org"
                )["ARN"]
        except (BotoCoreError, ClientError) as exc:
            raise DependencyUnavailable(
                f"Secrets Manager write failed: {type(exc).__name__}"
            ) from None
        clear_secret_cache()  # this instance must not serve the superseded tokens
        return str(arn)
