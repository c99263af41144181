# The sweeper runs in each cluster's own process (manage.py cluster): no schedule starts it and no
# slot table bounds it any more.
from django.db import migrations


def unschedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name="sweeper").delete()


def schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name="sweeper", defaults=dict(func="generations.tasks.sweep", schedule_type="I", minutes=1, repeats=-1)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("generations", "0007_catalog_app"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]
    operations = [
        migrations.RunPython(unschedule, schedule),
        migrations.DeleteModel(name="SweeperSlot"),
    ]
