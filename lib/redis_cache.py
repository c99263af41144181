"""Django's Redis cache, keeping one client per connection pool, and answering when Redis is down.

The stock backend builds a new redis.Redis for every call. On loopback that costs about as much
CPU as the call itself (about 50 of 130 µs here), and the dashboard's poller makes one cache call
per answer, every second per open tab. A redis.Redis is safe to share between threads.

Everything in the cache may be lost at any time (settings.py), so while Redis cannot be reached
a read is a miss and a write does nothing: sessions come from the database (cached_db writes
through to it) and the poller runs its full check. Pages answer instead of failing. After a
failed call the cache is not asked again for DOWN_SECONDS, so a Redis that hangs does not cost
every call its connect time-out.

`kept_get` reads from this process's copy of a key, kept true by Redis pub/sub: `kept_set` writes the
key and publishes its name in one MULTI, and a thread per process, subscribed, drops the copy of each
key named. Redis 7.4's client-side caching does the same; this works on older ones. The copy is
trusted only while it is known to be at most TRUSTED_SECONDS behind Redis: the thread pings Redis
through its subscription every PING_SECONDS, and as Redis answers in order, each answer tells that
every name published before its ping was sent has been dropped. Until the subscription is
confirmed, and whenever it falls silent or Redis is away, kept_get reads Redis as get does.
"""

import functools
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any, cast

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient, RedisSerializer
from redis.exceptions import ConnectionError, TimeoutError

log = logging.getLogger(__name__)
copy_log = logging.getLogger(f"{__name__}.copy")

DOWN_SECONDS = 2.0
PING_SECONDS = 0.1
TRUSTED_SECONDS = 0.5  # far less than the poller's second: a copy is never behind by a whole poll
SILENT_SECONDS = 2.0  # no answer to the pings this long: the subscription is made again
IDLE_SECONDS = 60.0  # nobody read the copy this long: the thread stops (the next read starts it again)
KEPT_SECONDS = 60.0  # a key in the copy is read from Redis again at least this often
KEPT_KEYS = 100_000  # past it, the copy starts over
CHANNEL = "studio-kept-keys"  # one for every cache on the server: the names published are whole keys
EVERY_KEY = "*"  # published by clear: no made key is "*" (they carry a prefix and a version)
UNREACHABLE = (ConnectionError, TimeoutError)


class KeptClient(RedisCacheClient):
    # Django's own, which its stubs leave out.
    _client: type[redis.Redis]
    _serializer: RedisSerializer
    _get_connection_pool: Callable[[bool], redis.ConnectionPool]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[redis.ConnectionPool, redis.Redis] = {}

    def get_client(self, key: str | bytes | memoryview | None = None, *, write: bool = False) -> redis.Redis:
        pool = self._get_connection_pool(write)
        if pool not in self._clients:
            self._clients[pool] = self._client(connection_pool=pool)
        return self._clients[pool]


def _or_when_down[F: Callable[..., Any]](answer: Callable[..., Any]) -> Callable[[F], F]:
    """Runs the cache call, or gives `answer(*args, **kwargs)` while Redis cannot be reached."""

    def decorate(method: F) -> F:
        @functools.wraps(method)
        def wrapper(self: "RedisCache", *args: Any, **kwargs: Any) -> Any:
            if time.monotonic() < self._down_until:
                return answer(*args, **kwargs)
            try:
                return method(self, *args, **kwargs)
            except UNREACHABLE as e:
                if time.monotonic() >= self._down_until + DOWN_SECONDS:  # once per outage, not per call
                    log.warning("The cache (Redis) cannot be reached, carrying on without it: %s", e)
                self._down_until = time.monotonic() + DOWN_SECONDS
                return answer(*args, **kwargs)

        return cast(F, wrapper)

    return decorate


def _missing(*args: Any, **kwargs: Any) -> Any:
    raise ValueError("Key not found: the cache cannot be reached.")  # what incr says of a missing key


class RedisCache(DjangoRedisCache):
    _down_until = 0.0
    # Django's own, which its stubs leave out (_cache is made of self._class: a KeptClient).
    _servers: list[str]
    _cache: KeptClient

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

    @_or_when_down(lambda *a, **k: False)
    def clear(self) -> None:
        """Empties Redis and tells every process's copy to start over."""
        super().clear()
        self._cache.get_client(write=True).publish(CHANNEL, EVERY_KEY)
        self._copy.drop(EVERY_KEY)

    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = KeptClient
        self._copy = _copy_for(self._servers[0])

    def kept_get(self, key: str, default: Any = None) -> Any:
        """The key's value from this process's copy while it can be trusted, else from Redis."""
        value = self._copy.get(self.make_key(key), lambda: self.get(key))
        return default if value is None else value

    @_or_when_down(lambda *a, **k: None)
    def kept_set(self, key: str, value: Any, timeout: float | None = DEFAULT_TIMEOUT) -> None:
        """Sets the key and tells every process's copy, in one MULTI: both happen or neither."""
        made, timeout = self.make_and_validate_key(key), self.get_backend_timeout(timeout)
        pipe = self._cache.get_client(made, write=True).pipeline(transaction=True)
        if timeout == 0:
            pipe.delete(made)
        else:
            # Django's Redis cache gives whole seconds, though its stubs say float.
            pipe.set(made, self._cache._serializer.dumps(value), ex=timeout)  # type: ignore[arg-type]
        pipe.publish(CHANNEL, made)
        pipe.execute()
        self._copy.drop(made)  # this process reads its own write at once, not when the message comes back

    @_or_when_down(lambda *a, **k: False)
    def kept_add(self, key: str, value: Any, timeout: float | None = DEFAULT_TIMEOUT) -> bool:
        """add, telling the copies when it added (a copy may hold a value Redis evicted or expired)."""
        if added := self.add(key, value, timeout):
            made = self.make_and_validate_key(key)
            self._cache.get_client(made, write=True).publish(CHANNEL, made)
            self._copy.drop(made)
        return added


