"""Each creator's change mark: a fresh random value written to the cache after every committed
change to one of their generations, so the dashboard's poller can tell "nothing new" without the
database.

The poller reads the mark before it reads the database and sends it back next time. A change that
its read missed commits later, so its new mark lands later too, and a mark is never written twice:
while the mark is the one the poller holds, there is nothing for it to see. A missing mark (lost,
evicted, never set) only sends the poller to the database.

Where the cache offers it (studio/redis_cache.py, studio/file_cache.py), a mark is read through
`kept_get`: from Redis, a copy in this process's memory that Redis pub/sub keeps true to within half
a second, reading Redis itself whenever that cannot be vouched for; from files, the file's bytes
compared with the last ones read. So "nothing new" costs no round trip, and a moved mark is seen on
the poller's next ask.
"""

import secrets
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.core.cache.backends.base import BaseCache
from django.db import transaction

MARK_SECONDS = 24 * 3600


def _key(user_id: int) -> str:
    return f"changes:{user_id}"


def note(user_id: int) -> None:
    """Call where a generation changes; the mark moves once the change is committed."""
    transaction.on_commit(lambda: _kept(cache, "set")(_key(user_id), secrets.token_hex(8), MARK_SECONDS), robust=True)


def peek(user_id: int) -> str | None:
    return _kept(cache, "get")(_key(user_id))


def current(user_id: int) -> str:
    """The mark as it stands, made now when there is none; "" when the cache does not answer."""
    mark = peek(user_id)
    if mark is None:
        _kept(cache, "add")(_key(user_id), secrets.token_hex(8), MARK_SECONDS)
        mark = peek(user_id)
    return mark or ""


def _kept(backend: BaseCache, name: str) -> Callable[..., Any]:
    """The cache's kept_<name> (which keeps the processes' copies of the key true), else its <name>."""
    return getattr(backend, f"kept_{name}", None) or getattr(backend, name)
