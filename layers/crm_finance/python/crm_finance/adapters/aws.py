"""boto3 clients with timeouts and standard retries, created once per process."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def aws_client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=2,
        read_timeout=5,
        retries={"max_attempts": 3, "mode": "standard"},
    )
    return boto3.session.Session().client(service, config=config)  # type: ignore[call-overload]
