"""The Draft model moves to the video core (generations.0015); its table stays, so this only forgets it."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("studio", "0002_wizard_drafts")]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="Draft")]),
    ]
