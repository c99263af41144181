import base64
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, Q
from django.utils import timezone

VIDEO_COMPLETED = "video.completed"
VIDEO_FAILED = "video.failed"
VIDEO_REROUTED = "video.rerouted"
STORYBOARD_EXPORTED = "storyboard.exported"
TEST = "webhook.test"
# What a creator may subscribe to.
EVENTS = [
    (VIDEO_COMPLETED, "A video is ready"),
    (VIDEO_FAILED, "A video failed (its credits were returned)"),
    (VIDEO_REROUTED, "A video moved to another model because its own was unavailable"),
    (STORYBOARD_EXPORTED, "A storyboard was exported as one video"),
]

# Gaps between tries: 1 min, 2, 4, ... doubling up to 8 hours; a delivery is given up a day after it was made.
FIRST_RETRY_SECONDS = 60
MAX_RETRY_SECONDS = 8 * 3600
GIVE_UP_AFTER = timedelta(days=1)
# A claimed try is another worker's only once the task sending it is surely dead: its lease outlasts the
# cluster's task time-out (a try itself ends by WEBHOOKS_DEADLINE_SECONDS).
LEASE_MARGIN_SECONDS = 30


def send_lease_seconds():
    return settings.Q_CLUSTER["timeout"] + LEASE_MARGIN_SECONDS


def new_secret():
    """A Standard Webhooks secret: "whsec_" and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


class WebhookEndpoint(models.Model):
    """A URL of a creator's own that the studio calls, signed, when their videos finish."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=100, blank=True)
    events = models.JSONField(default=list, help_text="The event types sent to it.")
    # Kept as it is (not hashed): every delivery is signed with it. Shown to the creator once.
    secret = models.CharField(max_length=80, default=new_secret, editable=False)
    # After a rotation the old secret signs too, until previous_until, so the receiver can switch over.
    previous_secret = models.CharField(max_length=80, blank=True, editable=False)
    previous_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]

    def __str__(self):
        return self.url

    def wants(self, event):
        return event == TEST or event in self.events

    def signing_secrets(self, now=None):
        """The new secret, and the old one while its grace period lasts."""
        now = now or timezone.now()
        if self.previous_secret and self.previous_until and now < self.previous_until:
            return [self.secret, self.previous_secret]
        return [self.secret]

    def rotate_secret(self):
        """A new secret; the current one keeps signing beside it for WEBHOOKS_ROTATION_GRACE_HOURS."""
        new = new_secret()
        until = timezone.now() + timedelta(hours=settings.WEBHOOKS_ROTATION_GRACE_HOURS)
        done = WebhookEndpoint.objects.filter(pk=self.pk, secret=self.secret).update(
            secret=new, previous_secret=self.secret, previous_until=until
        )
        if done:
            self.previous_secret, self.previous_until, self.secret = self.secret, until, new
        return done == 1


class DeliveryQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(endpoint__user=user)

    def due(self, now):
        free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
        return self.filter(free, status=WebhookDelivery.PENDING, next_attempt_at__lte=now, give_up_at__gt=now)

    def prune(self, now=None):
        """Deletes finished deliveries older than WEBHOOKS_KEEP_DAYS (the schedule runs it daily)."""
        cutoff = (now or timezone.now()) - timedelta(days=settings.WEBHOOKS_KEEP_DAYS)
        return self.filter(created_at__lt=cutoff).exclude(status=WebhookDelivery.PENDING).delete()[0]

    def sending(self, now):
        return self.filter(status=WebhookDelivery.PENDING, lease_until__gte=now)

    def give_up_stale(self, now):
        """Pending deliveries past their day that no worker holds (a try that never finished): gave up."""
        free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
        return self.filter(free, status=WebhookDelivery.PENDING, give_up_at__lte=now).update(
            status=WebhookDelivery.FAILED,
            next_attempt_at=None,
            lease_until=None,
            error="No try finished within a day; gave up.",
        )


class WebhookDelivery(models.Model):
    """One event for one endpoint, and how sending it went. The row is the source of truth: a lost
    queue message only delays it until the periodic `send_due` task finds it due."""

    PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"
    STATUSES = [(PENDING, "Sending"), (SUCCEEDED, "Delivered"), (FAILED, "Gave up")]

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(WebhookEndpoint, models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    body = models.TextField(help_text="The JSON sent, the same on every try (so is the webhook-id).")
    status = models.CharField(max_length=12, choices=STATUSES, default=PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=300, blank=True, help_text="What went wrong on the last try, in plain words.")
    created_at = models.DateTimeField(default=timezone.now)
    give_up_at = models.DateTimeField(help_text="No try is scheduled after this: a day after it was made or resent.")
    delivered_at = models.DateTimeField(null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due")]

    def __str__(self):
        return f"{self.event} to {self.endpoint}"

    @property
    def message_id(self):
        return f"msg_{self.id.hex}"

    def claim(self, now=None):
        """Takes the row for one try; False when another worker has it, it is not due, or
        WEBHOOKS_AT_ONCE tries are being sent already (counted in the same UPDATE)."""
        now = now or timezone.now()
        lease = now + timedelta(seconds=send_lease_seconds())
        full = WebhookDelivery.objects.sending(now).order_by().values("pk")[settings.WEBHOOKS_AT_ONCE - 1 :]
        taken = (
            WebhookDelivery.objects.due(now)
            .filter(~Exists(full), pk=self.pk)
            .update(
                lease_until=lease,
                attempts=F("attempts") + 1,
                last_attempt_at=now,
            )
        )
        if taken:
            self.refresh_from_db()
        return taken == 1

    def mark_delivered(self, status_code, excerpt):
        now = timezone.now()
        return self._finish_try(
            status=self.SUCCEEDED,
            response_status=status_code,
            response_excerpt=excerpt[:500],
            error="",
            delivered_at=now,
            next_attempt_at=None,
        )

    def mark_try_failed(self, error, status_code=None, excerpt=""):
        """Schedules the next try, doubling the gap, or gives up a day after the event."""
        retry_at = (self.last_attempt_at or timezone.now()) + timedelta(seconds=self.retry_gap(self.attempts))
        gave_up = retry_at > self.give_up_at
        return self._finish_try(
            status=self.FAILED if gave_up else self.PENDING,
            response_status=status_code,
            response_excerpt=excerpt[:500],
            error=error[:300],
            next_attempt_at=None if gave_up else retry_at,
        )

    @staticmethod
    def retry_gap(attempts):
        return min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS)

    def _finish_try(self, **changes):
        done = WebhookDelivery.objects.filter(pk=self.pk, lease_until=self.lease_until).update(
            lease_until=None, **changes
        )
        if done:
            for field, value in changes.items():
                setattr(self, field, value)
            self.lease_until = None
        return done == 1

    def resend(self):
        """Sends it again now, with the same webhook-id (a receiver that saw it may skip it), and a
        fresh day of tries."""
        now = timezone.now()
        done = (
            WebhookDelivery.objects.filter(pk=self.pk)
            .exclude(status=self.PENDING, lease_until__gt=now)
            .update(
                status=self.PENDING,
                next_attempt_at=now,
                lease_until=None,
                give_up_at=now + GIVE_UP_AFTER,
                error="",
            )
        )
        return done == 1
