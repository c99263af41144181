"""Webhooks: creators' endpoints get signed Standard Webhooks deliveries when videos finish, retried
with growing gaps for a day, never sent to private, loopback or link-local addresses."""

import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from catalog.models import CatalogModel
from generations.models import Generation, Storyboard
from storyboards import boards as storyboards
from storyboards import export as storyboard_export
from tests.conftest import rerun_data_migration
from tests.generations.videos import make_generation, make_video
from webhooks import delivery, events
from webhooks.models import WebhookDelivery, WebhookEndpoint

INFO = {"bytes": 1000, "width": 1280, "height": 720, "seconds": 2.0}


class Receiver:
    """A tiny HTTP server on 127.0.0.1, as a creator's endpoint: records each request, answers `status`."""

    def __init__(self):
        self.received = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body.decode()))
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"ok" if receiver.status < 300 else b"broken " * 1000)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks/studio"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def _resolving(monkeypatch, answers):
    """Makes `host` resolve to the addresses in answers[host] (the machine has no DNS of its own)."""
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port or 0)) for a in answers[host]]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def _finish(gen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        gen.mark_completed(f"videos/test/{gen.pk}.mp4", f"posters/test/{gen.pk}.jpg", INFO)


def test_a_local_receiver_gets_video_completed_signed_and_verifiable(
    client, owner, receiver, sent, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    page = client.post(reverse("webhook_endpoints"), {"url": receiver.url, "events": ["video.completed"]}, follow=True)
    endpoint = WebhookEndpoint.objects.get(user=owner)
    assert endpoint.secret.startswith("whsec_") and endpoint.secret in page.content.decode()
    assert endpoint.secret not in client.get(reverse("webhook_endpoint", args=[endpoint.pk])).content.decode()

    gen = make_generation(owner, prompt="A heron lifting off the lake", status=Generation.Status.DOWNLOADING)
    _finish(gen, django_capture_on_commit_callbacks)
    failed = make_generation(owner, prompt="Not subscribed to failures")
    with django_capture_on_commit_callbacks(execute=True):
        failed.mark_failed("rejected", "The model would not make this.")
    assert len(sent) == 1  # only what the endpoint asked for
    assert delivery.deliver(sent[0]) == "delivered"

    headers, body = receiver.received[0]
    payload = Webhook(endpoint.secret).verify(body, headers)  # as a receiver would; raises if forged
    assert payload["type"] == "video.completed"
    assert payload["data"]["id"] == str(gen.pk) and payload["data"]["prompt"] == "A heron lifting off the lake"
    assert payload["data"]["seconds"] == 2.0
    assert headers["webhook-id"] == WebhookDelivery.objects.get().message_id
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(body.replace("heron", "crane"), headers)

    row = WebhookDelivery.objects.get()
    assert (row.status, row.attempts, row.response_status) == (WebhookDelivery.SUCCEEDED, 1, 200)
    shown = client.get(reverse("webhook_endpoint", args=[endpoint.pk])).content.decode()
    assert "video.completed" in shown and "Delivered" in shown and row.message_id in shown


def test_a_stitched_storyboard_export_is_delivered_signed_as_storyboard_exported(
    client, owner, receiver, sent, queue, media_root, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    form = client.get(reverse("webhook_endpoints")).content.decode()
    assert 'value="storyboard.exported"' in form  # the endpoint form offers it
    client.post(reverse("webhook_endpoints"), {"url": receiver.url, "events": ["storyboard.exported"]})
    endpoint = WebhookEndpoint.objects.get(user=owner)
    board = Storyboard.objects.create(user=owner, title="A walk through the dunes")
    wan = CatalogModel.objects.get(slug="wan")
    for prompt in ["A lantern lit on a dune", "The camera rises over the dunes"]:
        shot = storyboards.add_shot(board, prompt=prompt, model=wan, duration=2)
        storyboards.choose(shot, make_video(owner, prompt=prompt, shot=shot))  # a real stored MP4
    with django_capture_on_commit_callbacks(execute=True):
        export, made = storyboards.request_export(owner, board)
    assert made and sent == []  # asking is no event: the video is not made yet

    with django_capture_on_commit_callbacks(execute=True):
        assert storyboard_export.run(export.pk) == "ready"
    export.refresh_from_db()
    assert len(sent) == 1 and delivery.deliver(sent[0]) == "delivered"

    headers, body = receiver.received[0]
    payload = Webhook(endpoint.secret).verify(body, headers)  # as a receiver would; raises if forged
    assert payload["type"] == "storyboard.exported"
    data = payload["data"]
    assert data["storyboard"] == {"id": board.pk, "title": "A walk through the dunes", "size": "1280x720"}
    assert data["version"] == 1 and [p["prompt"] for p in data["parts"]] == [
        "A lantern lit on a dune",
        "The camera rises over the dunes",
    ]
    assert data["video"]["id"] == str(export.video_id) and data["video"]["status"] == "completed"
    assert (data["video"]["width"], data["video"]["height"]) == (1280, 720)
    assert abs(data["video"]["seconds"] - 2.0) < 0.2  # two one-second shots, cut
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(body.replace("dunes", "hills"), headers)
    row = WebhookDelivery.objects.get()
    assert (row.event, row.status, row.response_status) == ("storyboard.exported", WebhookDelivery.SUCCEEDED, 200)


def test_a_receiver_answering_500_gets_retries_with_growing_gaps_for_a_day(
    owner, receiver, sent, django_capture_on_commit_callbacks
):
    receiver.status = 500
    WebhookEndpoint.objects.create(user=owner, url=receiver.url, events=["video.failed"])
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        gen = make_generation(owner, prompt="A bridge in fog")
        with django_capture_on_commit_callbacks(execute=True):
            gen.mark_failed("rejected", "The model would not make this.")
        assert delivery.deliver(sent[0]) == "failed"
        row = WebhookDelivery.objects.get()
        tries = [timezone.now()]
        while row.status == WebhookDelivery.PENDING:
            clock.move_to(row.next_attempt_at - timedelta(seconds=1))
            assert delivery.send_due() == {}  # not due yet: nothing sent
            clock.move_to(row.next_attempt_at)
            assert delivery.send_due() == {"failed": 1}
            tries.append(timezone.now())
            row.refresh_from_db()

    gaps = [(b - a).total_seconds() for a, b in zip(tries, tries[1:])]
    assert gaps[:5] == [60, 120, 240, 480, 960]
    assert all(later >= earlier for earlier, later in zip(gaps, gaps[1:]))
    assert max(gaps) == 8 * 3600  # the gap stops growing at eight hours
    assert tries[-1] - start <= timedelta(days=1) < tries[-1] - start + timedelta(seconds=gaps[-1])
    assert (row.status, row.attempts, row.response_status) == (WebhookDelivery.FAILED, len(tries), 500)
    assert len(receiver.received) == len(tries)
    assert len(row.response_excerpt) == 500  # the answer is read only up to a cap
    assert {h["webhook-id"] for h, _ in receiver.received} == {row.message_id}  # the same message every time


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://localhost:8000/hook",
        "http://[::1]/hook",
        "http://192.168.1.20/hook",
        "http://hooks.example.com/hook",  # resolves to 127.0.0.1
        "http://mixed.example.com/hook",  # one public address, one private
    ],
)
def test_a_private_address_is_refused_at_registration(client, owner, monkeypatch, url):
    _resolving(monkeypatch, {"hooks.example.com": ["127.0.0.1"], "mixed.example.com": ["93.184.216.34", "10.1.2.3"]})
    client.force_login(owner)

    page = client.post(reverse("webhook_endpoints"), {"url": url, "events": ["video.completed"]})

    assert page.status_code == 200
    assert "private or local address" in page.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_plain_http_is_refused_when_the_studio_is_on_https(client, owner, settings, monkeypatch):
    settings.WEBHOOKS_REQUIRE_HTTPS = True
    _resolving(monkeypatch, {"hooks.example.com": ["93.184.216.34"]})
    client.force_login(owner)
    page = client.post(reverse("webhook_endpoints"), {"url": "http://hooks.example.com/", "events": ["video.failed"]})
    assert "Use an https:// address" in page.content.decode()
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("turns_into", ["127.0.0.1", "169.254.169.254", "10.0.0.1"])
def test_a_host_that_turns_private_after_registration_is_refused_at_delivery(
    client, owner, receiver, settings, monkeypatch, sent, turns_into, django_capture_on_commit_callbacks
):
    answers = {"hooks.example.com": ["93.184.216.34"]}
    _resolving(monkeypatch, answers)
    client.force_login(owner)
    url = f"http://hooks.example.com:{receiver.port}/hook"
    client.post(reverse("webhook_endpoints"), {"url": url, "events": ["video.completed"]})
    endpoint = WebhookEndpoint.objects.get()
    settings.WEBHOOKS_ALLOW_LOOPBACK = False
    answers["hooks.example.com"] = [turns_into]

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("webhook_send_test", args=[endpoint.pk]))
    assert delivery.deliver(sent[0]) == "refused"

    assert receiver.received == []
    row = WebhookDelivery.objects.get()
    assert row.status == WebhookDelivery.PENDING and row.next_attempt_at > timezone.now()
    assert "private or local address" in client.get(reverse("webhook_endpoint", args=[endpoint.pk])).content.decode()


