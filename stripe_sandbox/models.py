import secrets

from django.db import models
from django.utils import timezone

PREFIXES = {
    "product": "prod",
    "price": "price",
    "checkout.session": "cs_test",
    "payment_intent": "pi",
    "charge": "ch",
    "event": "evt",
}


def new_id(kind):
    return f"{PREFIXES[kind]}_{secrets.token_hex(12)}"


class StripeObject(models.Model):
    """One object as Stripe keeps it (a product, price, checkout session, payment intent, charge),
    stored as the JSON it answers with. Keys starting with "_" are the stand-in's own, never sent."""

    id = models.CharField(primary_key=True, max_length=100)
    object = models.CharField(max_length=40, db_index=True)
    data = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.id

    def public(self):
        return {key: value for key, value in self.data.items() if not key.startswith("_")}


class SentEvent(models.Model):
    """An event the stand-in made and sends to the studio's webhook, signed as Stripe signs them."""

    id = models.CharField(primary_key=True, max_length=100)
    type = models.CharField(max_length=80)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True, help_text="The webhook's last answer.")
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.type} {self.id}"


class IdempotentRequest(models.Model):
    """A POST's Idempotency-Key and its first answer: a retry with the same key gets the same answer."""

    key = models.CharField(primary_key=True, max_length=255)
    path = models.CharField(max_length=200)
    body = models.TextField()
    status = models.PositiveSmallIntegerField()
    answer = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
