from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models.functions import Lower


class UserManager(DjangoUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, email):
        # Creators type their email in any case: ADA@Example.com signs in as ada@example.com.
        return self.get(email__iexact=email)


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

    objects = UserManager()

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
