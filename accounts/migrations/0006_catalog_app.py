# The catalog moved to an app of its own; its table, and the plans' through table, stay as they were.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_email_verification"),
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="plan",
                    name="allowed_models",
                    field=models.ManyToManyField(
                        blank=True,
                        help_text="The models this plan may use. Leave empty for every model.",
                        related_name="plans",
                        to="catalog.catalogmodel",
                    ),
                ),
                migrations.AlterField(
                    model_name="creditentry",
                    name="model",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="credit_entries",
                        to="catalog.catalogmodel",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
