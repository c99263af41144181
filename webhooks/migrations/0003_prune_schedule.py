from django.db import migrations


def schedule(apps, schema_editor):
    # Finished deliveries older than WEBHOOKS_KEEP_DAYS are deleted once a day.
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name="webhook-prune", defaults=dict(func="webhooks.tasks.prune", schedule_type="D", repeats=-1)
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="webhook-prune").delete()


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0002_secret_rotation")]

    operations = [migrations.RunPython(schedule, unschedule)]
