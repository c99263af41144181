# The catalog moved to an app of its own; its table stays as it was (state only).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("generations", "0006_download_attempts"),
        ("catalog", "0001_initial"),
        ("accounts", "0006_catalog_app"),  # the plans point at the new place before the old one goes
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="generation",
                    name="model",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="generations",
                        to="catalog.catalogmodel",
                    ),
                ),
                migrations.AlterField(
                    model_name="imagerequest",
                    name="model",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="image_requests",
                        to="catalog.catalogmodel",
                    ),
                ),
                migrations.DeleteModel(name="CatalogModel"),
            ],
            database_operations=[],
        ),
    ]
