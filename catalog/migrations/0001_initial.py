# The catalog moved here from generations: the model and its table stay as they were (state only).

from decimal import Decimal

from django.db import migrations, models


def move_content_type(apps, schema_editor):
    """Keeps operators' permissions and admin history on the catalog: its content type moves too."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="catalog", model="catalogmodel").exists():
        ContentType.objects.filter(app_label="generations", model="catalogmodel").update(app_label="catalog")


def move_content_type_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="generations", model="catalogmodel").exists():
        ContentType.objects.filter(app_label="catalog", model="catalogmodel").update(app_label="generations")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("generations", "0006_download_attempts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="CatalogModel",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("slug", models.SlugField(help_text="The model's id at Pixapi.", max_length=60, unique=True)),
                        ("name", models.CharField(max_length=80)),
                        (
                            "kind",
                            models.CharField(
                                choices=[("video", "Video"), ("image", "Image")], default="video", max_length=10
                            ),
                        ),
                        (
                            "guide",
                            models.TextField(
                                blank=True, help_text="What it is good at, in plain words, shown to creators."
                            ),
                        ),
                        ("text_to_video", models.BooleanField(default=True)),
                        ("image_to_video", models.BooleanField(default=False)),
                        (
                            "durations",
                            models.JSONField(
                                blank=True, default=list, help_text="Allowed durations in seconds, e.g. [4, 5, 6]."
                            ),
                        ),
                        (
                            "sizes",
                            models.JSONField(
                                blank=True, default=list, help_text='Allowed sizes, e.g. ["1280x720", "720x1280"].'
                            ),
                        ),
                        (
                            "credits_per_second",
                            models.DecimalField(decimal_places=2, default=Decimal("1"), max_digits=8),
                        ),
                        (
                            "credits_per_second_hd",
                            models.DecimalField(
                                blank=True,
                                decimal_places=2,
                                help_text="Price at 1080p, when it differs.",
                                max_digits=8,
                                null=True,
                            ),
                        ),
                        (
                            "credits_per_image",
                            models.DecimalField(decimal_places=2, default=Decimal("0"), max_digits=8),
                        ),
                        (
                            "typical_seconds",
                            models.PositiveIntegerField(default=60, help_text="How long a generation usually takes."),
                        ),
                        (
                            "time_limit_seconds",
                            models.PositiveIntegerField(
                                default=900,
                                help_text="A generation still unfinished after this long ends as failed, credits returned.",
                            ),
                        ),
                        (
                            "learned_seconds",
                            models.FloatField(
                                blank=True,
                                editable=False,
                                help_text="How long it really took lately, learned by the studio.",
                                null=True,
                            ),
                        ),
                        ("enabled", models.BooleanField(default=True)),
                        ("position", models.PositiveSmallIntegerField(default=0)),
                    ],
                    options={
                        "db_table": "generations_catalogmodel",
                        "ordering": ["position", "name"],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
