"""A Free creator asks for four videos: two are made at once, two wait and say so. On the Queue page they
pause the queue, reorder it (buttons, and a drag on a laptop), change one (the cost difference shown
before saving), cancel one, resume, and watch the rest play: real Chromium, the real web server, a real
django-q2 cluster and the sandbox over HTTP, at laptop and phone size."""

import re

import pytest
from playwright.sync_api import expect

from accounts import credits
from accounts.models import User
from generations.models import Generation
from tests.browser.conftest import fits_the_screen, no_axe_violations, settled, shoot
from tests.conftest import verified

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("size", ["laptop", "phone"])]

PROMPTS = [
    "A lighthouse in a storm",
    "Bees over a lavender field",
    "A tram crossing a bridge at dawn",
    "Koi turning in a green pond",
]
Status = Generation.Status


def looks_right(page, artifacts, name):
    assert fits_the_screen(page), f"{name} scrolls sideways"
    no_axe_violations(page)
    shoot(page, artifacts, name)


def ask_for(page, prompt):
    page.get_by_label("Describe your video").fill(prompt)
    page.get_by_role("button", name="Generate video").click()
    expect(page.get_by_role("article", name=re.compile(prompt))).to_be_visible()


def line(page):
    return page.locator("#queue-line .queue-prompt")


