"""Timestamp formatting/parsing in QBO's wire formats (ISO 8601 with a UTC offset)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

__all__ = ["company_tz", "format_meta", "format_response_time", "parse_instant", "today"]


def company_tz(offset_minutes: int) -> timezone:
    """QBO renders times in the company's zone; sandbox companies are US Pacific."""
    return timezone(timedelta(minutes=offset_minutes))


def format_meta(epoch: float, tz: timezone) -> str:
    """MetaData times: second precision with offset, e.g. 2024-01-02T03:04:05-08:00."""
    return datetime.fromtimestamp(int(epoch), tz).isoformat(timespec="seconds")


def format_response_time(epoch: float, tz: timezone) -> str:
    """The envelope "time" field carries milliseconds, e.g. 2024-01-02T03:04:05.678-08:00."""
    return datetime.fromtimestamp(epoch, tz).isoformat(timespec="milliseconds")


def today(epoch: float, tz: timezone) -> str:
    """Default TxnDate: the company's local calendar day."""
    return datetime.fromtimestamp(epoch, tz).date().isoformat()


def parse_instant(text: str, tz: timezone) -> float:
    """Parse a QBO timestamp/date literal to epoch seconds; naive values are company-local.

    Raises ValueError for anything that is not ISO 8601.
    """
    text = text.strip()
    if len(text) == 10:
        d = date.fromisoformat(text)
        return datetime(d.year, d.month, d.day, tzinfo=tz).timestamp()
    dt = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    return dt.timestamp()
