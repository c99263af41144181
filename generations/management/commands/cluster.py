from django.core.management import call_command
from django.core.management.base import BaseCommand

from generations import tracking


class Command(BaseCommand):
    help = (
        "Starts a django-q2 cluster. First enqueues a sweeper, so that tracking resumes as soon as a "
        "dead cluster's sweeper slot goes stale, instead of waiting for the minutely schedule."
    )

    def handle(self, *args, **options):
        tracking.enqueue("sweep")
        call_command("qcluster")
