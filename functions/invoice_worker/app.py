"""SQS consumer: turns each stored Stripe payment into a QBO invoice and payment.

Retryable failures are reported as batch item failures (SQS redelivers, then the DLQ);
permanent ones are recorded on the event by the domain and the message is done.
"""

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
from crm_finance.domain.invoicing import invoice_stripe_payment
from crm_finance.domain.messages import InvoiceWorkMessage

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
ports = wiring.invoicing_ports()  # fail fast on missing configuration at cold start


def record_handler(record: SQSRecord) -> None:
    try:
        message = parse(event=record.body, model=InvoiceWorkMessage)  # type: ignore[call-overload]
    except ValidationError:
        logger.error("malformed work message dropped", extra={"message_id": record.message_id})
        return
    logger.append_keys(stripe_event_id=message.event_id, message_id=record.message_id)
    outcome = invoice_stripe_payment(message.event_id, **ports)
    logger.info(
        "invoicing finished",
        extra={
            "status": outcome.status.value,
            "reason": outcome.reason,
            "lead_id": outcome.lead_id,
            "qbo_invoice_id": outcome.qbo_invoice_id,
        },
    )


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(  # type: ignore[return-value]
        event=event, record_handler=record_handler, processor=processor, context=context
    )
