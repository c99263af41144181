from django.db import migrations, models
from django.utils.crypto import salted_hmac

import api.models


def stamp_existing(apps, schema_editor):
    # Tokens made before this keep working until the password changes (and expire 90 days from now).
    Token = apps.get_model("api", "Token")
    for token in Token.objects.select_related("user").filter(password_stamp=""):
        stamp = salted_hmac("api.token.password", token.user.password, algorithm="sha256").hexdigest()
        Token.objects.filter(pk=token.pk).update(password_stamp=stamp)
    Token.objects.filter(revoked_at__isnull=False).update(ended_because="revoked")


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_tokens_and_idempotency_keys"),
    ]

    operations = [
        migrations.AddField(
            model_name="token",
            name="expires_at",
            field=models.DateTimeField(default=api.models.default_expiry),
        ),
        migrations.AddField(
            model_name="token",
            name="ended_because",
            field=models.CharField(
                blank=True,
                choices=[
                    ("revoked", "revoked"),
                    ("password", "ended when your password changed"),
                    ("account_off", "ended when the account was switched off"),
                ],
                max_length=12,
            ),
        ),
        migrations.AddField(
            model_name="token",
            name="password_stamp",
            field=models.CharField(
                default="", editable=False, help_text="password_stamp() when it was made.", max_length=64
            ),
            preserve_default=False,
        ),
        migrations.RunPython(stamp_existing, migrations.RunPython.noop),
    ]
