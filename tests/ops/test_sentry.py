"""Errors reach a Sentry-compatible service (a local stand-in speaking its HTTP protocol), and nothing
of the creator's goes with them: no prompt, email address, token or cookie."""

import gzip
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sentry_sdk
from django.urls import reverse

from config import sentry
from studio import views as studio_views

TOKEN = "st_abcdefghijklmnopqrstuvwxyz0123456789"


class Collector(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        Collector.received.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def sentry_stand_in():
    Collector.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sentry.start(f"http://publickey@127.0.0.1:{server.server_port}/1", environment="test")
    yield Collector.received
    sentry_sdk.init()  # no DSN: nothing is sent any more
    server.shutdown()


def test_an_error_in_a_view_is_sent_without_anything_of_the_creators(client, owner, sentry_stand_in, monkeypatch):
    def broken(user, **asked):
        raise RuntimeError(f"Could not start the video of {user.email} (token {TOKEN})")

    monkeypatch.setattr(studio_views, "start_generation", broken)
    client.force_login(owner)
    client.raise_request_exception = False
    response = client.post(
        reverse("create"),
        {"prompt": "Mara on the secret rooftop at dusk", "model": "wan", "duration": 5, "size": "1280x720"},
        HTTP_AUTHORIZATION=f"Bearer {TOKEN}",
    )
    assert response.status_code == 500
    sentry_sdk.flush(timeout=10)

    sent = b"".join(sentry_stand_in).decode(errors="replace")
    assert "RuntimeError" in sent and "Could not start the video of" in sent
    for private in ("secret rooftop", owner.email, TOKEN, "sessionid", client.cookies["sessionid"].value):
        assert private not in sent, private


def test_the_scrubber_blots_addresses_and_tokens_in_any_string():
    event = {
        "message": f"ada@example.com used {TOKEN}",
        "extra": {"prompt": "a private prompt", "nested": ["bob@example.org"]},
        "user": {"email": "ada@example.com"},
        "request": {
            "data": {"prompt": "x"},
            "cookies": {"sessionid": "s"},
            "headers": {"Cookie": "s", "Accept": "*/*"},
        },
    }
    scrubbed = sentry.scrub(event)
    assert scrubbed["message"] == "[removed] used [removed]"
    assert scrubbed["extra"] == {"prompt": "[removed]", "nested": ["[removed]"]}
    assert "user" not in scrubbed
    assert scrubbed["request"] == {"headers": {"Accept": "*/*"}}
