"""QBO v3 fault bodies, shaped like the real service so client error handling is exercised."""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

__all__ = [
    "QboFault",
    "auth_failed_body",
    "business",
    "duplicate_name",
    "invalid_property",
    "invalid_reference",
    "not_found",
    "query_parser",
    "query_validation",
    "required",
    "server_error",
    "stale_object",
    "throttle",
    "throttle_xml",
    "unsupported_operation",
    "validation",
]

INACTIVE_HINT = (
    "Something you're trying to use has been made inactive. "
    "Check the fields with accounts, customers, items, vendors or employees."
)


class QboFault(Exception):
    """Raised inside the emulator; rendered as ``{"Fault": ..., "time": ...}``."""

    def __init__(self, status: int, fault_type: str, errors: list[dict[str, str]]) -> None:
        super().__init__(errors[0].get("Message", fault_type) if errors else fault_type)
        self.status = status
        self.fault_type = fault_type
        self.errors = errors

    def body(self, time_text: str) -> dict[str, Any]:
        """The JSON envelope QBO sends for this fault."""
        return {"Fault": {"Error": self.errors, "type": self.fault_type}, "time": time_text}


def validation(code: str, message: str, detail: str, element: str = "") -> QboFault:
    """HTTP 400 ValidationFault, the shape of most business-rule rejections."""
    err = {"Message": message, "Detail": detail, "code": code, "element": element}
    return QboFault(400, "ValidationFault", [err])


def duplicate_name(existing_id: str) -> QboFault:
    return validation(
        "6240",
        "Duplicate Name Exists Error",
        f"The name supplied already exists. : Id={existing_id}",
    )


def stale_object() -> QboFault:
    return validation(
        "5010",
        "Stale Object Error",
        "Stale Object Error : You and another user were working on this at the same time. "
        "The other user finished before you did, so your work was not saved.",
    )


def not_found() -> QboFault:
    return validation("610", "Object Not Found", f"Object Not Found : {INACTIVE_HINT}")


def invalid_reference(element: str) -> QboFault:
    return validation(
        "2500", "Invalid Reference Id", f"Invalid Reference Id : {INACTIVE_HINT}", element
    )


def required(element: str) -> QboFault:
    return validation(
        "2020",
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {element} is missing in the request",
        element,
    )


def invalid_property(element: str, why: str = "") -> QboFault:
    detail = f"Property Name:{element} specified is unsupported or invalid"
    return validation(
        "2010",
        "Request has invalid or unsupported property",
        f"{detail}: {why}" if why else detail,
        element,
    )


def business(detail: str, code: str = "6000") -> QboFault:
    return validation(
        code,
        "A business validation error has occurred while processing your request",
        f"Business Validation Error: {detail}",
    )


def unsupported_operation(detail: str) -> QboFault:
    return validation("500", "Unsupported Operation", detail)


def query_parser(detail: str) -> QboFault:
    return validation("4000", "Error parsing query", f"QueryParserError: {detail}")


def query_validation(detail: str) -> QboFault:
    return validation("4001", "Invalid query", f"QueryValidationError: {detail}")


def throttle() -> QboFault:
    """HTTP 429, what QBO answers past 500 req/min or 10 concurrent requests per realm."""
    err = {
        "Message": "message=ThrottleExceeded; errorCode=003001; statusCode=429",
        "Detail": "The request limit was reached.",
        "code": "3001",
    }
    return QboFault(429, "ThrottleExceeded", [err])


def throttle_xml(time_text: str) -> str:
    """Some QBO edges answer throttling in XML whatever the Accept header says."""
    return (
        '<?xml version="1.0"?>'
        f'<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="{escape(time_text)}">'
        '<Fault type="ThrottleExceeded"><Error code="3001">'
        "<Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>"
        "</Error></Fault></IntuitResponse>"
    )


def server_error(status: int) -> QboFault:
    """Transient 5xx with QBO's SystemFault body (code 10000)."""
    err = {
        "Message": "An application error has occurred while processing your request",
        "Detail": f"System Failure Error: emulated transient failure (HTTP {status})",
        "code": "10000",
    }
    return QboFault(status, "SystemFault", [err])


def auth_failed_body(epoch_ms: int, detail: str) -> dict[str, Any]:
    """QBO's 401 body: lower-case gateway envelope, never containing the token."""
    return {
        "warnings": None,
        "intuitObject": None,
        "fault": {
            "error": [
                {
                    "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                    "detail": detail,
                    "code": "3200",
                    "element": None,
                }
            ],
            "type": "AUTHENTICATION",
        },
        "report": None,
        "queryResponse": None,
        "batchItemResponse": [],
        "attachableResponse": [],
        "syncErrorResponse": None,
        "requestId": None,
        "time": epoch_ms,
        "status": None,
        "cdcresponse": [],
    }
