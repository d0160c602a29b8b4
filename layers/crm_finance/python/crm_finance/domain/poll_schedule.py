"""The scheduled poll fans out: one queue message per connected org, so that no single
Lambda loops over every org and 1,000 orgs poll in parallel within the interval."""

from __future__ import annotations

from typing import Protocol


class ConnectedOrgs(Protocol):
    def connected_org_ids(self) -> list[int]: ...


class PollQueue(Protocol):
    def enqueue_polls(self, org_ids: list[int]) -> int: ...


def schedule_polls(*, orgs: ConnectedOrgs, queue: PollQueue) -> dict:
    org_ids = orgs.connected_org_ids()
    return {"orgs": len(org_ids), "enqueued": queue.enqueue_polls(org_ids)}
