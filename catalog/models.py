from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.db.models import F
from django.utils import timezone

from catalog.sizes import is_hd, label

BUSY_FIRST_SECONDS = 5
BUSY_MAX_SECONDS = 300


class CatalogModel(models.Model):
    """A model the studio offers, with what it can do and what it costs. Edited in admin."""

    class Kind(models.TextChoices):
        VIDEO = "video", "Video"
        IMAGE = "image", "Image"

    slug = models.SlugField(max_length=60, unique=True, help_text="The model's id at Pixapi.")
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.VIDEO)
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

    # The studio's valve in front of Pixapi, for this model (generations.queue hands out the slots).
    max_in_flight = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="At most this many of its videos at Pixapi at once, for the whole studio. Empty: only the studio's cap.",
    )
    queue_paused = models.BooleanField(
        default=False, help_text="Maintenance: nothing new is sent to Pixapi for it; its videos wait."
    )
    busy_until = models.DateTimeField(
        null=True, blank=True, help_text="Pixapi said it was busy (429 or 503): nothing is sent to it until then."
    )
    busy_strikes = models.PositiveSmallIntegerField(
        default=0, help_text="Busy answers in a row; each one keeps it closed twice as long."
    )

    class Meta:
        db_table = "generations_catalogmodel"  # the table it has had since it lived in generations
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def expected_seconds(self) -> float:
        return self.learned_seconds or self.typical_seconds

    def is_busy(self, now: datetime | None = None) -> bool:
        return self.busy_until is not None and self.busy_until > (now or timezone.now())

    def is_open(self, now: datetime | None = None) -> bool:
        """Whether the queue may send its videos to Pixapi now: enabled, not paused, not busy."""
        return self.enabled and not self.queue_paused and not self.is_busy(now)

    def note_busy(self, retry_after: float | None = None, now: datetime | None = None) -> None:
        """Pixapi answered 429 or 503 for it: the circuit breaker closes its valve for a while, twice as
        long for each busy answer in a row (BUSY_FIRST_SECONDS up to BUSY_MAX_SECONDS), or as long as
        Pixapi asked, whichever is longer."""
        now = now or timezone.now()
        CatalogModel.objects.filter(pk=self.pk).update(busy_strikes=F("busy_strikes") + 1)
        self.refresh_from_db(fields=["busy_strikes", "busy_until"])
        wait = min(BUSY_FIRST_SECONDS * 2 ** (self.busy_strikes - 1), BUSY_MAX_SECONDS)
        until = now + timedelta(seconds=max(wait, min(retry_after or 0, BUSY_MAX_SECONDS)))
        if self.busy_until is None or until > self.busy_until:
            CatalogModel.objects.filter(pk=self.pk).update(busy_until=until)
            self.busy_until = until

    def closure_seconds(self, now: datetime | None = None) -> int:
        """How long the breaker closed the valve for this time (longer with each busy answer in a row), or
        0 while it is open."""
        if not self.is_busy(now):
            return 0
        return min(BUSY_FIRST_SECONDS * 2 ** max(self.busy_strikes - 1, 0), BUSY_MAX_SECONDS)

    def note_recovered(self) -> None:
        """A submit went through: the breaker is closed again."""
        if self.busy_strikes or self.busy_until:
            CatalogModel.objects.filter(pk=self.pk).update(busy_strikes=0, busy_until=None)
            self.busy_strikes, self.busy_until = 0, None

    def allows(self, duration: int, size: str) -> bool:
        return duration in self.durations and size in self.sizes

    def price(self, duration: int, size: str) -> Decimal:
        """Credits for a video of this length and size: the one video price, used everywhere."""
        per_second = self.credits_per_second
        if self.credits_per_second_hd is not None and is_hd(size):
            per_second = self.credits_per_second_hd
        return (per_second * duration).quantize(Decimal("1"), rounding=ROUND_HALF_UP)

    def image_price(self, n: int = 1) -> Decimal:
        """Credits for `n` pictures from an image model: the one picture price, used everywhere."""
        return (self.credits_per_image * n).quantize(Decimal("1"), rounding=ROUND_HALF_UP)

    def size_choices(self) -> list[tuple[str, str]]:
        """(value, label) for each size it makes: ("1280x720", "Landscape 720p")."""
        return [(size, label(size)) for size in self.sizes]
