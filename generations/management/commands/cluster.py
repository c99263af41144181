from django.core.management import call_command
from django.core.management.base import BaseCommand

from generations import tracking


class Command(BaseCommand):
    help = (
        "Starts a django-q2 cluster. First makes sure a sweeper is on its way, so that tracking "
        "resumes at once after a restart instead of waiting for the minutely schedule."
    )

    def handle(self, *args, **options):
        tracking.ensure_sweeper()
        call_command("qcluster")
