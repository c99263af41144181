"""Wizard drafts belong to the video core now: the table (studio_draft) stays where it is; only the
model's home changes (studio.0003 forgets it first)."""

import uuid

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("generations", "0014_video_title"),
        ("studio", "0003_draft_moves_to_the_core"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Draft",
                    fields=[
                        ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ("step", models.CharField(default="picture", max_length=10)),
                        ("prompt", models.TextField(blank=True)),
                        ("motions", models.JSONField(blank=True, default=list)),
                        ("model", models.CharField(blank=True, max_length=60)),
                        ("duration", models.PositiveSmallIntegerField(blank=True, null=True)),
                        ("size", models.CharField(blank=True, max_length=20)),
                        ("fit", models.CharField(default="crop", max_length=10)),
                        ("client_token", models.UUIDField(default=uuid.uuid4)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "generation",
                            models.ForeignKey(
                                blank=True,
                                help_text="What the wizard made, once submitted.",
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="generations.generation",
                            ),
                        ),
                        (
                            "image_request",
                            models.ForeignKey(
                                blank=True,
                                help_text="The latest 'make a picture' request, while the creator chooses from its results.",
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="generations.imagerequest",
                            ),
                        ),
                        (
                            "picture",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="generations.picture",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="drafts",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "ordering": ["-updated_at"],
                        "db_table": "studio_draft",
                    },
                ),
            ],
        ),
    ]
