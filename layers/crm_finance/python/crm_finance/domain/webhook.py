"""Receiving a Stripe webhook: verify, store once, hand off, answer fast."""

from __future__ import annotations

from dataclasses import dataclass

from crm_finance.domain.models import InboxStatus
from crm_finance.domain.ports import EventInbox, SignatureVerifier, WorkQueue
from crm_finance.domain.stripe_events import classify_event


@dataclass(frozen=True)
class WebhookOutcome:
    event_id: str
    status: InboxStatus
    duplicate: bool


def receive_stripe_event(
    payload: str,
    signature_header: str | None,
    *,
    verifier: SignatureVerifier,
    inbox: EventInbox,
    queue: WorkQueue,
) -> WebhookOutcome:
    """Store first, enqueue second.

    If the enqueue fails the caller answers 5xx; Stripe's retry finds the stored event
    still ``received`` and enqueues it again. The worker is idempotent, so a second
    message for the same event is harmless.
    """
    classified = classify_event(verifier.verify(payload, signature_header))
    event = classified.event
    status, created = inbox.record(
        event.id,
        event.type,
        event.livemode,
        classified.payment,
        classified.stored_payload,
        classified.status,
        classified.reason,
    )
    if status is InboxStatus.RECEIVED:
        queue.enqueue(event.id)
    return WebhookOutcome(event_id=event.id, status=status, duplicate=not created)
