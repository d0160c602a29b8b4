"""Stripe webhook events reduced to the payments this system invoices.

The models validate the few fields used; everything else in Stripe's payload (card
details included) is dropped before anything is stored.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crm_finance.domain.models import InboxStatus, StripePayment
from crm_finance.errors import BadRequest

PAYMENT_INTENT_SUCCEEDED = "payment_intent.succeeded"
CHECKOUT_SESSION_COMPLETED = "checkout.session.completed"
HANDLED_EVENT_TYPES = frozenset({PAYMENT_INTENT_SUCCEEDED, CHECKOUT_SESSION_COMPLETED})


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _CustomerDetails(_Lenient):
    email: str | None = None


class StripeObject(_Lenient):
    id: str = Field(min_length=1, max_length=255)
    object: str
    amount: int | None = Field(None, ge=0, strict=True)
    amount_received: int | None = Field(None, ge=0, strict=True)
    amount_total: int | None = Field(None, ge=0, strict=True)
    currency: str | None = Field(None, pattern=r"^[a-zA-Z]{3}$")
    metadata: dict[str, str] = Field(default_factory=dict)
    payment_intent: str | None = None
    payment_status: str | None = None
    receipt_email: str | None = None
    customer_details: _CustomerDetails | None = None


class _EventData(_Lenient):
    object: dict[str, Any]


class StripeEvent(_Lenient):
    id: str = Field(min_length=1, max_length=255)
    type: str = Field(min_length=1, max_length=255)
    livemode: bool = False
    created: int | None = None
    data: _EventData


class ClassifiedEvent(BaseModel):
    event: StripeEvent
    status: InboxStatus
    reason: str | None
    payment: StripePayment | None
    stored_payload: dict[str, Any]


def _metadata_id(metadata: dict[str, str], key: str) -> int | None:
    value = metadata.get(key, "").strip()
    return int(value) if value.isdecimal() and len(value) < 19 else None


def _payment_from(obj: StripeObject, event_type: str) -> StripePayment:
    if event_type == PAYMENT_INTENT_SUCCEEDED:
        amount = obj.amount_received if obj.amount_received is not None else obj.amount
        key = obj.id
    else:
        amount = obj.amount_total
        key = obj.payment_intent or obj.id
    if amount is None or obj.currency is None:
        raise BadRequest(f"{event_type} without amount or currency")
    return StripePayment(
        payment_key=key,
        amount_cents=amount,
        currency=obj.currency.upper(),
        org_id=_metadata_id(obj.metadata, "org_id"),
        lead_id=_metadata_id(obj.metadata, "lead_id"),
    )


def classify_event(raw: dict[str, Any]) -> ClassifiedEvent:
    """Validate a verified event and decide whether it is work or only a record."""
    try:
        event = StripeEvent.model_validate(raw)
        obj = (
            StripeObject.model_validate(event.data.object)
            if event.type in HANDLED_EVENT_TYPES
            else None
        )
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors()[:5])
        raise BadRequest(f"malformed Stripe event ({fields})") from None

    payment: StripePayment | None = None
    status: InboxStatus = InboxStatus.IGNORED
    reason: str | None = f"event type {event.type} is not invoiced"
    if obj is not None:
        if event.type == CHECKOUT_SESSION_COMPLETED and obj.payment_status != "paid":
            reason = f"checkout session payment_status={obj.payment_status}"
        else:
            payment = _payment_from(obj, event.type)
            status, reason = InboxStatus.RECEIVED, None

    stored: dict[str, Any] = {"id": event.id, "type": event.type, "created": event.created}
    if obj is not None:
        stored["object"] = obj.model_dump(exclude_none=True, exclude={"customer_details"})
    return ClassifiedEvent(
        event=event, status=status, reason=reason, payment=payment, stored_payload=stored
    )
