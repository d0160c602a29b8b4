"""Resolver middleware: every admin route runs as exactly one org, taken from the token.

A shared check inside the resolver, rather than an HttpApi Lambda authorizer: one less
function and cold start per request, and the org id never leaves the process.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from crm_finance import wiring
from crm_finance.domain.auth import authenticate_admin
from crm_finance.errors import Unauthorized
from crm_finance.http.errors import error_response


def authenticated_org(app: Any) -> int:
    """The org of the request's bearer token, or ``Unauthorized``."""
    return authenticate_admin(
        app.current_event.headers.get("authorization"), tokens=wiring.admin_tokens()
    )


def require_admin(app: Any, next_middleware: NextMiddleware) -> Response:
    try:
        org_id = authenticated_org(app)
    except Unauthorized as exc:
        return error_response(exc.http_status, exc.code, exc.message)
    app.append_context(org_id=org_id)
    return next_middleware(app)


def admin_org(app: Any) -> int:
    return int(app.context["org_id"])
