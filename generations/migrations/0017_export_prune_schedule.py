from django.db import migrations


def schedule(apps, schema_editor):
    # Stored exports past their links' hours, and finished export rows, are deleted every hour.
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name="export-prune",
        defaults=dict(func="worker.tasks.remove_expired_exports", schedule_type="H", repeats=-1),
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="export-prune").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("generations", "0016_library_exports"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
