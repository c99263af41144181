import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class SavedPromptQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)


class SavedPrompt(models.Model):
    """A prompt a creator liked and kept, to reuse in one click."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="saved_prompts")
    text = models.TextField()
    style = models.CharField(max_length=40, blank=True)
    camera = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = SavedPromptQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "text"], name="saved_prompt_once")]

    def __str__(self):
        return self.text[:60]


class DraftQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def unfinished(self):
        return self.filter(generation__isnull=True)


class Draft(models.Model):
    """An image-to-video wizard in progress, kept on the server so nothing is lost when a tab closes."""

    STEPS = ["picture", "motion", "settings", "review"]

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="drafts")
    step = models.CharField(max_length=10, default="picture")
    picture = models.ForeignKey("generations.Picture", models.SET_NULL, null=True, blank=True, related_name="+")
    image_request = models.ForeignKey(
        "generations.ImageRequest",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The latest 'make a picture' request, while the creator chooses from its results.",
    )
    prompt = models.TextField(blank=True)
    motions = models.JSONField(default=list, blank=True)
    model = models.CharField(max_length=60, blank=True)
    duration = models.PositiveSmallIntegerField(null=True, blank=True)
    size = models.CharField(max_length=20, blank=True)
    fit = models.CharField(max_length=10, default="crop")
    client_token = models.UUIDField(default=uuid.uuid4)
    generation = models.ForeignKey(
        "generations.Generation",
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="What the wizard made, once submitted.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DraftQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self):
        return f"Draft {self.pk} at {self.step}"

    def reachable(self, step):
        """A step can be opened once the steps before it have what they need."""
        if step == "picture":
            return True
        if self.picture_id is None:
            return False
        return step in ("motion", "settings") or bool(self.model and self.duration and self.size)
