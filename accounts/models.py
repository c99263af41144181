from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A creator (or an operator, when is_staff). Signs in with their email address."""

    email = models.EmailField("email address", unique=True)
    display_name = models.CharField(max_length=80, blank=True)
    notify_by_email = models.BooleanField(
        default=False, help_text="Send an email when a video is ready."
    )

    # Creators sign in with their email; `username` is their public handle (/@handle/).
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["username"]

    def __str__(self):
        return self.display_name or self.email or self.username

    @property
    def name(self):
        return self.display_name or self.email.split("@")[0]
