"""Request bodies and query strings validated into models; failures are clear 400s."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from crm_finance.errors import BadRequest

M = TypeVar("M", bound=BaseModel)
MAX_BODY_BYTES = 64 * 1024


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()[:5]
    )


def json_body(app: Any, model: type[M]) -> M:
    body = app.current_event.decoded_body or ""
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest("request body is too large")
    try:
        data = json.loads(body)
    except ValueError:
        raise BadRequest("request body must be JSON") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BadRequest(_problems(exc)) from None


def query_params(app: Any, model: type[M]) -> M:
    try:
        return model.model_validate(app.current_event.query_string_parameters or {})
    except ValidationError as exc:
        raise BadRequest(_problems(exc)) from None


def public_api_url(app: Any, settings: Any) -> str:
    """Where clients reach this API: PUBLIC_API_URL, else API Gateway's domain and stage."""
    if settings.public_api_url:
        return str(settings.public_api_url).rstrip("/")
    context = app.current_event.raw_event.get("requestContext", {})
    stage = context.get("stage", "$default")
    base = f"https://{context.get('domainName', 'localhost')}"
    return base if stage == "$default" else f"{base}/{stage}"


def path_id(value: str) -> int:
    """A numeric id from the path; anything else is a 400, not a 500."""
    if not value.isdecimal() or len(value) > 18:
        raise BadRequest(f"invalid id in path: {value[:20]!r}")
    return int(value)
