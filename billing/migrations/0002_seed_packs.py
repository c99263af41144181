from django.db import migrations

from billing.packs import seed_packs


def seed(apps, schema_editor):
    seed_packs(apps.get_model("billing", "CreditPack"))


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
