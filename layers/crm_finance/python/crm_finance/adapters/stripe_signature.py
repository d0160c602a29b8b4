"""Stripe signature verification with the ``stripe`` library itself."""

from __future__ import annotations

import json
from collections.abc import Callable

MAX_PAYLOAD_BYTES = 512 * 1024  # Stripe events are a few KiB; refuse anything absurd early


class StripeSignatureVerifier:
    def __init__(self, secret: Callable[[], str], tolerance_seconds: int = 300) -> None:
        self._secret = secret  # resolved per call so that a rotated secret is picked up
        self._tolerance = tolerance_seconds

    def verify(self, payload: str, signature_header: str | None) -> dict:
        from stripe import SignatureVerificationError, WebhookSignature

        from crm_finance.errors import BadRequest, InvalidSignature

        if not signature_header:
            raise InvalidSignature("missing Stripe-Signature header")
        if len(payload) > MAX_PAYLOAD_BYTES:
            raise BadRequest("request body is too large for a Stripe event")
        try:
            WebhookSignature.verify_header(
                payload, signature_header, self._secret(), self._tolerance
            )
        except SignatureVerificationError as exc:
            # Stripe's messages name no secret; keep only the first sentence.
            raise InvalidSignature(str(exc.user_message or exc).split(".")[0]) from None
        try:
            event = json.loads(payload)
        except ValueError:
            raise BadRequest("request body is not JSON") from None
        if not isinstance(event, dict):
            raise BadRequest("request body is not a JSON object")
        return event
