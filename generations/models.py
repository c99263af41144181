import uuid
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

SIZES = {
    "1280x720": "Landscape 720p",
    "1920x1080": "Landscape 1080p",
    "720x1280": "Portrait 720p",
    "1080x1920": "Portrait 1080p",
}


class CatalogModel(models.Model):
    """A model the studio offers, with what it can do and what it costs. Edited in admin."""

    VIDEO, IMAGE = "video", "image"

    slug = models.SlugField(max_length=60, unique=True, help_text="The model's id at Pixapi.")
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=10, choices=[(VIDEO, "Video"), (IMAGE, "Image")], default=VIDEO)
    guide = models.TextField(blank=True, help_text="What it is good at, in plain words, shown to creators.")
    text_to_video = models.BooleanField(default=True)
    image_to_video = models.BooleanField(default=False)
    durations = models.JSONField(default=list, blank=True, help_text="Allowed durations in seconds, e.g. [4, 5, 6].")
    sizes = models.JSONField(default=list, blank=True, help_text='Allowed sizes, e.g. ["1280x720", "720x1280"].')
    credits_per_second = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("1"))
    credits_per_second_hd = models.DecimalField(
        max_digits=8, decimal_places=2, null=True, blank=True, help_text="Price at 1080p, when it differs."
    )
    credits_per_image = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal("0"))
    typical_seconds = models.PositiveIntegerField(default=60, help_text="How long a generation usually takes.")
    time_limit_seconds = models.PositiveIntegerField(
        default=900, help_text="A generation still unfinished after this long ends as failed, credits returned."
    )
    learned_seconds = models.FloatField(
        null=True, blank=True, editable=False, help_text="How long it really took lately, learned by the studio."
    )
    enabled = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name

    @property
    def expected_seconds(self):
        return self.learned_seconds or self.typical_seconds

    def allows(self, duration, size):
        return duration in self.durations and size in self.sizes

    def price(self, duration, size):
        """Credits for a video of this length and size: the one price used everywhere."""
        per_second = self.credits_per_second
        if self.credits_per_second_hd is not None and size in ("1920x1080", "1080x1920"):
            per_second = self.credits_per_second_hd
        return (per_second * duration).quantize(Decimal("1"), rounding=ROUND_HALF_UP)

    def size_choices(self):
        return [(s, SIZES.get(s, s)) for s in self.sizes]


class GenerationQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def active(self):
        return self.filter(status__in=Generation.ACTIVE)

    def finished(self):
        return self.filter(status__in=Generation.FINISHED)


