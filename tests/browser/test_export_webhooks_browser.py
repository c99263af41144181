"""In a real browser: a creator exports their library as a ZIP, and registers a webhook endpoint,
copies its secret, sends a test event and sees its delivery logged."""

import io
import json
import zipfile

import pytest
from playwright.sync_api import expect
from standardwebhooks.webhooks import Webhook

from tests.generations.videos import make_video
from tests.webhooks.test_webhooks import Receiver
from webhooks import delivery, events

pytestmark = pytest.mark.browser


def test_export_the_library_as_a_zip(live_server, page, log_in, owner, media_root, artifacts):
    prompts = {make_video(owner, prompt=f"A lighthouse at dusk, take {i}").prompt for i in range(3)}
    log_in(page, owner)
    page.goto(f"{live_server.url}/library/")
    page.screenshot(path=artifacts / "library-export.png")
    with page.expect_download() as download:
        page.get_by_role("button", name="Export your library (ZIP)").click()
    assert download.value.suggested_filename.startswith("studio-library-")
    archive = zipfile.ZipFile(io.BytesIO(open(download.value.path(), "rb").read()))
    sidecars = [json.loads(archive.read(n)) for n in archive.namelist() if n.endswith("/video.json")]
    assert {s["prompt"] for s in sidecars} == prompts
    assert page.console_errors == []


def test_register_an_endpoint_and_send_it_a_test_event(
    live_server, page, log_in, owner, settings, monkeypatch, artifacts
):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    monkeypatch.setattr(events, "_send", delivery.deliver)  # the cluster's part, done at once
    receiver = Receiver()
    try:
        log_in(page, owner)
        page.goto(f"{live_server.url}/accounts/profile/")
        page.get_by_role("link", name="Your webhook endpoints").click()
        page.get_by_label("Endpoint URL").fill("http://10.0.0.1/hooks")
        page.get_by_label("A video is ready").check()
        page.get_by_role("button", name="Add endpoint").click()
        expect(page.get_by_text("private or local address")).to_be_visible()
        page.screenshot(path=artifacts / "webhook-refused.png", full_page=True)

        page.get_by_label("Endpoint URL").fill(receiver.url)
        page.get_by_role("button", name="Add endpoint").click()
        secret = page.get_by_label("Signing secret", exact=True).input_value()
        assert secret.startswith("whsec_")
        page.screenshot(path=artifacts / "webhook-secret.png", full_page=True)
        page.get_by_role("button", name="Send a test event").click()
        expect(page.get_by_role("cell", name="Delivered")).to_be_visible()
        page.screenshot(path=artifacts / "webhook-endpoint.png", full_page=True)
        assert page.console_errors == []
        headers, body = receiver.received[0]
        assert Webhook(secret).verify(body, headers)["type"] == "webhook.test"

        page.reload()  # shown once
        expect(page.get_by_label("Signing secret", exact=True)).to_have_count(0)
    finally:
        receiver.server.shutdown()
