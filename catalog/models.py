from decimal import ROUND_HALF_UP, Decimal

from django.db import models

from catalog.sizes import is_hd, label


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

    class Meta:
        db_table = "generations_catalogmodel"  # the table it has had since it lived in generations
        ordering = ["position", "name"]

    def __str__(self):
        return self.name

    @property
    def expected_seconds(self):
        return self.learned_seconds or self.typical_seconds

    def allows(self, duration, size):
        return duration in self.durations and size in self.sizes

    def price(self, duration, size):
        """Credits for a video of this length and size: the one video price, used everywhere."""
        per_second = self.credits_per_second
        if self.credits_per_second_hd is not None and is_hd(size):
            per_second = self.credits_per_second_hd
        return (per_second * duration).quantize(Decimal("1"), rounding=ROUND_HALF_UP)

    def image_price(self, n=1):
        """Credits for `n` pictures from an image model: the one picture price, used everywhere."""
        return (self.credits_per_image * n).quantize(Decimal("1"), rounding=ROUND_HALF_UP)

    def size_choices(self):
        """(value, label) for each size it makes: ("1280x720", "Landscape 720p")."""
        return [(size, label(size)) for size in self.sizes]
