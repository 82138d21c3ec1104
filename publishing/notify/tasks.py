"""Celery tasks for outgoing webhooks: thin wrappers over ``publishing.notify.webhooks``.

Both run on the default (maintenance) queue: a delivery is one short HTTP call and must never wait
behind a long publish. ``publishing.webhooks_retry_due`` belongs on the beat schedule (every 30 s):
it re-sends deliveries whose retry is due, including any whose message was lost.
"""

from __future__ import annotations

from celery import shared_task

from publishing.notify.webhooks import webhook_deliver, webhook_deliveries_due, webhook_delivery_claim


@shared_task(
    name="publishing.webhook_deliver", acks_late=True, reject_on_worker_lost=True, ignore_result=True
)
def webhook_deliver_task(delivery_id: int) -> str:

    delivery = webhook_delivery_claim(delivery_id)
    if delivery is None:
        return "not due"  # already sent, given up, or another worker holds it
    return webhook_deliver(delivery=delivery).status


@shared_task(name="publishing.webhooks_retry_due", ignore_result=True)
def webhooks_retry_due() -> int:

    due = webhook_deliveries_due()
    for delivery_id in due:
        webhook_deliver_task.delay(delivery_id)
    return len(due)
