import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

TOKEN_PREFIX = "st_"


def digest(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def live(self):
        return self.filter(revoked_at__isnull=True)


class Token(models.Model):
    """A creator's personal access token for the API. Only its SHA-256 is kept: the secret is shown
    once, when it is made. `prefix` (the first characters of the secret) tells tokens apart in lists."""

    READ, CREATE = "read", "create"
    SCOPES = [
        (READ, "Read: list, look at and download videos, see the balance and prices"),
        (CREATE, "Create: make videos and upload pictures (spends credits)"),
    ]

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=60)
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = TokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def make(cls, user, name, scopes):
        """A new token and its secret, which is never stored and so can be shown only now."""
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, prefix=secret[:10], digest=digest(secret), scopes=sorted(set(scopes) | {cls.READ})
        )
        return token, secret

    @property
    def is_live(self):
        return self.revoked_at is None

    def allows(self, scope):
        return scope in self.scopes

    def revoke(self):
        return Token.objects.filter(pk=self.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()) == 1


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