_copies: dict[str, "_Copy"] = {}
_copies_lock = threading.Lock()


def _copy_for(server: str) -> "_Copy":
    with _copies_lock:
        return _copies.setdefault(server, _Copy(server))


class _Copy:
    """One process's copy of the kept keys on one Redis server, and the thread that keeps it true."""

    def __init__(self, server: str) -> None:
        self.server = server
        self.values: dict[str, tuple[Any, float]] = {}  # key: (value, monotonic time to read it from Redis again)
        self.lock = threading.Lock()
        self.epoch = 0  # moves whenever a key may have changed: a read begun before does not fill the copy
        self.true_as_of = float("-inf")  # every name published before this moment has been dropped
        self.asked = time.monotonic()
        self.thread: threading.Thread | None = None
        self.pid: int | None = None

    def get(self, key: str, read: Callable[[], Any]) -> Any:
        now = self.asked = time.monotonic()
        if now - self.true_as_of >= TRUSTED_SECONDS:
            self.start()
            return read()
        held = self.values.get(key)
        if held is not None and held[1] > now:
            return held[0]
        epoch = self.epoch
        value = read()
        if value is not None:
            with self.lock:
                if epoch == self.epoch:
                    if len(self.values) >= KEPT_KEYS:
                        self.values.clear()
                    self.values[key] = (value, now + KEPT_SECONDS)
        return value

    def drop(self, key: str) -> None:
        with self.lock:
            if key == EVERY_KEY:
                self.values = {}
            else:
                self.values.pop(key, None)
            self.epoch += 1

    def start(self) -> None:
        """Starts the subscriber in this process (again after a fork, or when it stopped)."""
        if self._running():
            return
        with self.lock:
            if self._running():
                return
            self._distrust()
            self.pid = os.getpid()
            self.thread = threading.Thread(target=self._listen, name="redis-kept-keys", daemon=True)
            self.thread.start()

    def _running(self) -> bool:
        return self.thread is not None and self.pid == os.getpid() and self.thread.is_alive()

    def _distrust(self) -> None:
        self.true_as_of = float("-inf")
        self.values = {}
        self.epoch += 1

    def _listen(self) -> None:
        name = f"{CHANNEL}-{os.getpid()}"  # CLIENT LIST shows whose it is
        client = redis.Redis.from_url(self.server, socket_connect_timeout=1, socket_timeout=1, client_name=name)
        self.said = False
        while time.monotonic() - self.asked < IDLE_SECONDS:
            pubsub = client.pubsub()
            try:
                self._follow(pubsub)
            except (redis.RedisError, OSError, ValueError) as e:
                if not self.said:  # once per outage
                    copy_log.warning("The copy of the cache's kept keys is not kept, reading Redis instead: %s", e)
                    self.said = True
                time.sleep(DOWN_SECONDS)
            finally:
                with self.lock:
                    self._distrust()
                pubsub.close()
        client.close()

    def _follow(self, pubsub: redis.client.PubSub) -> None:
        pubsub.subscribe(CHANNEL)
        deadline = time.monotonic() + SILENT_SECONDS
        while (message := pubsub.get_message(timeout=PING_SECONDS)) is None or message["type"] != "subscribe":
            if time.monotonic() > deadline:
                raise redis.TimeoutError("Redis did not confirm the subscription")
        with self.lock:  # from now on every name published reaches this thread; the copy starts empty
            self._distrust()
            self.true_as_of = sent = time.monotonic()
        self.said = False
        pubsub.ping(repr(sent))
        while time.monotonic() - self.asked < IDLE_SECONDS:
            message = pubsub.get_message(timeout=PING_SECONDS)
            if message is not None and message["type"] == "message":
                self.drop(message["data"].decode())
            elif message is not None and message["type"] == "pong":
                self.true_as_of = float(message["data"])  # when that ping was sent
            now = time.monotonic()
            if now - sent >= PING_SECONDS:
                pubsub.ping(repr(now))
                sent = now
            if now - self.true_as_of > SILENT_SECONDS:
                raise redis.TimeoutError("Redis stopped answering the subscription's pings")
