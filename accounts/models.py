from decimal import Decimal
from typing import ClassVar

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone


class UserManager(DjangoUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, email):
        # Creators type their email in any case: ADA@Example.com signs in as ada@example.com.
        return self.get(email__iexact=email)


class User(AbstractUser):
    """A creator (or an operator, when is_staff). Signs in with their email address."""

    email = models.EmailField("email address", unique=True)
    display_name = models.CharField(max_length=80, blank=True)
    notify_by_email = models.BooleanField(default=False, help_text="Send an email when a video is ready.")
    plan = models.ForeignKey(
        "accounts.Plan",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        help_text="Empty: the default plan.",
    )
    monthly_budget = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="The studio asks before a video takes this month's spending past it. Empty: never ask.",
    )
    default_model = models.ForeignKey(
        "catalog.CatalogModel",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The model the create form starts with (a creator picks it from a comparison).",
    )
    failover_extra = models.DecimalField(
        "failover: most extra credits",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="When a video's model is unavailable, make it on the next model the creator allows for at most "
        "this many credits more. Empty: never; the video waits for its model.",
    )
    failover_models = models.JSONField(
        "failover: models in order",
        default=list,
        blank=True,
        help_text="The models to fall back on, first choice first (their ids). Empty: every model the plan makes, "
        "in the catalog's order.",
    )
    email_verified_at = models.DateTimeField(
        "email verified",
        null=True,
        blank=True,
        help_text="When the creator followed the link mailed to their address. Empty: not verified yet "
        "(no credits, no emails about videos).",
    )

    # Creators sign in with their email; `username` is their public handle (/@handle/).
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["username"]

    objects: ClassVar[UserManager] = UserManager()

    class Meta(AbstractUser.Meta):
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="accounts_user_email_ci_unique",
                violation_error_message="An account with this email address already exists.",
            ),
        ]

    def __str__(self):
        return self.display_name or self.email or self.username

    @property
    def name(self):
        return self.display_name or self.email.split("@")[0]

    @property
    def email_verified(self):
        return self.email_verified_at is not None

    def mark_email_verified(self, email):
        """Marks `email` verified if it is still this creator's address and not verified yet. True only
        for the call that did it, so what follows (the starting credits) happens once."""
        now = timezone.now()
        done = User.objects.filter(pk=self.pk, email__iexact=email, email_verified_at=None).update(
            email_verified_at=now
        )
        if done:
            self.email_verified_at = now
        return bool(done)


class Plan(models.Model):
    """What a creator's plan gives: credits each month, which models and lengths, how many at once.

    Edited in admin. An empty model list means every enabled model; an empty limit means no limit.
    """

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=60)
    monthly_credits = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("0"), help_text="Added on the 1st of each month."
    )
    allowed_models = models.ManyToManyField(
        "catalog.CatalogModel",
        blank=True,
        related_name="plans",
        help_text="The models this plan may use. Leave empty for every model.",
    )
    max_duration = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The longest video, in seconds. Empty: any length the model makes."
    )
    allow_hd = models.BooleanField("1080p allowed", default=True)
    max_running = models.PositiveSmallIntegerField(
        "videos at once",
        null=True,
        blank=True,
        help_text="How many videos may be in progress at once. Empty: no limit.",
    )
    is_default = models.BooleanField(default=False, help_text="The plan new creators start on.")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_plan"),
        ]

    def __str__(self):
        return self.name

    @classmethod
    def default(cls):
        return cls.objects.filter(is_default=True).first() or cls.objects.first()


class CreditAccount(models.Model):
    """A creator's balance. Kept apart from User so that saving a profile can never overwrite it:
    only accounts.credits changes it, in the same transaction as the ledger entry that explains it."""

    user = models.OneToOneField(User, models.CASCADE, primary_key=True, related_name="credit_account")
    balance = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(balance__gte=0), name="credit_balance_not_negative")]

    def __str__(self):
        return f"{self.user}: {self.balance} credits"


class CreditEntryQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def spending(self):
        """Charges less refunds: what creators really spent."""
        return self.filter(kind__in=[CreditEntry.Kind.CHARGE, CreditEntry.Kind.REFUND])


class CreditEntry(models.Model):
    """One change to a creator's balance. The balance is always the sum of these.

    A generation's money moves in three steps, each at most once (unique per reference and kind):
    HOLD (-cost) when it is queued; then either RELEASE (+cost) when it fails or is canceled, or
    RELEASE (+cost) and CHARGE (-price) together when its video is stored.
    """

    class Kind(models.TextChoices):
        GRANT = "grant", "Credits added"
        ALLOWANCE = "allowance", "Monthly credits"
        PURCHASE = "purchase", "Credits bought"
        HOLD = "hold", "Held"
        CHARGE = "charge", "Spent"
        RELEASE = "release", "Hold returned"
        REFUND = "refund", "Refund"
        ADJUSTMENT = "adjustment", "Adjustment"

    user = models.ForeignKey(User, models.CASCADE, related_name="credit_entries")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2, help_text="The change to the balance.")
    balance_after = models.DecimalField(max_digits=12, decimal_places=2)
    reference = models.CharField(
        max_length=80,
        blank=True,
        help_text='What it is for, e.g. "generation:<id>" or "allowance:2026-11": each kind at most once per reference.',
    )
    model = models.ForeignKey(
        "catalog.CatalogModel", models.SET_NULL, null=True, blank=True, related_name="credit_entries"
    )
    description = models.CharField(max_length=200, blank=True, help_text="What it was for, in the creator's words.")
    reason = models.TextField(blank=True, help_text="Why an operator made it.")
    created_by = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = CreditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "credit entries"
        indexes = [models.Index(fields=["user", "-created_at"], name="credit_user_created")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "reference"], condition=~Q(reference=""), name="credit_once_per_reference"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount:+} for {self.user}"


class OperatorAlert(models.Model):
    """Something only an operator can fix (the studio's Pixapi account is short or its key refused).
    One open alert per code; shown at the top of every admin page until it is resolved."""

    code = models.CharField(max_length=40)
    message = models.TextField()
    detail = models.TextField(blank=True)
    times = models.PositiveIntegerField(default=1, help_text="How often it happened while open.")
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=Q(resolved_at__isnull=True), name="one_open_alert_per_code"
            ),
        ]

    def __str__(self):
        return self.message


class UpgradeRequestQuerySet(models.QuerySet):
    def open(self):
        return self.filter(resolved_at=None)

    def resolve(self, by):
        """Marks the open ones resolved by `by`; returns how many."""
        return self.open().update(resolved_at=timezone.now(), resolved_by=by)


class UpgradeRequest(models.Model):
    """A creator asking for another plan, until the studio takes payments: operators answer it
    (by mail, or by moving the creator with the user admin's plan action) and mark it resolved."""

    user = models.ForeignKey(User, models.CASCADE, related_name="upgrade_requests")
    plan = models.ForeignKey(Plan, models.CASCADE, related_name="upgrade_requests", verbose_name="plan wanted")
    current_plan = models.ForeignKey(
        Plan, models.SET_NULL, null=True, blank=True, related_name="+", help_text="The creator's plan when they asked."
    )
    message = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(User, models.SET_NULL, null=True, blank=True, related_name="+")

    objects = UpgradeRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.user} asks for {self.plan}"
