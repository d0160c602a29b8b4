"""The invoice work queue on SQS."""

from __future__ import annotations

import json
from typing import Any

from crm_finance.errors import QueueUnavailable


class SqsWorkQueue:
    def __init__(self, queue_url: str, client: Any) -> None:
        self._queue_url = queue_url
        self._client = client

    def enqueue(self, event_id: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client.send_message(
                QueueUrl=self._queue_url, MessageBody=json.dumps({"event_id": event_id})
            )
        except (BotoCoreError, ClientError) as exc:
            raise QueueUnavailable(f"SQS send_message failed: {type(exc).__name__}") from exc


class SqsPollQueue:
    """One message per org, sent ten at a time; partial failures are retried once."""

    def __init__(self, queue_url: str, client: Any) -> None:
        self._queue_url = queue_url
        self._client = client

    def enqueue_polls(self, org_ids: list[int]) -> int:
        from botocore.exceptions import BotoCoreError, ClientError

        sent = 0
        for start in range(0, len(org_ids), 10):
            entries = [
                {"Id": str(org_id), "MessageBody": json.dumps({"org_id": org_id})}
                for org_id in org_ids[start : start + 10]
            ]
            for _attempt in range(2):
                try:
                    result = self._client.send_message_batch(
                        QueueUrl=self._queue_url, Entries=entries
                    )
                except (BotoCoreError, ClientError) as exc:
                    raise QueueUnavailable(f"SQS send failed: {type(exc).__name__}") from exc
                sent += len(result.get("Successful", []))
                failed = {f["Id"] for f in result.get("Failed", [])}
                entries = [e for e in entries if e["Id"] in failed]
                if not entries:
                    break
            if entries:
                raise QueueUnavailable(f"SQS refused polls for orgs {[e['Id'] for e in entries]}")
        return sent
