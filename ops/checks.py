"""The parts /healthz/ asks about: each answers None when well, else a reason in a few words."""

import uuid
from datetime import timedelta

from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from generations import health

CLUSTER_SILENT_AFTER = timedelta(minutes=2)  # the sweeper beats every few seconds


def database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def cache_part():
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "1", 10)
    if cache.get(key) != "1":
        return "the cache did not keep what was written"
    cache.delete(key)
    return None


def storage():
    # A question, not a write: a load balancer asks every few seconds, and a write to S3 costs.
    default_storage.exists("healthz-probe")
    return None


def cluster():
    beat = health.last_beat()
    if beat is None:
        return "no cluster has been heard from"
    silent = timezone.now() - beat
    if silent > CLUSTER_SILENT_AFTER:
        return f"no cluster has been heard from for {int(silent.total_seconds())} s"
    return None


PARTS = {"database": database, "cache": cache_part, "storage": storage, "cluster": cluster}


def run_all():
    results = {}
    for name, check in PARTS.items():
        try:
            results[name] = check()
        except Exception as error:  # a part that fails to answer is the answer
            results[name] = f"did not answer ({type(error).__name__})"
    return results
