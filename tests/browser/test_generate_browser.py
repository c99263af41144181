"""A new creator signs up, writes a prompt and watches their video appear and play: real Chromium,
the real web server, a real django-q2 cluster and the sandbox over HTTP."""

import re

import pytest
from playwright.sync_api import expect

from generations.models import Generation
from sandbox import stats
from tests.browser.conftest import fits_the_screen, sign_up_and_verify

pytestmark = pytest.mark.browser


def test_sign_up_generate_and_watch_it_play(live_server, cluster, page, settings, artifacts, mailoutbox):
    settings.PIXAPI_SANDBOX_SECONDS = 4
    stats.reset()
    polls = []
    page.on(
        "response",
        lambda r: (
            "/generations/poll/" in r.url
            and polls.append((r.status, r.request.headers.get("x-poller-seen", ""), r.url))
        ),
    )
    sign_up_and_verify(page, live_server, mailoutbox, "Grace Hopper", "grace@example.com", "compile-the-future-1952")

    expect(page.get_by_text("Your videos will appear here")).to_be_visible()
    page.get_by_label("Describe your video").fill("A paper boat drifting down a rainy street")
    with page.expect_response(lambda r: "/create/options/" in r.url):  # the form now offers Wan's lengths
        page.get_by_label("Model").select_option(label="Wan")
    expect(page.get_by_label("Length")).to_contain_text("2 seconds")
    with page.expect_response(lambda r: "/create/options/" in r.url):
        page.get_by_label("Length").select_option(label="2 seconds")
    expect(page.locator("#cost")).to_contain_text("4 credits")
    with page.expect_response(lambda r: "/create/options/" in r.url):
        page.get_by_label("Shape").select_option("720x1280")
    page.get_by_role("button", name="Generate video").click()

    card = page.get_by_role("article", name=re.compile("A paper boat drifting"))
    expect(card).to_be_visible()
    expect(page.get_by_text("Your videos will appear here")).to_be_hidden()
    progress = card.get_by_role("progressbar", name="Progress of this video")
    expect(progress).to_be_visible()
    page.screenshot(path=artifacts / "dashboard-generating-laptop.png", full_page=True, caret="initial")

    video = card.locator("video")
    expect(video).to_be_visible(timeout=60_000)
    page.wait_for_function("v => v.readyState >= 2 && v.duration > 0", arg=video.element_handle(), timeout=20_000)
    duration = video.evaluate("v => v.duration")
    assert abs(duration - 2) <= 0.2
    size = video.evaluate("v => [v.videoWidth, v.videoHeight]")
    assert size == [720, 1280]
    # It really plays: time moves.
    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function("v => v.currentTime > 0.3", arg=video.element_handle(), timeout=10_000)
    expect(page.locator("#notices")).to_contain_text("Your video is ready")
    page.screenshot(path=artifacts / "dashboard-ready-laptop.png", full_page=True, caret="initial")

    gen = Generation.objects.get(user__email="grace@example.com")
    assert gen.status == Generation.Status.COMPLETED
    # While it rendered, the poller asked every second with its token; "nothing new" came back as
    # 204 from the cache alone, and the answers with news named the card the page already had.
    assert any(status == 204 and seen.startswith(f"{gen.user_id}:") for status, seen, _ in polls), polls
    assert any(status == 200 and f"have={gen.pk}" in url for status, _, url in polls), polls
    assert gen.result_url not in page.content()  # Pixapi's own URL never reaches the page
    assert stats.snapshot()["routes"]["submit_video"] == 1
    assert page.console_errors == [], page.console_errors


def test_two_tabs_and_a_reload_agree(live_server, cluster, page, log_in, owner, settings):
    settings.PIXAPI_SANDBOX_SECONDS = 1
    log_in(page, owner)
    other = page.context.new_page()
    page.goto(f"{live_server.url}/")
    other.goto(f"{live_server.url}/")

    page.get_by_label("Describe your video").fill("Fireflies over a meadow at night")
    page.get_by_label("Model").select_option(label="Wan")
    page.get_by_label("Length").select_option(label="2 seconds")
    page.get_by_role("button", name="Generate video").click()
    expect(page.get_by_role("article", name=re.compile("Fireflies over a meadow"))).to_be_visible()
    page.get_by_label("Describe your video").fill("Snow falling on a quiet village")
    page.get_by_role("button", name="Generate video").click()

    for tab in (page, other):
        for words in ("Fireflies over a meadow", "Snow falling on a quiet village"):
            card = tab.get_by_role("article", name=re.compile(words))
            expect(card.locator("video")).to_be_visible(timeout=60_000)
    page.reload()
    expect(page.get_by_role("article")).to_have_count(2)
    assert Generation.objects.filter(user=owner, status=Generation.Status.COMPLETED).count() == 2


def test_a_double_click_makes_one_video(live_server, cluster, page, log_in, owner):
    log_in(page, owner)
    page.goto(f"{live_server.url}/")
    page.get_by_label("Describe your video").fill("A kite over the dunes")
    page.get_by_role("button", name="Generate video").dblclick()
    expect(page.get_by_role("article", name=re.compile("A kite over the dunes"))).to_have_count(1)
    page.wait_for_timeout(500)
    assert Generation.objects.filter(user=owner).count() == 1


def test_the_dashboard_on_a_phone(live_server, phone_page, log_in, owner, artifacts):
    log_in(phone_page, owner)
    phone_page.goto(f"{live_server.url}/")
    expect(phone_page.get_by_role("heading", name="Create a video")).to_be_visible()
    phone_page.wait_for_load_state("load")  # dashboard.js shows the notifications button by then
    assert fits_the_screen(phone_page)
    phone_page.screenshot(path=artifacts / "dashboard-phone.png", full_page=True, caret="initial")
