import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

TOKEN_PREFIX = "st_"
LIFETIMES = [(30, "30 days"), (90, "90 days"), (365, "a year")]  # "never" is not offered
DEFAULT_DAYS = 90


def digest(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def password_stamp(user):
    """A fingerprint of the creator's password hash: a new password (changed, reset, set in admin) gives
    another, and the tokens made under the old one no longer match (as Django's own sessions end)."""
    return salted_hmac("api.token.password", user.password, algorithm="sha256").hexdigest()


def default_expiry():
    return timezone.now() + timedelta(days=DEFAULT_DAYS)


class TokenQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def live(self):
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())

    def end_stale(self, user):
        """Ends this creator's tokens made under another password, or all of them when the account is off."""
        stale = self.for_user(user).filter(revoked_at__isnull=True)
        if user.is_active:
            stale = stale.exclude(password_stamp=password_stamp(user))
        reason = Token.ENDED_PASSWORD if user.is_active else Token.ENDED_ACCOUNT_OFF
        return stale.update(revoked_at=timezone.now(), ended_because=reason)


class Token(models.Model):
    """A creator's personal access token for the API. Only its SHA-256 is kept: the secret is shown
    once, when it is made. `prefix` (the first characters of the secret) tells tokens apart in lists."""

    READ, CREATE = "read", "create"
    SCOPES = [
        (READ, "Read: list, look at and download videos, see the balance and prices"),
        (CREATE, "Create: make videos and upload pictures (spends credits)"),
    ]

    ENDED_REVOKED, ENDED_PASSWORD, ENDED_ACCOUNT_OFF = "revoked", "password", "account_off"
    ENDINGS = [
        (ENDED_REVOKED, "revoked"),
        (ENDED_PASSWORD, "ended when your password changed"),
        (ENDED_ACCOUNT_OFF, "ended when the account was switched off"),
    ]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=60)
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(default=default_expiry)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    ended_because = models.CharField(max_length=12, choices=ENDINGS, blank=True)
    password_stamp = models.CharField(max_length=64, editable=False, help_text="password_stamp() when it was made.")

    objects = TokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def make(cls, user, name, scopes, days=DEFAULT_DAYS):
        """A new token and its secret, which is never stored and so can be shown only now."""
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = timezone.now()
        token = cls.objects.create(
            user=user,
            name=name,
            prefix=secret[:10],
            digest=digest(secret),
            scopes=sorted(set(scopes) | {cls.READ}),
            created_at=now,
            expires_at=now + timedelta(days=days),
            password_stamp=password_stamp(user),
        )
        return token, secret

    @property
    def is_live(self):
        return self.revoked_at is None and not self.is_expired

    @property
    def is_expired(self):
        return self.expires_at <= timezone.now()

    def matches_password(self, user):
        return constant_time_compare(self.password_stamp, password_stamp(user))

    def allows(self, scope):
        return scope in self.scopes

    def revoke(self, because=ENDED_REVOKED):
        return (
            Token.objects.filter(pk=self.pk, revoked_at__isnull=True).update(
                revoked_at=timezone.now(), ended_because=because
            )
            == 1
        )


class IdempotencyKey(models.Model):
    """An `Idempotency-Key` a creator sent with a create, with a hash of what was asked for. The unique
    (user, key) pair decides a race in the database: of two creates with one key only one row is written,
    and the other reads the first one's video."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="api_idempotency_keys")
    key = models.CharField(max_length=255)
    body_hash = models.CharField(max_length=64)
    generation = models.ForeignKey("generations.Generation", models.CASCADE, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="api_key_once_per_creator")]

    def __str__(self):
        return self.key