class Generation(models.Model):
    """One video a creator asked for. The row is the source of truth for where it is.

    Every state change is a conditional UPDATE on the expected current state (see `_move`),
    so two workers can never both apply one.
    """

    QUEUED = "queued"
    SUBMITTING = "submitting"
    SUBMITTED = "submitted"
    RUNNING = "running"
    DOWNLOADING = "downloading"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELED = "canceled"
    STATUSES = [
        (QUEUED, "Waiting to start"),
        (SUBMITTING, "Starting"),
        (SUBMITTED, "Started"),
        (RUNNING, "Generating"),
        (DOWNLOADING, "Saving"),
        (COMPLETED, "Ready"),
        (FAILED, "Failed"),
        (CANCELED, "Canceled"),
    ]
    ACTIVE = (QUEUED, SUBMITTING, SUBMITTED, RUNNING, DOWNLOADING)
    POLLED = (SUBMITTED, RUNNING)
    FINISHED = (COMPLETED, FAILED, CANCELED)

    TEXT, IMAGE = "text", "image"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="generations")
    model = models.ForeignKey(CatalogModel, models.PROTECT, related_name="generations")
    start = models.CharField(max_length=10, choices=[(TEXT, "Text"), (IMAGE, "Image")], default=TEXT)
    prompt = models.TextField(help_text="The creator's own words.")
    style = models.CharField(max_length=40, blank=True)
    camera = models.CharField(max_length=40, blank=True)
    full_prompt = models.TextField(help_text="What was sent to Pixapi: the prompt with its presets.")
    duration = models.PositiveSmallIntegerField()
    size = models.CharField(max_length=20)
    cost = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    client_token = models.UUIDField(
        null=True, blank=True, editable=False, help_text="One per form shown: a double click creates one video."
    )
    source = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="derived",
        help_text="The generation this one was made again from.",
    )

    status = models.CharField(max_length=20, choices=STATUSES, default=QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField(default=0)
    pixapi_task_id = models.CharField(max_length=64, null=True, blank=True, unique=True)
    result_url = models.URLField(max_length=2000, blank=True, help_text="Pixapi's own URL: never shown in a page.")
    error_code = models.CharField(max_length=60, blank=True)
    error_message = models.TextField(blank=True, help_text="What the creator is told, in plain words.")
    error_detail = models.TextField(blank=True, help_text="What Pixapi said, for operators.")

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    pixapi_done_at = models.DateTimeField(null=True, blank=True, help_text="When we saw Pixapi finish.")
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)

    # Tracking: which worker holds the row until when, and when it is due again.
    next_poll_at = models.DateTimeField(null=True, blank=True, db_index=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    polls = models.PositiveIntegerField(default=0, help_text="Pixapi status calls made for this generation.")
    poll_errors = models.PositiveSmallIntegerField(default=0)

    video = models.FileField(upload_to="videos/%Y/%m/", blank=True)
    poster = models.FileField(upload_to="posters/%Y/%m/", blank=True)
    video_bytes = models.BigIntegerField(null=True, blank=True)
    video_width = models.PositiveIntegerField(null=True, blank=True)
    video_height = models.PositiveIntegerField(null=True, blank=True)
    video_seconds = models.FloatField(null=True, blank=True)

    objects = GenerationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="gen_user_created"),
            models.Index(fields=["user", "updated_at"], name="gen_user_updated"),
            models.Index(fields=["status", "next_poll_at"], name="gen_status_due"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["user", "client_token"], name="gen_one_per_form"),
        ]

    def __str__(self):
        return f"{self.model.slug}: {self.prompt[:40]}"

    # Reading

    @property
    def is_active(self):
        return self.status in self.ACTIVE

    @property
    def is_completed(self):
        return self.status == self.COMPLETED

    @property
    def is_failed(self):
        return self.status in (self.FAILED, self.CANCELED)

    @property
    def width(self):
        return int(self.size.split("x")[0])

    @property
    def height(self):
        return int(self.size.split("x")[1])

    @property
    def is_portrait(self):
        return self.height > self.width

    def elapsed_seconds(self, now=None):
        end = self.finished_at or now or timezone.now()
        return max(0, int((end - self.created_at).total_seconds()))

    def estimated_finish(self, now=None):
        """When we expect the video to be ready: from its progress once it has some, else from the
        model's typical time (learned from this studio's own history)."""
        now = now or timezone.now()
        if self.progress >= 5 and self.started_at:
            elapsed = (now - self.started_at).total_seconds()
            return now + timedelta(seconds=elapsed * (100 - self.progress) / self.progress)
        start = self.submitted_at or self.created_at
        return max(start + timedelta(seconds=self.model.expected_seconds), now)

    def download_name(self):
        words = "".join(c if c.isalnum() else "-" for c in self.prompt.lower()[:40]).strip("-")
        while "--" in words:
            words = words.replace("--", "-")
        return f"{words or 'video'}-{self.created_at:%Y%m%d-%H%M}.mp4"

    # State changes: each a conditional UPDATE that returns whether it applied.

    def _move(self, expected, lease=None, **changes):
        changes.setdefault("updated_at", timezone.now())
        lookup = Q(pk=self.pk, status__in=expected)
        if lease is not None:
            lookup &= Q(lease_until=lease)  # only the worker holding the row may move it
        done = Generation.objects.filter(lookup).update(**changes) == 1
        if done:
            for field, value in changes.items():
                if not hasattr(value, "resolve_expression"):
                    setattr(self, field, value)
        return done

    def claim_for_submit(self, lease_seconds):
        now = timezone.now()
        return self._move(
            [self.QUEUED], status=self.SUBMITTING, lease_until=now + timedelta(seconds=lease_seconds)
        )

    def mark_submitted(self, task_id, first_poll_at):
        now = timezone.now()
        return self._move(
            [self.SUBMITTING], status=self.SUBMITTED, pixapi_task_id=task_id, submitted_at=now,
            next_poll_at=first_poll_at, lease_until=None,
        )

    def requeue(self, not_before):
        """Back to the queue: Pixapi said no for now (rate limit) and nothing was created."""
        return self._move([self.SUBMITTING], status=self.QUEUED, next_poll_at=not_before, lease_until=None)

    def mark_running(self, progress, next_poll_at, lease=None):
        changes = dict(
            status=self.RUNNING, progress=max(self.progress, min(progress, 99)), next_poll_at=next_poll_at,
            lease_until=None, poll_errors=0, polls=F("polls") + 1,
        )
        if self.started_at is None and (progress > 0 or self.status == self.RUNNING):
            changes["started_at"] = timezone.now()
        return self._move(self.POLLED, lease=lease, **changes)

    def mark_poll_error(self, next_poll_at, lease=None):
        return self._move(
            self.POLLED, lease=lease, next_poll_at=next_poll_at, lease_until=None,
            poll_errors=F("poll_errors") + 1, polls=F("polls") + 1, updated_at=self.updated_at,
        )

    def mark_downloading(self, result_url, lease=None):
        now = timezone.now()
        return self._move(
            self.POLLED, lease=lease, status=self.DOWNLOADING, progress=100, result_url=result_url, pixapi_done_at=now,
            started_at=self.started_at or now, next_poll_at=now, lease_until=None, polls=F("polls") + 1,
        )

    def claim_download(self, lease_seconds):
        now = timezone.now()
        free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
        lease = now + timedelta(seconds=lease_seconds)
        taken = Generation.objects.filter(free, pk=self.pk, status=self.DOWNLOADING).update(lease_until=lease)
        return taken == 1

    def release_download(self, retry_at):
        return self._move([self.DOWNLOADING], lease_until=None, next_poll_at=retry_at, updated_at=self.updated_at)

    def mark_completed(self, video_name, poster_name, info):
        return self._move(
            [self.DOWNLOADING], status=self.COMPLETED, progress=100, video=video_name, poster=poster_name,
            video_bytes=info["bytes"], video_width=info["width"], video_height=info["height"],
            video_seconds=info["seconds"], finished_at=timezone.now(), next_poll_at=None, lease_until=None,
        )

    def mark_failed(self, code, message, detail="", expected=None):
        return self._move(
            expected or self.ACTIVE, status=self.FAILED, error_code=code, error_message=message,
            error_detail=detail[:2000], finished_at=timezone.now(), next_poll_at=None, lease_until=None,
        )

    def deadline(self):
        return self.created_at + timedelta(seconds=self.model.time_limit_seconds)


class SweeperSlot(models.Model):
    """A place for one running sweeper. A fixed number of slots bounds how many sweep at once."""

    number = models.PositiveSmallIntegerField(primary_key=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    holder = models.CharField(max_length=64, blank=True)

    def __str__(self):
        return f"Sweeper slot {self.number}"