def test_a_delivery_goes_to_the_address_that_was_checked(
    client, owner, receiver, monkeypatch, sent, django_capture_on_commit_callbacks
):
    _resolving(monkeypatch, {"hooks.example.com": ["127.0.0.1"]})
    client.force_login(owner)
    client.post(
        reverse("webhook_endpoints"),
        {
            "url": f"http://hooks.example.com:{receiver.port}/hook",
            "events": ["video.completed"],
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("webhook_send_test", args=[WebhookEndpoint.objects.get().pk]))
    assert delivery.deliver(sent[0]) == "delivered"
    headers, _ = receiver.received[0]
    assert headers["host"] == f"hooks.example.com:{receiver.port}"


def test_send_a_test_event_and_resend_it_from_the_endpoints_page(
    client, owner, outsider, receiver, sent, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    client.post(reverse("webhook_endpoints"), {"url": receiver.url, "events": ["video.completed", "video.failed"]})
    endpoint = WebhookEndpoint.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("webhook_send_test", args=[endpoint.pk]))
    delivery.deliver(sent[-1])
    row = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("webhook_resend", args=[endpoint.pk, row.pk]))
    assert delivery.deliver(sent[-1]) == "delivered"

    assert [json.loads(body)["type"] for _, body in receiver.received] == ["webhook.test", "webhook.test"]
    assert {h["webhook-id"] for h, _ in receiver.received} == {row.message_id}
    row.refresh_from_db()
    assert row.attempts == 2 and row.status == WebhookDelivery.SUCCEEDED

    client.force_login(outsider)
    assert client.get(reverse("webhook_endpoint", args=[endpoint.pk])).status_code == 404
    assert client.post(reverse("webhook_resend", args=[endpoint.pk, row.pk])).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("webhook_send_test", args=[endpoint.pk])).status_code == 404
    assert client.post(reverse("webhook_delete", args=[endpoint.pk])).status_code == 404
    assert len(sent) == 2 and WebhookEndpoint.objects.exists()


