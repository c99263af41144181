from django.db import migrations

from catalog.seed import CATALOG, seed_catalog


def seed(apps, schema_editor):
    seed_catalog(apps.get_model("generations", "CatalogModel"))


def unseed(apps, schema_editor):
    apps.get_model("generations", "CatalogModel").objects.filter(slug__in=[e["slug"] for e in CATALOG]).delete()


class Migration(migrations.Migration):
    dependencies = [("generations", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
