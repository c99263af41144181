"""Events: made when something happens to a session, signed exactly as Stripe signs them
(`Stripe-Signature: t=<unix time>,v1=<HMAC-SHA256 of "<t>.<body>" with the webhook secret>`) and
sent to the studio's webhook over HTTP. `send(event)` sends one again: a retry, a replay, a duplicate."""

import hashlib
import hmac
import json
import logging
import time

import httpx
from django.conf import settings
from django.db.models import F

from stripe_sandbox.models import SentEvent, new_id

log = logging.getLogger(__name__)

API_VERSION = "2025-09-30.clover"


def make(event_type, obj):
    """Stores the event for `obj` (a snapshot of it now); sent by `send` after the commit."""
    event_id = new_id("event")
    payload = {
        "id": event_id,
        "object": "event",
        "api_version": API_VERSION,
        "created": int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }
    return SentEvent.objects.create(id=event_id, type=event_type, payload=payload)


def signature(body, secret, timestamp=None):
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def send(event, *, secret=None, timestamp=None):
    """Posts the event to the studio's webhook (settings.STRIPE_SANDBOX_WEBHOOK_URL); returns the
    status code, or None when it could not be reached. A wrong `secret` or an old `timestamp` is how
    a test forges or replays one."""
    body = json.dumps(event.payload, indent=2).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        "Stripe-Signature": signature(body, secret or settings.STRIPE_WEBHOOK_SECRET, timestamp),
    }
    status, error = None, ""
    try:
        status = httpx.post(settings.STRIPE_SANDBOX_WEBHOOK_URL, content=body, headers=headers, timeout=10).status_code
    except httpx.HTTPError as exc:
        error = str(exc) or exc.__class__.__name__
        log.warning("Stripe stand-in: %s not delivered: %s", event.id, error)
    SentEvent.objects.filter(pk=event.pk).update(attempts=F("attempts") + 1, last_status=status, last_error=error)
    return status
