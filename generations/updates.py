"""What the dashboard's one poller asks: which cards changed since its last look.

The poller sends back two things each time: `since`, the moment of the last change it has shown,
and, in the X-Poller-Seen header, a token for the creator's change mark (generations/changes.py) as
it stood before that answer read the database. While the mark is still the one the token names, the
answer is 204, decided without the database, the session or even the query string: a page with
videos in flight asks every second.

The token is an HMAC of the mark and the browser's session cookie, so it is worth nothing without
that cookie and nothing once the mark moves. All it can ever tell is "nothing new since you last
looked", and only to the browser it was given to; anything more goes through the full login check.
"""

import functools
import hashlib
import hmac
from datetime import UTC, datetime

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from generations import changes
from generations.models import Generation

MAX_CARDS_PER_ANSWER = 50


def token(moment):
    return str(int(moment.timestamp() * 1_000_000))


def parse_token(value):
    try:
        return datetime.fromtimestamp(int(value) / 1_000_000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _digest(session_key, mark):
    """salted_hmac("generations.updates.seen", ...), with its key made once per secret: every poll
    asks for one."""
    message = f"{session_key}:{mark}".encode()
    return hmac.digest(_hmac_key(settings.SECRET_KEY), message, "sha256").hex()[:32]


@functools.cache
def _hmac_key(secret):
    return hashlib.sha256(f"generations.updates.seen{secret}".encode()).digest()


def seen_token(request):
    """The token for the mark as it stands now. Take it before reading the cards, so a change that
    commits in between moves the mark past it and is seen next time."""
    mark, session_key = changes.current(request.user.pk), request.session.session_key
    if not mark or not session_key:
        return ""
    return f"{request.user.pk}:{_digest(session_key, mark)}"


def nothing_new(request):
    """Whether the poller's token still names its creator's current mark, for this browser."""
    user_id, _, digest = request.META.get("HTTP_X_POLLER_SEEN", "").partition(":")
    session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not (user_id.isdigit() and digest and session_key):
        return False
    mark = changes.peek(user_id)
    return bool(mark) and constant_time_compare(digest, _digest(session_key, mark))


# A page's one poller (the dashboard, a comparison, a storyboard), answered the same way by each.


def answer_poll(request, changes, *args):
    """204 while nothing of the creator's changed, decided from the cache alone (nothing_new), else what
    `changes(request, *args)` answers. Never stored: an answer is only true at the moment it is given."""
    response = HttpResponse(status=204) if nothing_new(request) else changes(request, *args)
    response["Cache-Control"] = "no-store"
    return response


def look(request):
    """Where the poller stands as an answer starts: (the token of the mark now, taken before anything
    is read; the moment of the last change it has shown)."""
    return seen_token(request), parse_token(request.GET.get("since")) or timezone.now()


def seen_already(request, seen):
    """Whether the poller's token already names the mark: with nothing changed either, the answer is 204."""
    return seen == request.headers.get("X-Poller-Seen", "")


def poller_state(user, cards, since=None, seen=""):
    """The dashboard's poller to render: from when it asks, its token, and whether it asks at all."""
    active = any(card.is_active for card in cards) or Generation.objects.for_user(user).active().exists()
    return group_poller(None, active, since, seen)


def group_poller(url, active, since=None, seen=""):
    """A poller to render: where it asks, whether it asks at all, from when, and its token."""
    return {"since": since if parse_token(since) else token(timezone.now()), "seen": seen, "active": active, "url": url}


def changed_among(takes, since):
    """The takes of a page (a comparison's, a storyboard's) that changed after `since`, and where the
    poller goes on from."""
    changed = [take for take in takes if take.updated_at > since]
    return changed, token(max((take.updated_at for take in changed), default=since))


def changed_since(user, since):
    """Cards that changed after `since`, oldest first, and where the poller goes on from."""
    changed = list(
        Generation.objects.for_user(user)
        .filter(updated_at__gt=since)
        .select_related("model")
        .order_by("updated_at")[:MAX_CARDS_PER_ANSWER]
    )
    return changed, token(changed[-1].updated_at) if changed else token(since)
