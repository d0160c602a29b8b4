"""The one place that maps domain exceptions to HTTP responses.

Bodies carry the error code and the exception's message, which adapters write without
secrets; unexpected exceptions get a generic body and are logged with a stack trace.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response, content_types

from crm_finance.errors import DomainError

logger = Logger(child=True)


def error_response(status: int, code: str, message: str) -> Response:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body={"error": code, "message": message},
    )


def register_exception_handlers(app: Any) -> None:
    @app.exception_handler(DomainError)
    def _domain_error(exc: DomainError) -> Response:
        log = logger.warning if exc.http_status < 500 else logger.error
        log("request failed", extra={"error": exc.code, "status": exc.http_status})
        return error_response(exc.http_status, exc.code, exc.message)

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        logger.exception("unhandled error")
        return error_response(500, "internal_error", "internal error")
