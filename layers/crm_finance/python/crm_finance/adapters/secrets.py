"""Secrets Manager through Powertools ``parameters``, cached for ``max_age`` seconds."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from crm_finance.adapters.aws import aws_client
from crm_finance.errors import ConfigurationError, DependencyUnavailable


@lru_cache(maxsize=1)
def _provider() -> Any:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider

    return SecretsProvider(boto3_client=aws_client("secretsmanager"))


def read_secret(secret_id: str, *, max_age: int, force: bool = False) -> str:
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    try:
        return _provider().get(secret_id, max_age=max_age, force_fetch=force)
    except GetParameterError as exc:
        if "ResourceNotFoundException" in str(exc):
            raise ConfigurationError(f"secret {secret_id} does not exist") from None
        raise DependencyUnavailable("Secrets Manager could not be read") from None


def read_json_secret(secret_id: str, *, max_age: int, force: bool = False) -> dict[str, Any]:
    import json

    value = json.loads(read_secret(secret_id, max_age=max_age, force=force))
    if not isinstance(value, dict):
        raise ConfigurationError(f"secret {secret_id} is not a JSON object")
    return value


def clear_provider() -> None:
    """Forget the provider and its client (configuration changed)."""
    _provider.cache_clear()


def clear_secret_cache() -> None:
    """Drop cached values (the local stack calls this after it rotates a secret)."""
    _provider().clear_cache()
