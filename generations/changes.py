"""Each creator's change mark: a fresh random value written to the cache after every committed
change to one of their generations, so the dashboard's poller can tell "nothing new" without the
database.

The poller reads the mark before it reads the database and sends it back next time. A change that
its read missed commits later, so its new mark lands later too, and a mark is never written twice:
while the mark is the one the poller holds, there is nothing for it to see. A missing mark (lost,
evicted, never set) only sends the poller to the database.
"""

import secrets

from django.core.cache import cache
from django.db import transaction

MARK_SECONDS = 24 * 3600


def _key(user_id):
    return f"changes:{user_id}"


def note(user_id):
    """Call where a generation changes; the mark moves once the change is committed."""
    transaction.on_commit(lambda: cache.set(_key(user_id), secrets.token_hex(8), MARK_SECONDS), robust=True)


def peek(user_id):
    return cache.get(_key(user_id))


def current(user_id):
    """The mark as it stands, made now when there is none; "" when the cache does not answer."""
    mark = peek(user_id)
    if mark is None:
        cache.add(_key(user_id), secrets.token_hex(8), MARK_SECONDS)
        mark = peek(user_id)
    return mark or ""
