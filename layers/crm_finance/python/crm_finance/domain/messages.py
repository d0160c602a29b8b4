"""Messages that functions hand each other through queues."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PollOrgMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    org_id: int = Field(gt=0)


class InvoiceWorkMessage(BaseModel):
    """Only the event id travels; the event itself stays in the inbox table."""

    model_config = ConfigDict(extra="ignore")

    event_id: str = Field(min_length=1, max_length=255)
