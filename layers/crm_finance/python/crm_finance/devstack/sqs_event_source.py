"""Feeds SQS messages to a function as Lambda's event source mapping does.

Batches of up to 10, ``ReportBatchItemFailures`` honoured: succeeded messages are
deleted, failed ones reappear after the visibility timeout (and go to the DLQ after
the queue's maxReceiveCount).
"""

from __future__ import annotations

import threading
from typing import Any

from crm_finance.devstack.lambda_runtime import invoke


def _record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


class SqsEventSource:
    def __init__(self, sqs: Any, queue_url: str, function: str, batch_size: int = 10) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._function = function
        self._batch_size = batch_size
        attrs = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
        self._queue_arn = attrs["Attributes"]["QueueArn"]
        self._region = sqs.meta.region_name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._poll_lock = threading.Lock()

    def poll_once(self, wait_seconds: int = 0) -> int:
        """Receive one batch and invoke the function; returns the batch size."""
        with self._poll_lock:
            received = self._sqs.receive_message(
                QueueUrl=self._queue_url,
                MaxNumberOfMessages=self._batch_size,
                WaitTimeSeconds=wait_seconds,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            messages = received.get("Messages", [])
            if not messages:
                return 0
            event = {"Records": [_record(m, self._queue_arn, self._region) for m in messages]}
            try:
                result = invoke(self._function, event) or {}
                failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
            except Exception:  # noqa: BLE001 - a crashed invocation fails the whole batch
                failed = {m["MessageId"] for m in messages}
            done = [m for m in messages if m["MessageId"] not in failed]
            if done:
                self._sqs.delete_message_batch(
                    QueueUrl=self._queue_url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                        for i, m in enumerate(done)
                    ],
                )
            return len(messages)

    def drain(self, max_batches: int = 1000) -> int:
        """Process until the queue has nothing visible; for scripted runs and tests."""
        total = 0
        for _ in range(max_batches):
            count = self.poll_once()
            if count == 0:
                break
            total += count
        return total

    def start(self) -> SqsEventSource:
        def run() -> None:
            while not self._stop.is_set():
                self.poll_once(wait_seconds=1)

        self._thread = threading.Thread(target=run, name=f"sqs-{self._function}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
