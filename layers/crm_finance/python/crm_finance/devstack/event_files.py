"""events/*.json made ready for a running local stack (``crm-finance invoke``, tests).

The files are valid for ``sam local invoke -e`` as they are; two placeholders are
swapped for the stack's real credentials: the Stripe signature (re-signed, see
``stripe_fixtures.resign_api_event``) and the admin bearer ``local-admin-token``.
"""

from __future__ import annotations

from typing import Any

from crm_finance.devstack.stripe_fixtures import resign_api_event

ADMIN_TOKEN_PLACEHOLDER = "Bearer local-admin-token"  # noqa: S105


def prepare_event(event: dict[str, Any], stack_info: dict[str, Any]) -> dict[str, Any]:
    headers = event.get("headers") or {}
    if "stripe-signature" in headers:
        event = resign_api_event(event, stack_info["stripe_webhook_secret"])
    if headers.get("authorization") == ADMIN_TOKEN_PLACEHOLDER:
        event = {
            **event,
            "headers": {**headers, "authorization": f"Bearer {stack_info['admin_token']}"},
        }
    return event
