"""Delivery of queued SMS and e-mail through the gateways."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from musaned.integrations.base import GatewayError, gateway
from musaned.integrations.tasks import GatewayTask

from . import selectors, services
from .models import Channel, Message

# Past the longest wait between two retries: a queued message untouched this long lost its task.
STALE_AFTER = dt.timedelta(hours=2)


@shared_task(base=GatewayTask, bind=True)
def deliver_message(self, message_id: int) -> None:
    """Send one message once: a message already sent (or being sent by another worker) is not sent again."""
    claim = services.message_claim(message_id=message_id)
    if claim.held_until is not None:
        return  # held by the hourly limit, which is no failure: release_held_messages sends it later
    message = claim.message
    if message is None:
        if selectors.message_in_flight(message_id=message_id):
            # Another worker holds it (or died holding it): look again once its claim has run out.
            raise self.retry(countdown=services.CLAIM_SECONDS)
        return
    try:
        provider_id = _send(message)
    except Exception as exc:
        final = not (isinstance(exc, GatewayError) and self.will_retry(exc))
        services.message_record_failure(message=message, error=str(exc) or type(exc).__name__, final=final)
        raise
    services.message_record_sent(message=message, provider_id=provider_id)


def _send(message: Message) -> str:
    if message.channel == Channel.SMS:
        return gateway("sms").send(to=message.to, text=message.body)
    return gateway("email").send(to=message.to, subject=message.subject, body=message.body)


@shared_task
def requeue_stale_messages() -> int:
    """Give a new delivery task to queued messages whose task was lost (a broker outage, a purge)."""
    message_ids = selectors.stale_message_ids(older_than=STALE_AFTER)
    for message_id in message_ids:
        deliver_message.delay(message_id)
    return len(message_ids)


@shared_task
def release_held_messages() -> int:
    """Deliver the messages whose hour has passed (every minute, so none waits much past its time)."""
    message_ids = selectors.released_message_ids()
    for message_id in message_ids:
        deliver_message.delay(message_id)
    return len(message_ids)
