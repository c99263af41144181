"""Sending webhook deliveries, in the worker: signed as Standard Webhooks says, a deadline on the whole
try, no redirects followed, the answer read only up to a small cap, retried with doubling gaps for a day.
At most WEBHOOKS_AT_ONCE tries run at once across the clusters, so slow endpoints never take every worker.

deliver(id):  one try of one delivery, when it is due (the task enqueued when the event happened).
send_due():   every due delivery (the minutely schedule): retries, and any whose message was lost.
"""

import base64
import hashlib
import hmac
import ipaddress
import logging
import time

import httpcore
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
    if delivery is None:
        return "not due"
    if not delivery.claim():
        # Still due, but as many tries as allowed are running: the next round of send_due takes it.
        return "busy" if WebhookDelivery.objects.due(timezone.now()).filter(pk=delivery_id).exists() else "not due"
    return attempt(delivery)


def send_due(now=None):
    """Due deliveries, one after another, for at most SEND_DUE_SECONDS (well inside the task's time-out):
    what is left is still due at the next run, a minute later."""
    now = now or timezone.now()
    WebhookDelivery.objects.give_up_stale(now)
    ids = list(
        WebhookDelivery.objects.due(now).order_by("next_attempt_at").values_list("pk", flat=True)[:SEND_DUE_BATCH]
    )
    results: dict[str, int] = {}
    stop_at = time.monotonic() + SEND_DUE_SECONDS
    for pk in ids:
        if time.monotonic() > stop_at:
            break
        result = deliver(pk)
        results[result] = results.get(result, 0) + 1
        if result == "busy":
            break  # every slot is taken: the rest wait for the next round
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
        # Several signatures, space-separated, while a rotated secret's grace period lasts.
        "webhook-signature": " ".join(
            sign(secret, delivery.message_id, timestamp, delivery.body) for secret in endpoint.signing_secrets()
        ),
        "content-type": "application/json",
        "user-agent": "Studio-Webhooks/1",
        # The connection goes to the address just checked, not to a second lookup of the name.
        "host": parts.netloc.rsplit("@", 1)[-1],
    }
    try:
        status, excerpt = _post(_pinned_url(parts, port, found[0]), headers, delivery.body, parts.hostname)
    except httpcore.TimeoutException:
        seconds = settings.WEBHOOKS_DEADLINE_SECONDS
        delivery.mark_try_failed(
            f"Your endpoint did not answer in full within {seconds:g} second{'' if seconds == 1 else 's'}."
        )
        return "timed out"
    except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol) as e:
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
    """POSTs once, through httpcore so that every connect, read and write is held to one deadline.
    (httpx's time-outs apply to each read: a receiver sending a byte every few seconds never trips them.)"""
    read = settings.WEBHOOKS_TIMEOUT
    timeouts = {"connect": min(3.0, read), "read": read, "write": read, "pool": read}
    content = body.encode()
    backend = _Deadline(settings.WEBHOOKS_DEADLINE_SECONDS)
    with httpcore.ConnectionPool(ssl_context=httpx.create_ssl_context(), network_backend=backend) as pool:
        with pool.stream(
            "POST",
            url,
            headers=[*headers.items(), ("content-length", str(len(content)))],
            content=content,
            # sni_hostname: TLS is checked against the endpoint's own name, not the address.
            extensions={"timeout": timeouts, "sni_hostname": hostname},
        ) as response:
            excerpt = b""
            for chunk in response.iter_stream():
                excerpt += chunk
                if len(excerpt) >= EXCERPT_BYTES:
                    break
    return response.status, excerpt[:EXCERPT_BYTES].decode("utf-8", "replace")


class _Deadline(httpcore.NetworkBackend):
    """Connections whose every wait is cut to the time left before one deadline."""

    def __init__(self, seconds):
        self.at = time.monotonic() + seconds
        self.backend = httpcore.SyncBackend()

    def left(self, timeout, error):
        left = self.at - time.monotonic()
        if left <= 0:
            raise error("The deadline of the try has passed.")
        return left if timeout is None else min(timeout, left)

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        stream = self.backend.connect_tcp(
            host, port, self.left(timeout, httpcore.ConnectTimeout), local_address, socket_options
        )
        return _DeadlineStream(stream, self)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream, deadline):
        self.stream, self.deadline = stream, deadline

    def read(self, max_bytes, timeout=None):
        return self.stream.read(max_bytes, self.deadline.left(timeout, httpcore.ReadTimeout))

    def write(self, buffer, timeout=None):
        return self.stream.write(buffer, self.deadline.left(timeout, httpcore.WriteTimeout))

    def close(self):
        self.stream.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        left = self.deadline.left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self.stream.start_tls(ssl_context, server_hostname, left), self.deadline)

    def get_extra_info(self, info):
        return self.stream.get_extra_info(info)
