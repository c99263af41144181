"""A receiver that answers slowly, or a try that never finishes, holds no worker for long and is not
tried forever; test events and resends are limited per creator; only a few deliveries run at once."""

import socket
import threading
import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from webhooks import delivery
from webhooks.models import WebhookDelivery, WebhookEndpoint

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Padding: " + b"." * 40 + b"\r\n\r\nok"


class Trickler:
    """An endpoint on 127.0.0.1 that reads the request and then answers one byte every 0.3 s."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/hook"
        self.stopped = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                for byte in ANSWER:
                    if self.stopped.wait(0.3):
                        return
                    try:
                        conn.sendall(bytes([byte]))
                    except OSError:
                        break

    def stop(self):
        self.stopped.set()
        self.listener.close()


@pytest.fixture
def trickler(settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    handle = Trickler()
    yield handle
    handle.stop()


def _due_delivery(endpoint, **fields):
    now = timezone.now()
    values = {"next_attempt_at": now, "give_up_at": now + timedelta(days=1), **fields}
    return WebhookDelivery.objects.create(endpoint=endpoint, event="webhook.test", body="{}", **values)


def test_a_receiver_trickling_its_answer_is_cut_off_at_the_deadline(owner, trickler, settings):
    settings.WEBHOOKS_DEADLINE_SECONDS = 1.0
    endpoint = WebhookEndpoint.objects.create(user=owner, url=trickler.url, events=["video.completed"])
    row = _due_delivery(endpoint)

    started = time.monotonic()
    assert delivery.deliver(row.pk) == "timed out"
    assert time.monotonic() - started < 2.5  # not the 14 s the whole answer takes

    row.refresh_from_db()
    assert (row.status, row.attempts, row.lease_until) == (WebhookDelivery.PENDING, 1, None)
    assert row.error == "Your endpoint did not answer in full within 1 second."
    assert row.next_attempt_at == row.last_attempt_at + timedelta(seconds=60)


def test_the_lease_outlasts_the_task_time_out(owner, settings):
    endpoint = WebhookEndpoint.objects.create(user=owner, url="http://127.0.0.1:9/hook", events=["video.completed"])
    row = _due_delivery(endpoint)
    assert row.claim()
    taken_for = (row.lease_until - row.last_attempt_at).total_seconds()
    assert taken_for > settings.Q_CLUSTER["timeout"]


def test_a_delivery_whose_tries_never_finish_is_given_up_at_its_time(owner, receiver):
    endpoint = WebhookEndpoint.objects.create(user=owner, url=receiver.url, events=["video.completed"])
    past = timezone.now() - timedelta(minutes=5)
    # Its last try's worker was killed: the lease ran out, and so did its day of tries.
    row = _due_delivery(
        endpoint, attempts=30, give_up_at=past, next_attempt_at=past - timedelta(hours=1), lease_until=past
    )

    assert delivery.send_due() == {}
    assert delivery.deliver(row.pk) == "not due"

    assert receiver.received == []
    row.refresh_from_db()
    assert (row.status, row.attempts, row.next_attempt_at) == (WebhookDelivery.FAILED, 30, None)
    assert row.error == "No try finished within a day; gave up."


def test_test_events_and_resends_are_limited_per_creator(client, owner, receiver, settings, sent):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "webhook_send": "3/h"}
    client.force_login(owner)
    first, second = (
        WebhookEndpoint.objects.create(user=owner, url=receiver.url, events=["video.failed"]) for _ in range(2)
    )
    row = _due_delivery(first, status=WebhookDelivery.FAILED)
    answers = [
        client.post(reverse("webhook_send_test", args=[first.pk])),
        client.post(reverse("webhook_send_test", args=[second.pk])),  # another endpoint: the same creator
        client.post(reverse("webhook_resend", args=[first.pk, row.pk])),
        client.post(reverse("webhook_send_test", args=[second.pk])),
        client.post(reverse("webhook_resend", args=[first.pk, row.pk])),
    ]

    assert [a.status_code for a in answers] == [302, 302, 302, 429, 429]
    assert "You have sent many test events and resends in a short time." in answers[-1].content.decode()
    assert WebhookDelivery.objects.filter(event="webhook.test").count() == 3  # two tests and the first row


def test_no_more_than_the_cap_of_deliveries_run_at_once(owner, receiver, settings):
    settings.WEBHOOKS_AT_ONCE = 2
    endpoint = WebhookEndpoint.objects.create(user=owner, url=receiver.url, events=["video.completed"])
    busy = [_due_delivery(endpoint) for _ in range(2)]
    waiting = _due_delivery(endpoint)
    assert all(row.claim() for row in busy)  # two workers are sending right now

    assert delivery.deliver(waiting.pk) == "busy"
    assert delivery.send_due() == {"busy": 1}
    waiting.refresh_from_db()
    assert (waiting.status, waiting.attempts, receiver.received) == (WebhookDelivery.PENDING, 0, [])

    busy[0].mark_delivered(200, "ok")  # one finished: a slot is free
    assert delivery.deliver(waiting.pk) == "delivered"
