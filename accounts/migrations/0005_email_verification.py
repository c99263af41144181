from django.db import migrations, models
from django.db.models.functions import Now


def trust_existing_creators(apps, schema_editor):
    # Creators from before verification existed already had their credits and their ready mails.
    apps.get_model("accounts", "User").objects.filter(email_verified_at=None).update(email_verified_at=Now())


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_seed_plans_and_allowance_schedule"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="email_verified_at",
            field=models.DateTimeField(
                blank=True,
                null=True,
                verbose_name="email verified",
                help_text="When the creator followed the link mailed to their address. Empty: not verified yet "
                "(no credits, no emails about videos).",
            ),
        ),
        migrations.RunPython(trust_existing_creators, migrations.RunPython.noop),
    ]