def test_queue_four_change_the_waiting_ones_and_watch_the_rest_play(
    live_server, cluster, page, phone_page, log_in, settings, artifacts, size
):
    settings.PIXAPI_SANDBOX_SECONDS = 10  # long enough to change the waiting ones while two are made (at most
    # ten times the sweeper's first look in the tests, so that look sees them under way)
    page = page if size == "laptop" else phone_page
    user = User.objects.create_user(
        username="fern", email="fern@example.com", password="x", display_name="Fern", **verified()
    )
    credits.welcome(user)  # the Free plan: two at once, Wan, up to 8 seconds of 720p
    log_in(page, user)
    page.goto(f"{live_server.url}/")
    page.wait_for_load_state("load")
    with page.expect_response(lambda r: "/create/options/" in r.url):
        page.get_by_label("Length").select_option(label="2 seconds")
    expect(page.locator("#cost")).to_contain_text("4 credits")
    for prompt in PROMPTS:
        ask_for(page, prompt)

    # Two are being made, two wait and say why, and where they are in line.
    waiting_cards = page.locator("article.status-waiting")
    expect(waiting_cards).to_have_count(2)
    expect(waiting_cards.first).to_contain_text("Waiting: starts when one of your 2 running videos finishes.")
    third = page.get_by_role("article", name=re.compile(PROMPTS[2]))
    expect(third).to_contain_text("Next in your line")
    expect(page.get_by_role("article", name=re.compile(PROMPTS[3]))).to_contain_text("2nd in your line")
    looks_right(page, artifacts, f"queue-dashboard-waiting-{size}")

    # Moved up from its card: the card says its new place, and the other card follows (the poller).
    page.get_by_role("button", name=f"Move up: {PROMPTS[3]}").click()
    expect(page.get_by_role("article", name=re.compile(PROMPTS[3]))).to_contain_text("Next in your line")
    expect(third).to_contain_text("2nd in your line")

    # The queue: paused while the creator changes their mind, so nothing starts under their fingers.
    if size == "phone":
        page.get_by_text("Menu", exact=True).click()  # the links are one tap away
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Queue").click()
    expect(page.get_by_role("heading", name="Your queue")).to_be_visible()
    expect(line(page)).to_have_text([PROMPTS[3], PROMPTS[2]])
    page.get_by_role("button", name="Pause the whole queue").click()
    expect(page.get_by_role("button", name="Resume the queue")).to_be_visible()
    settings.PIXAPI_SANDBOX_SECONDS = 2  # the changed one, made after the two: it need not take long
    expect(page.locator("#queue-line")).to_contain_text("Your queue is paused, so nothing of yours starts")

    # Reorder with the keyboard: the last one moves up, and keeps the focus.
    settled(page)
    page.get_by_role("button", name=f"Move up: {PROMPTS[2]}").focus()
    page.keyboard.press("Enter")
    expect(line(page)).to_have_text([PROMPTS[2], PROMPTS[3]])
    expect(page.get_by_role("button", name=f"Move up: {PROMPTS[2]}")).to_be_focused()
    if size == "laptop":  # and back with a drag
        with page.expect_response(lambda r: "/queue/reorder/" in r.url):
            page.locator(".queue-item").nth(1).drag_to(
                page.locator(".queue-item").nth(0), target_position={"x": 40, "y": 5}
            )
    else:
        page.get_by_role("button", name=f"Move down: {PROMPTS[2]}").click()
    expect(line(page)).to_have_text([PROMPTS[3], PROMPTS[2]])
    waiting_now = Generation.objects.filter(user=user, status=Status.WAITING).order_by("queue_position")
    assert [g.prompt for g in waiting_now] == [PROMPTS[3], PROMPTS[2]]
    looks_right(page, artifacts, f"queue-page-{size}")

    # Change one: the cost difference shows before saving.
    page.get_by_role("link", name=f"Edit: {PROMPTS[2]}").click()
    expect(page.get_by_role("heading", name="Change a waiting video")).to_be_visible()
    page.wait_for_load_state("load")
    expect(page.locator("#cost-change")).to_contain_text("This costs the same: 4 credits.")
    with page.expect_response(lambda r: "/edit/" in r.url and r.request.method == "GET"):
        page.get_by_label("Length").select_option(label="3 seconds")
    expect(page.locator("#cost-change")).to_contain_text("This costs 2 credits more: 6 instead of 4.")
    page.get_by_label("Describe your video").fill("A tram crossing a bridge at dusk")
    looks_right(page, artifacts, f"queue-edit-{size}")
    page.get_by_role("button", name="Save the changes").click()
    expect(page.get_by_role("heading", name="Your queue")).to_be_visible()
    expect(page.get_by_text("Changed. It costs 6 credits now")).to_be_visible()
    expect(line(page)).to_have_text([PROMPTS[3], "A tram crossing a bridge at dusk"])

    # Cancel one, with a question first; its credits come back at once.
    before = credits.balance_of(user)
    page.locator(".queue-item", has_text=PROMPTS[3]).locator("summary").click()
    expect(page.get_by_text("Cancel this video? Its 4 credits come back to you at once.")).to_be_visible()
    looks_right(page, artifacts, f"queue-cancel-question-{size}")
    page.get_by_role("button", name="Yes, cancel it").click()
    expect(line(page)).to_have_text(["A tram crossing a bridge at dusk"])
    assert credits.balance_of(user) == before + 4
    expect(page.locator("#credit-balance")).to_contain_text(f"{int(before + 4)} credits")

    page.get_by_role("button", name="Resume the queue").click()
    expect(page.get_by_role("button", name="Pause the whole queue")).to_be_visible()

    # The rest play: the two made first, then the changed one.
    page.goto(f"{live_server.url}/")
    for prompt in (PROMPTS[0], PROMPTS[1], "A tram crossing a bridge at dusk"):
        video = page.get_by_role("article", name=re.compile(prompt)).locator("video")
        expect(video).to_be_visible(timeout=90_000)
        page.wait_for_function("v => v.readyState >= 2 && v.duration > 0", arg=video.element_handle(), timeout=20_000)
    canceled = page.get_by_role("article", name=re.compile(PROMPTS[3]))
    expect(canceled).to_contain_text("You canceled it before it started. Nothing was charged.")
    edited = Generation.objects.get(user=user, prompt="A tram crossing a bridge at dusk")
    assert (edited.status, edited.duration, edited.cost) == (Status.COMPLETED, 3, 6)
    assert edited.video_seconds == pytest.approx(3, abs=0.2)
    page.goto(f"{live_server.url}/queue/")
    expect(page.get_by_text("Nothing is waiting.")).to_be_visible()
    looks_right(page, artifacts, f"queue-empty-{size}")
    assert page.console_errors == [], page.console_errors
