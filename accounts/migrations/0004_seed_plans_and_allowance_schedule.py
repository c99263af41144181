from django.db import migrations

from accounts.plans import seed_plans


def seed(apps, schema_editor):
    seed_plans(apps.get_model("accounts", "Plan"), apps.get_model("generations", "CatalogModel"))
    # Daily, not monthly: a cluster that was down on the 1st still grants the month's allowance the
    # next day. Each creator gets it once a month whatever runs (a unique ledger key per user and month).
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name="monthly-allowance",
        defaults=dict(func="accounts.tasks.grant_allowances", schedule_type="D", repeats=-1),
    )


def unseed(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="monthly-allowance").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_credits_and_plans"),
        ("generations", "0002_seed_catalog"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]
    operations = [migrations.RunPython(seed, unseed)]
