import logging
import threading
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import DatabaseError, connection

from generations import tracking

log = logging.getLogger(__name__)

WATCH_EVERY_SECONDS = 5


class Command(BaseCommand):
    help = (
        "Starts a django-q2 cluster. First enqueues a sweeper, so that tracking resumes as soon as a "
        "dead cluster's sweeper slot goes stale, instead of waiting for the minutely schedule. While it "
        "runs, it keeps the sweeper slots filled whenever generations are in flight, so another "
        "cluster's death or a message lost by the broker is made good within seconds."
    )

    def handle(self, *args, **options):
        tracking.enqueue("sweep")
        threading.Thread(target=keep_sweepers, name="keep-sweepers", daemon=True).start()
        call_command("qcluster")


def keep_sweepers():
    time.sleep(2 * WATCH_EVERY_SECONDS)  # the cluster forks its processes first, with no connection open here
    while True:
        try:
            tracking.keep_sweepers()
        except DatabaseError as e:
            log.warning("Could not check the sweeper slots: %s", e)
        finally:
            connection.close()
        time.sleep(WATCH_EVERY_SECONDS)
