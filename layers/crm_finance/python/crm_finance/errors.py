"""Typed domain exceptions.

Adapters translate SDK and driver errors into these; ``crm_finance.http.errors`` maps
them to HTTP statuses in one place, and the invoice worker uses ``retryable`` to decide
between "report a batch item failure" and "record the reason and stop".
"""

from __future__ import annotations


class DomainError(Exception):
    """Base class. ``http_status`` and ``code`` are what a caller is told."""

    http_status = 500
    code = "internal_error"
    retryable = False

    def __init__(self, message: str = "") -> None:
        super().__init__(message or self.__class__.__doc__ or self.code)

    @property
    def message(self) -> str:
        return str(self.args[0])


# --- configuration -------------------------------------------------------------------
class ConfigurationError(DomainError):
    """The function is missing configuration it needs."""

    code = "configuration_error"


# --- caller errors (4xx, nothing changes) ---------------------------------------------
class BadRequest(DomainError):
    """The request is malformed."""

    http_status = 400
    code = "bad_request"


class InvalidSignature(BadRequest):
    """The Stripe signature is missing, wrong or outside the tolerance window."""

    code = "invalid_signature"


class Unauthorized(DomainError):
    """A valid bearer token is required."""

    http_status = 401
    code = "unauthorized"


class NotFound(DomainError):
    """No such resource in this org."""

    http_status = 404
    code = "not_found"


class Conflict(DomainError):
    """The resource is not in a state that allows this."""

    http_status = 409
    code = "conflict"


# --- payment processing: permanent rejections (recorded, never retried) --------------
class PaymentRejected(DomainError):
    """The payment cannot be invoiced as it stands; the reason is recorded on the event."""

    http_status = 422
    code = "payment_rejected"


class MissingMetadata(PaymentRejected):
    """The Stripe object lacks metadata.org_id / metadata.lead_id."""

    code = "missing_metadata"


class LeadNotFound(PaymentRejected):
    """metadata.lead_id names no lead."""

    code = "lead_not_found"


class OrgMismatch(PaymentRejected):
    """The lead belongs to another org than metadata.org_id."""

    code = "org_mismatch"


class CurrencyMismatch(PaymentRejected):
    """The payment currency differs from the proposal currency."""

    code = "currency_mismatch"


class PaymentExceedsBalance(PaymentRejected):
    """The payment is larger than the invoice's open balance."""

    code = "payment_exceeds_balance"


class InvoiceGone(PaymentRejected):
    """The lead's QBO invoice was deleted in QuickBooks."""

    code = "invoice_gone"


class QboNotConnected(PaymentRejected):
    """The org has no usable QuickBooks connection."""

    code = "qbo_not_connected"
    retryable = True


# --- dependencies (5xx, safe to retry) -----------------------------------------------
class DependencyUnavailable(DomainError):
    """A dependency failed in a way that a retry may fix."""

    http_status = 503
    code = "dependency_unavailable"
    retryable = True


class DatabaseUnavailable(DependencyUnavailable):
    """PostgreSQL cannot be reached or failed mid-statement."""

    code = "database_unavailable"


class QueueUnavailable(DependencyUnavailable):
    """The work queue refused the message."""

    code = "queue_unavailable"


class QboTransientError(DependencyUnavailable):
    """QBO timed out, throttled (429) or failed (5xx)."""

    code = "qbo_unavailable"


class QboAuthError(DependencyUnavailable):
    """QBO rejected the access token (401)."""

    code = "qbo_unauthorized"


class QboRequestError(DomainError):
    """QBO rejected the request as invalid (validation fault); retrying will not help."""

    http_status = 502
    code = "qbo_rejected"
