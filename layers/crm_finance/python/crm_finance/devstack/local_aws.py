"""moto's server on loopback: every boto3 client in this process (and its children)
reaches it through AWS_ENDPOINT_URL, so production code needs no test switches."""

from __future__ import annotations

import json
import os
from typing import Any

LOCAL_REGION = "us-east-1"


class LocalAws:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self._host = host
        self._server: Any = None
        self.endpoint_url = ""

    def start(self) -> LocalAws:
        import logging

        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per AWS call

        self._server = ThreadedMotoServer(ip_address=self._host, port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        return self

    def environment(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": LOCAL_REGION,
            "AWS_REGION": LOCAL_REGION,
        }

    def client(self, service: str) -> Any:
        import boto3

        return boto3.client(  # type: ignore[call-overload]
            service,
            endpoint_url=self.endpoint_url,
            region_name=LOCAL_REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106
        )

    def create_queue_with_dlq(
        self, name: str, *, visibility_timeout: int, max_receives: int
    ) -> str:
        sqs = self.client("sqs")
        dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receives})
        return sqs.create_queue(
            QueueName=name,
            Attributes={"VisibilityTimeout": str(visibility_timeout), "RedrivePolicy": redrive},
        )["QueueUrl"]

    def put_secret(self, name: str, value: str | dict) -> str:
        sm = self.client("secretsmanager")
        text = value if isinstance(value, str) else json.dumps(value)
        try:
            return sm.create_secret(Name=name, SecretString=text)["ARN"]
        except sm.exceptions.ResourceExistsException:
            return sm.put_secret_value(SecretId=name, SecretString=text)["ARN"]

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


def apply_environment(values: dict[str, str]) -> None:
    os.environ.update(values)
