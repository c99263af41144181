"""What the dashboard's one poller asks: which cards changed since its last look."""

from datetime import UTC, datetime

from django.utils import timezone

from generations.models import Generation

MAX_CARDS_PER_ANSWER = 50


def token(moment):
    return str(int(moment.timestamp() * 1_000_000))


def parse_token(value):
    try:
        return datetime.fromtimestamp(int(value) / 1_000_000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def poller_state(user, cards, since=None):
    """The poller to render: from when it asks, and whether it asks at all."""
    since = since if parse_token(since) else token(timezone.now())
    active = any(card.is_active for card in cards) or Generation.objects.for_user(user).active().exists()
    return {"since": since, "active": active}


def changed_since(user, since):
    """Cards that changed after `since`, oldest first, and the poller to send back with them."""
    changed = list(
        Generation.objects.for_user(user).filter(updated_at__gt=since)
        .select_related("model").order_by("updated_at")[:MAX_CARDS_PER_ANSWER]
    )
    if not changed:
        return [], None
    active = Generation.objects.for_user(user).active().exists()
    return changed, {"since": token(changed[-1].updated_at), "active": active}
