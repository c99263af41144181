"""A Pro creator compares three models from the dashboard: the confirm step shows each take as it will be
made and the total, one click makes them, and the comparison's page fills in as the sandbox finishes
them; then one play/pause and one seek bar keep every take in step. Real Chromium, the real web server,
a real django-q2 cluster and the sandbox over HTTP, at laptop and phone size."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from generations.models import Comparison
from tests.browser.conftest import fits_the_screen, no_axe_violations, shoot
from tests.conftest import verified, with_credits

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("size", ["laptop", "phone"])]

PROMPT = "A paper kite over a windy beach"
SPREAD = """() => {
  const times = [...document.querySelectorAll('#takes video.take-video')].map(v => v.currentTime);
  return Math.max(...times) - Math.min(...times);
}"""


def looks_right(page, artifacts, name):
    assert fits_the_screen(page), f"{name} scrolls sideways"
    no_axe_violations(page)
    shoot(page, artifacts, name)


def test_compare_three_models_and_play_them_in_step(
    live_server, cluster, page, phone_page, log_in, settings, artifacts, size
):
    settings.PIXAPI_SANDBOX_SECONDS = 2
    page = page if size == "laptop" else phone_page
    user = User.objects.create_user(
        username="kit", email="kit@example.com", password="x", display_name="Kit", **verified()
    )
    with_credits(user, amount=1000, plan="pro")
    log_in(page, user)
    page.goto(f"{live_server.url}/")
    page.wait_for_load_state("load")

    page.get_by_label("Describe your video").fill(PROMPT)
    with page.expect_response(lambda r: "/create/options/" in r.url):
        page.get_by_label("Length", exact=True).select_option(label="4 seconds")
    page.locator("#compare-box summary").click()
    for name in ("Veo", "Wan", "Kling"):
        page.locator("#compare-box").get_by_label(re.compile(name)).check()
    looks_right(page, artifacts, f"compare-{size}-1-form")
    page.get_by_role("button", name="See the takes and the total").click()

    panel = page.locator("#compare-confirm")
    expect(panel.locator(".compare-row")).to_have_count(3)
    expect(panel).to_contain_text("Kling")
    expect(panel).to_contain_text("5 s")  # Kling makes 5 or 10 seconds: the nearest to 4
    expect(panel.locator("#compare-total")).to_contain_text("credits")
    panel.scroll_into_view_if_needed()
    looks_right(page, artifacts, f"compare-{size}-2-confirm")
    page.get_by_role("button", name="Make 3 takes").click()

    expect(page).to_have_url(re.compile(r"/compare/\d+/$"))
    comparison = Comparison.objects.get(user=user)
    assert comparison.takes.count() == 3
    expect(page.locator("#takes .take")).to_have_count(3)
    looks_right(page, artifacts, f"compare-{size}-3-filling-in")

    # The page's one poller swaps each take in as the sandbox finishes it.
    expect(page.locator("#takes video.take-video")).to_have_count(3, timeout=90_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('#takes video.take-video')].every(v => v.readyState >= 2)",
        timeout=20_000,
    )
    for take in comparison.takes.all():
        expect(page.locator(f"#take-{take.pk}")).to_contain_text("made in")
    assert not page.console_errors, page.console_errors

    if size == "phone":
        # One at a time: playing a take pauses the others.
        buttons = page.get_by_role("button", name=re.compile("Play the .* take"))
        buttons.nth(1).click()
        page.wait_for_function("() => document.querySelectorAll('#takes video.take-video')[1].currentTime > 0.2")
        buttons.nth(0).click()
        page.wait_for_function("() => document.querySelectorAll('#takes video.take-video')[0].currentTime > 0.2")
        playing = page.evaluate(
            "[...document.querySelectorAll('#takes video.take-video')].filter(v => !v.paused).length"
        )
        assert playing == 1

    # In step: play all, seek to 1.0 s, pause.
    play = page.locator("#play-all")
    expect(play).to_be_enabled()
    if size == "phone":
        page.evaluate("document.querySelectorAll('#takes video.take-video').forEach(v => v.pause())")
        expect(play).to_have_text("Play")
    play.click()
    expect(play).to_have_text(re.compile("Pause"))
    page.wait_for_timeout(600)
    seek = page.locator("#seek-all")
    seek.evaluate("(s) => { s.value = '1.0'; s.dispatchEvent(new Event('input', {bubbles: true})); }")
    page.wait_for_timeout(300)
    play.click()
    expect(play).to_have_text(re.compile("Play"))
    page.wait_for_function(
        "() => [...document.querySelectorAll('#takes video.take-video')].every(v => v.paused && !v.seeking)"
    )
    assert page.evaluate(SPREAD) <= 0.1
    times = page.evaluate("[...document.querySelectorAll('#takes video.take-video')].map(v => v.currentTime)")
    assert all(0.9 <= t <= 1.8 for t in times), times

    # Its own sound, per take.
    sound = page.locator("[data-take-sound]").first
    sound.click()
    expect(sound).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("document.querySelector('#takes video.take-video').muted") is False
    looks_right(page, artifacts, f"compare-{size}-4-ready")

    # The grid shared: a link anyone may open, showing the finished takes and nothing private.
    page.get_by_role("button", name="Make a share link").click()
    link = page.get_by_label("Share link").input_value()
    assert "/c/" in link
    page.goto(link)
    expect(page.locator("#takes video.take-video")).to_have_count(3)
    expect(page.locator("body")).not_to_contain_text(PROMPT)
    looks_right(page, artifacts, f"compare-{size}-5-shared")
    assert not page.console_errors, page.console_errors
