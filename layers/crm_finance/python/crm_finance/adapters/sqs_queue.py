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
