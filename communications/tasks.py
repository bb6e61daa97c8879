from celery import shared_task

from communications.providers.twilio_sms import SmsProviderUnavailableError


@shared_task(
    autoretry_for=(SmsProviderUnavailableError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=30,
    time_limit=60,
)
def message_deliver_task(*, message_id: int) -> None:
    from communications.services import message_deliver  # services import this module

    message_deliver(message_id=message_id)
