from django.core.management.base import BaseCommand

from accounts.models import User

DEMO_EMAIL = "demo@studio.local"
DEMO_PASSWORD = "create-videos"


class Command(BaseCommand):
    help = "Creates the demo creator (safe to run again: an existing one is left as it is)."

    def handle(self, *args, **options):
        if User.objects.filter(email=DEMO_EMAIL).exists():
            return
        User.objects.create_user(
            username="demo", email=DEMO_EMAIL, password=DEMO_PASSWORD, display_name="Demo Creator"
        )
        self.stdout.write(f"Created the demo creator {DEMO_EMAIL}")
