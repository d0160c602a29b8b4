"""Stripe webhook events as Stripe sends them, signed with the ``stripe`` library.

Used by the demo, the tests, the benchmarks and ``crm-finance sign-event``.
"""

from __future__ import annotations

import base64
import copy
import json
import time
from typing import Any

from stripe import WebhookSignature

API_VERSION = "2025-09-30.clover"
# events/*.json are signed with this placeholder; ``resign_api_event`` swaps in a fresh
# signature for the real secret only where the placeholder's signature is valid, so a
# deliberately forged event stays forged.
EVENTS_SIGNING_SECRET = "whsec_events_placeholder_resigned_at_invoke"  # noqa: S105


def _event(event_id: str, event_type: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": event_id,
        "object": "event",
        "api_version": API_VERSION,
        "created": int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
        "data": {"object": obj},
    }


def payment_intent_succeeded(
    event_id: str,
    payment_intent_id: str,
    *,
    amount_cents: int,
    currency: str = "usd",
    metadata: dict[str, str] | None = None,
    receipt_email: str | None = None,
) -> dict[str, Any]:
    return _event(
        event_id,
        "payment_intent.succeeded",
        {
            "id": payment_intent_id,
            "object": "payment_intent",
            "amount": amount_cents,
            "amount_received": amount_cents,
            "currency": currency,
            "status": "succeeded",
            "metadata": metadata or {},
            "receipt_email": receipt_email,
            "latest_charge": "ch_" + payment_intent_id.removeprefix("pi_"),
            "payment_method": "pm_card_visa",
            "payment_method_types": ["card"],
        },
    )


def checkout_session_completed(
    event_id: str,
    session_id: str,
    *,
    payment_intent_id: str,
    amount_cents: int,
    currency: str = "usd",
    metadata: dict[str, str] | None = None,
    email: str | None = None,
    payment_status: str = "paid",
) -> dict[str, Any]:
    return _event(
        event_id,
        "checkout.session.completed",
        {
            "id": session_id,
            "object": "checkout.session",
            "amount_total": amount_cents,
            "currency": currency,
            "metadata": metadata or {},
            "mode": "payment",
            "payment_intent": payment_intent_id,
            "payment_status": payment_status,
            "status": "complete",
            "customer_details": {"email": email, "name": None},
        },
    )


def sign(body: str, secret: str, timestamp: int | None = None) -> str:
    return WebhookSignature.generate_signature_header(body, secret, timestamp=timestamp)


def webhook_request(event: dict[str, Any], secret: str) -> tuple[str, dict[str, str]]:
    body = json.dumps(event, separators=(",", ":"))
    return body, {"content-type": "application/json", "stripe-signature": sign(body, secret)}


def resign_api_event(api_event: dict[str, Any], secret: str) -> dict[str, Any]:
    """A copy of an API Gateway event whose Stripe-Signature is fresh for ``secret``.

    Files in events/ carry a signature from when they were written; Stripe's tolerance
    window (5 minutes) means they must be re-signed before each invoke.
    """
    fresh = copy.deepcopy(api_event)
    body = fresh.get("body") or ""
    if fresh.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    headers = fresh.setdefault("headers", {})
    if _signed_with_placeholder(body, headers.get("stripe-signature", "")):
        headers["stripe-signature"] = sign(body, secret)
    return fresh


def _signed_with_placeholder(body: str, header: str) -> bool:
    from stripe import SignatureVerificationError

    try:
        WebhookSignature.verify_header(body, header, EVENTS_SIGNING_SECRET, tolerance=None)
    except SignatureVerificationError:
        return False
    return True
