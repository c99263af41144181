from typing import Any

from django.core.management.base import BaseCommand
from django_q.cluster import Cluster

from worker import sweeper


class Command(BaseCommand):
    help = (
        "Starts a django-q2 cluster (its workers submit, download and make pictures) and runs the "
        "sweeper in this process for as long as the cluster lives."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        cluster = Cluster()
        cluster.start()  # returns once the workers run; they are forked before the sweeper opens anything
        sweeper.run(keep_going=lambda: cluster.is_running and not cluster.is_stopping and cluster.sentinel.is_alive())
        cluster.stop()
