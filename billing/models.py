from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class CreditPackQuerySet(models.QuerySet):
    def offered(self):
        return self.filter(active=True).order_by("position", "price")


class CreditPack(models.Model):
    """Credits a creator can buy once, at a fixed price. Edited in admin; a pack taken off sale is
    made inactive, never deleted, so past payments keep pointing at it."""

    name = models.CharField(max_length=60)
    credits = models.PositiveIntegerField()
    price = models.PositiveIntegerField(help_text="In the currency's smallest unit: 1000 is 10.00.")
    currency = models.CharField(max_length=3, default="usd", help_text="Three lower-case letters, as Stripe writes it.")
    stripe_price_id = models.CharField(
        "Stripe price id",
        max_length=100,
        blank=True,
        help_text="A one-time Price of the same amount in Stripe (price_...). Empty: the checkout names the amount itself.",
    )
    active = models.BooleanField(default=True, help_text="Offered on the pricing page.")
    position = models.PositiveSmallIntegerField(default=0)

    objects = CreditPackQuerySet.as_manager()

    class Meta:
        ordering = ["position", "price"]
        constraints = [models.CheckConstraint(condition=Q(credits__gt=0, price__gt=0), name="pack_not_free")]

    def __str__(self):
        return self.name

    @property
    def money(self):
        return money(self.price, self.currency)


def money(cents, currency):
    """12.00 USD, in the words a receipt uses."""
    return f"{cents / 100:,.2f} {currency.upper()}"


class PaymentQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)


class Payment(models.Model):
    """One checkout a creator started: what they are buying (fixed when it starts, whatever happens
    to the pack later) and how it ended. Credits are added once, when Stripe says it is paid."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for payment"
        PAID = "paid", "Paid"
        CANCELED = "canceled", "Not paid"
        EXPIRED = "expired", "Expired"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="payments")
    pack = models.ForeignKey(CreditPack, models.PROTECT, related_name="payments")
    credits = models.PositiveIntegerField()
    amount = models.PositiveIntegerField(help_text="In the currency's smallest unit.")
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    checkout_session_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    payment_intent_id = models.CharField(max_length=255, blank=True)
    receipt_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.credits} credits for {self.user}"

    @property
    def reference(self):
        """What the ledger calls it: the credits it brought are added once per reference."""
        return f"payment:{self.pk}"

    @property
    def money(self):
        return money(self.amount, self.currency)

    def mark_paid(self, payment_intent_id="", receipt_url=""):
        """Pending (or given up on, then paid after all) -> paid. True only for the call that did it."""
        now = timezone.now()
        done = (
            Payment.objects.filter(pk=self.pk)
            .exclude(status=self.Status.PAID)
            .update(status=self.Status.PAID, paid_at=now, payment_intent_id=payment_intent_id, receipt_url=receipt_url)
        )
        if done:
            self.status, self.paid_at = self.Status.PAID, now
            self.payment_intent_id, self.receipt_url = payment_intent_id, receipt_url
        return bool(done)

    def mark_unpaid(self, status):
        """Pending -> canceled or expired; a paid payment stays paid, whatever arrives late."""
        done = Payment.objects.filter(pk=self.pk, status=self.Status.PENDING).update(status=status)
        if done:
            self.status = status
        return bool(done)


class StripeEvent(models.Model):
    """A Stripe event the studio has applied: its id is stored in the same transaction as what it
    changed, so a duplicate, a replay or a retry of it changes nothing."""

    id = models.CharField(max_length=255, primary_key=True)
    type = models.CharField(max_length=100)
    payment = models.ForeignKey(Payment, models.SET_NULL, null=True, blank=True, related_name="events")
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self):
        return f"{self.type} {self.id}"
