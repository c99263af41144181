"""Django's Redis cache, keeping one client per connection pool, and answering when Redis is down.

The stock backend builds a new redis.Redis for every call. On loopback that costs about as much
CPU as the call itself (about 50 of 130 µs here), and the dashboard's poller makes one cache call
per answer, every second per open tab. A redis.Redis is safe to share between threads.

Everything in the cache may be lost at any time (settings.py), so while Redis cannot be reached
a read is a miss and a write does nothing: sessions come from the database (cached_db writes
through to it) and the poller runs its full check. Pages answer instead of failing. After a
failed call the cache is not asked again for DOWN_SECONDS, so a Redis that hangs does not cost
every call its connect time-out.
"""

import functools
import logging
import time

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from redis.exceptions import ConnectionError, TimeoutError

log = logging.getLogger(__name__)

DOWN_SECONDS = 2.0
UNREACHABLE = (ConnectionError, TimeoutError)


class KeptClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        if pool not in self._clients:
            self._clients[pool] = self._client(connection_pool=pool)
        return self._clients[pool]


def _or_when_down(answer):
    """Runs the cache call, or gives `answer(*args, **kwargs)` while Redis cannot be reached."""

    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            if time.monotonic() < self._down_until:
                return answer(*args, **kwargs)
            try:
                return method(self, *args, **kwargs)
            except UNREACHABLE as e:
                if time.monotonic() >= self._down_until + DOWN_SECONDS:  # once per outage, not per call
                    log.warning("The cache (Redis) cannot be reached, carrying on without it: %s", e)
                self._down_until = time.monotonic() + DOWN_SECONDS
                return answer(*args, **kwargs)

        return wrapper

    return decorate


def _missing(*args, **kwargs):
    raise ValueError("Key not found: the cache cannot be reached.")  # what incr says of a missing key


class RedisCache(DjangoRedisCache):
    _down_until = 0.0

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = KeptClient

    add = _or_when_down(lambda *a, **k: False)(DjangoRedisCache.add)
    get = _or_when_down(lambda key, default=None, version=None: default)(DjangoRedisCache.get)
    set = _or_when_down(lambda *a, **k: None)(DjangoRedisCache.set)
    touch = _or_when_down(lambda *a, **k: False)(DjangoRedisCache.touch)
    delete = _or_when_down(lambda *a, **k: False)(DjangoRedisCache.delete)
    get_many = _or_when_down(lambda *a, **k: {})(DjangoRedisCache.get_many)
    has_key = _or_when_down(lambda *a, **k: False)(DjangoRedisCache.has_key)
    incr = _or_when_down(_missing)(DjangoRedisCache.incr)
    set_many = _or_when_down(lambda data, *a, **k: list(data))(DjangoRedisCache.set_many)
    delete_many = _or_when_down(lambda *a, **k: None)(DjangoRedisCache.delete_many)
    clear = _or_when_down(lambda *a, **k: False)(DjangoRedisCache.clear)
