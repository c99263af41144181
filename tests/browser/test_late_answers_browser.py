"""An answer that arrives for an element the page has already swapped away lands nowhere and does no harm.

On the dashboard, a poll is on its way when the creator presses Generate; the new card's answer brings a
new poller with it. The old poller's answer used to be swapped into its detached copy: its out-of-band
parts found no header (htmx:oobErrorNoTarget, #credit-balance) and the new card could show twice.
static/js/swaps.js stops a request whose element is being swapped away."""

import re

import pytest
from playwright.sync_api import expect

from accounts import credits
from accounts.models import User
from catalog.models import CatalogModel
from generations.models import Generation
from tests.conftest import verified

pytestmark = pytest.mark.browser

POLL = re.compile(r"/generations/poll/")


def test_a_poll_answered_after_generate_replaced_the_poller_does_no_harm(live_server, page, log_in, transactional_db):
    user = User.objects.create_user(
        username="hazel", email="hazel@example.com", password="x", display_name="Hazel", **verified()
    )
    credits.welcome(user)
    wan = CatalogModel.objects.get(slug="wan")
    Generation.objects.create(  # in flight, so the dashboard polls every second
        user=user,
        model=wan,
        prompt="Rain on a tin roof",
        full_prompt="Rain on a tin roof",
        duration=2,
        size="1280x720",
        status=Generation.Status.RUNNING,
        progress=30,
        cost=4,
    )
    log_in(page, user)
    page.goto(f"{live_server.url}/")
    page.wait_for_load_state("load")

    held = []
    page.route(POLL, lambda route: route.continue_() if held else held.append(route))  # holds the first
    page.wait_for_function("() => document.querySelector('#poller.htmx-request') !== null")
    page.get_by_label("Describe your video").fill("A paper boat in a gutter")
    page.get_by_role("button", name="Generate video").click()
    new_card = page.get_by_role("article", name=re.compile("A paper boat in a gutter"))
    expect(new_card).to_be_visible()

    held[0].continue_()  # the old poller's answer, after the new poller took its place
    page.wait_for_timeout(1500)  # a poll or two of the new poller

    expect(new_card).to_have_count(1)
    balance = int(credits.balance_of(user))
    expect(page.locator("#credit-balance")).to_contain_text(f"{balance} credits")
    assert page.console_errors == [], page.console_errors


def test_a_card_that_comes_twice_is_shown_once(live_server, page, log_in, transactional_db):
    """A poll sent just before Generate's answer came back carries the new card too (the page did not have
    it yet). Whichever comes second takes the first one's place."""
    user = User.objects.create_user(
        username="ivy", email="ivy@example.com", password="x", display_name="Ivy", **verified()
    )
    credits.welcome(user)
    log_in(page, user)
    page.goto(f"{live_server.url}/")
    page.wait_for_load_state("load")
    page.get_by_label("Describe your video").fill("A kite over the dunes")
    page.get_by_role("button", name="Generate video").click()
    card = page.get_by_role("article", name=re.compile("A kite over the dunes"))
    expect(card).to_be_visible()
    expect(card).to_be_focused()

    # The late poll's answer, as the poll view writes a card the page did not have (poll.html).
    page.evaluate(
        """() => {
          const card = document.querySelector("#cards .gen-card");
          const late = card.outerHTML.replace("Queued", "Making");
          htmx.swap("#cards", '<div hx-swap-oob="afterbegin:#cards">' + late + "</div>", { swapStyle: "none" });
        }"""
    )

    expect(card).to_have_count(1)
    expect(card).to_contain_text("Making")  # the later answer's card, in the first one's place
    expect(card).to_be_focused()
    assert page.console_errors == [], page.console_errors
