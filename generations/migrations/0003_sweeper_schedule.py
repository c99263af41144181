from django.db import migrations


def schedule(apps, schema_editor):
    # The chain of sweepers restarts itself; this schedule only revives a broken chain.
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.update_or_create(
        name="sweeper", defaults=dict(func="generations.tasks.sweep", schedule_type="I", minutes=1, repeats=-1)
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="sweeper").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("generations", "0002_seed_catalog"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]
    operations = [migrations.RunPython(schedule, unschedule)]