def test_retries_are_picked_up_every_minute_by_a_schedule_the_migration_made(db):
    Schedule.objects.filter(name="webhook-deliveries").delete()
    rerun_data_migration("webhooks", "0001_endpoints_and_deliveries")
    schedule = Schedule.objects.get(name="webhook-deliveries")
    assert (schedule.func, schedule.schedule_type, schedule.minutes, schedule.repeats) == (
        "webhooks.tasks.send_due",
        Schedule.MINUTES,
        1,
        -1,
    )


def test_test_events_are_limited_to_a_few_a_minute(client, owner, receiver, sent, django_capture_on_commit_callbacks):
    client.force_login(owner)
    client.post(reverse("webhook_endpoints"), {"url": receiver.url, "events": ["video.failed"]})
    endpoint = WebhookEndpoint.objects.get()
    for _ in range(6):
        with django_capture_on_commit_callbacks(execute=True):
            page = client.post(reverse("webhook_send_test", args=[endpoint.pk]), follow=True)
    assert "5 test events in the last minute: wait a minute" in page.content.decode()
    assert len(sent) == WebhookDelivery.objects.count() == 5


def test_trouble_recording_an_event_never_stops_the_video(
    owner, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    WebhookEndpoint.objects.create(user=owner, url=receiver.url, events=["video.completed"])
    monkeypatch.setattr(events, "video_data", lambda gen: 1 / 0)
    gen = make_generation(owner, prompt="A heron", status=Generation.Status.DOWNLOADING)

    with django_capture_on_commit_callbacks(execute=True):
        assert gen.mark_completed(f"videos/test/{gen.pk}.mp4", f"posters/test/{gen.pk}.jpg", INFO)

    gen.refresh_from_db()
    assert gen.status == Generation.Status.COMPLETED and not WebhookDelivery.objects.exists()
