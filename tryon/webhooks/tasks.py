from celery import shared_task

from tryon.webhooks.services import webhook_deliveries_resend, webhook_delivery_attempt


# The service logs every attempt on the delivery row and says when to try again; Celery only waits.
# Late acks are safe: an attempt is recorded conditionally, and receivers de-duplicate on the event id.
@shared_task(bind=True, max_retries=None, acks_late=True)
def deliver_webhook(self, delivery_id: int) -> None:
    retry_in = webhook_delivery_attempt(delivery_id=delivery_id)
    if retry_in is not None:
        raise self.retry(countdown=retry_in)


@shared_task(ignore_result=True)
def resend_webhook_deliveries() -> None:
    # The rows are the outbox: a delivery whose task was lost is sent again from them (beat, every minute).
    webhook_deliveries_resend()
