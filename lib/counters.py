"""Running counts of what the cluster does (Pixapi submits and polls), kept in the cache so that every
process adds to one figure and the metrics page reads it. On Redis an increment is atomic; on the file
cache of a one-machine studio two processes may now and then lose one in a race, which a metric bears."""

from django.core.cache import cache

PREFIX = "count"


def add(name: str, label: str, by: int = 1) -> None:
    key = f"{PREFIX}:{name}:{label}"
    try:
        cache.incr(key, by)
    except ValueError:  # not there yet (or evicted): start it, kept until the cache is cleared
        if not cache.add(key, by, None):
            cache.incr(key, by)


def read(name: str, label: str) -> int:
    return int(cache.get(f"{PREFIX}:{name}:{label}") or 0)
