"""SQS consumer: polls one org's open invoices per message (poll_invoice_status)."""

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.parser import ValidationError, parse
from aws_lambda_powertools.utilities.typing import LambdaContext

from crm_finance import wiring
from crm_finance.domain.messages import PollOrgMessage
from crm_finance.domain.polling import poll_org

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
ports = wiring.poll_ports()  # fail fast on missing configuration at cold start


def record_handler(record: SQSRecord) -> None:
    try:
        message = parse(event=record.body, model=PollOrgMessage)  # type: ignore[call-overload]
    except ValidationError:
        logger.error("malformed poll message dropped", extra={"message_id": record.message_id})
        return
    report = poll_org(message.org_id, trigger="schedule", **ports)
    logger.info("poll_invoice_status finished", extra=report.as_dict())


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(  # type: ignore[return-value]
        event=event, record_handler=record_handler, processor=processor, context=context
    )
