"""boto3 clients with timeouts and standard retries, created once per process.

All clients come from one boto3 session, so the second client reuses the first one's
loaded endpoint and partition data instead of reading it again at cold start.
"""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def _session() -> Any:
    import boto3

    return boto3.session.Session()


@cache
def aws_client(service: str) -> Any:
    from botocore.config import Config

    config = Config(
        connect_timeout=2,
        read_timeout=5,
        retries={"max_attempts": 3, "mode": "standard"},
    )
    return _session().client(service, config=config)
