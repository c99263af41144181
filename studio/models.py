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
