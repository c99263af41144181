"""django-q2 task functions for webhooks, called by name: thin entries into webhooks.delivery."""

from webhooks import delivery
from webhooks.models import WebhookDelivery


def deliver(delivery_id):
    return delivery.deliver(delivery_id)


def send_due():
    return delivery.send_due()


def prune():
    return WebhookDelivery.objects.prune()
