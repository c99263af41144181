"""Sending webhook deliveries, in the worker: signed as Standard Webhooks says, short time-outs, no
redirects followed, the answer read only up to a small cap, retried with doubling gaps for a day.

deliver(id):  one try of one delivery, when it is due (the task enqueued when the event happened).
send_due():   every due delivery (the minutely schedule): retries, and any whose message was lost.
"""

import base64
import hashlib
import hmac
import ipaddress
import logging
import time

import httpx
from django.conf import settings
from django.utils import timezone

from webhooks import addresses
from webhooks.models import WebhookDelivery

log = logging.getLogger(__name__)

EXCERPT_BYTES = 500
SEND_DUE_BATCH = 100
SEND_DUE_SECONDS = 40


def sign(secret, message_id, timestamp, body):
    """`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed by the secret's bytes after "whsec_"."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{message_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def deliver(delivery_id):
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or not delivery.claim():
        return "not due"
    return attempt(delivery)


def send_due(now=None):
    """Due deliveries, one after another, for at most SEND_DUE_SECONDS (well inside the task's time-out):
    what is left is still due at the next run, a minute later."""
    now = now or timezone.now()
    ids = list(
        WebhookDelivery.objects.due(now).order_by("next_attempt_at").values_list("pk", flat=True)[:SEND_DUE_BATCH]
    )
    results = {}
    stop_at = time.monotonic() + SEND_DUE_SECONDS
    for pk in ids:
        if time.monotonic() > stop_at:
            break
        result = deliver(pk)
        results[result] = results.get(result, 0) + 1
    return results


def attempt(delivery):
    """One try of a claimed delivery; records how it went and when the next try is."""
    endpoint = delivery.endpoint
    try:
        parts, port, found = addresses.check_url(endpoint.url)
    except addresses.Refused as e:
        delivery.mark_try_failed(f"Not sent: {e}")
        return "refused"
    timestamp = str(int(time.time()))
    headers = {
        "webhook-id": delivery.message_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": sign(endpoint.secret, delivery.message_id, timestamp, delivery.body),
        "content-type": "application/json",
        "user-agent": "Studio-Webhooks/1",
        # The connection goes to the address just checked, not to a second lookup of the name.
        "host": parts.netloc.rsplit("@", 1)[-1],
    }
    try:
        status, excerpt = _post(_pinned_url(parts, port, found[0]), headers, delivery.body, parts.hostname)
    except httpx.TimeoutException:
        delivery.mark_try_failed("Your endpoint took too long to answer.")
        return "timed out"
    except httpx.HTTPError as e:
        delivery.mark_try_failed(f"Could not reach your endpoint ({type(e).__name__}).")
        return "unreachable"
    if 200 <= status < 300:
        delivery.mark_delivered(status, excerpt)
        return "delivered"
    problem = "It redirected; redirects are not followed." if 300 <= status < 400 else f"It answered {status}."
    delivery.mark_try_failed(problem, status, excerpt)
    return "failed"


def _pinned_url(parts, port, address):
    host = f"[{address}]" if isinstance(address, ipaddress.IPv6Address) else str(address)
    return parts._replace(netloc=f"{host}:{port}", fragment="").geturl()


def _post(url, headers, body, hostname):
    timeout = httpx.Timeout(settings.WEBHOOKS_TIMEOUT, connect=min(3.0, settings.WEBHOOKS_TIMEOUT))
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        # sni_hostname: TLS is checked against the endpoint's own name, not the address.
        with client.stream(
            "POST", url, content=body.encode(), headers=headers, extensions={"sni_hostname": hostname}
        ) as response:
            excerpt = b""
            for chunk in response.iter_raw():
                excerpt += chunk
                if len(excerpt) >= EXCERPT_BYTES:
                    break
    return response.status_code, excerpt[:EXCERPT_BYTES].decode("utf-8", "replace")
