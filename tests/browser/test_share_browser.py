"""A creator finds last week's video by a word of its prompt, shares it, a visitor with no account
opens the link in a fresh browser and watches it play; the creator stops sharing and the link stops.
Real Chromium, the real web server, real MP4s."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from generations.models import Generation
from library import sharing
from tests.browser.conftest import PHONE, _new_page, fits_the_screen, no_axe_violations, shoot
from tests.generations.videos import make_generation, make_video

pytestmark = pytest.mark.browser


@pytest.fixture
def library(owner, media_root, live_server, settings):
    settings.SITE_URL = live_server.url
    week_ago = timezone.now() - timedelta(days=7)
    make_video(owner, prompt="A red fox trotting through fresh snow at sunrise")
    make_video(owner, prompt="Steam rising from a cup of coffee by a rainy window", favourite=True)
    make_generation(
        owner,
        prompt="A kite over the dunes",
        status=Generation.Status.FAILED,
        error_message="The model turned this prompt down. Nothing was charged.",
    )
    make_generation(owner, prompt="Lanterns floating on a river", status=Generation.Status.RUNNING, progress=40)
    return make_video(owner, prompt="Waves breaking below a lighthouse at dusk", created_at=week_ago)


def playing(page, video, seconds=0.2):
    page.wait_for_function(
        "([v, t]) => v.readyState >= 2 && !v.paused && v.currentTime > t",
        arg=[video.element_handle(), seconds],
        timeout=15_000,
    )


def test_find_share_watch_logged_out_and_stop_sharing(live_server, browser, page, log_in, owner, library, artifacts):
    log_in(page, owner)
    page.goto(f"{live_server.url}/library/")
    expect(page.get_by_role("article")).to_have_count(5)
    page.screenshot(path=artifacts / "library-laptop.png", full_page=True, caret="initial")

    page.get_by_label("Search your prompts").fill("lighthouse")
    card = page.get_by_role("article", name=re.compile("Waves breaking below a lighthouse"))
    expect(page.get_by_role("article")).to_have_count(1)
    expect(page.get_by_text("1 video matches.")).to_be_visible()
    assert "q=lighthouse" in page.url  # the search is in the address: back and reload keep it

    card.locator(".lib-media").hover()  # a preview plays under the pointer
    playing(page, card.locator("video"))
    card.get_by_role("link", name=re.compile("Waves breaking")).click()

    expect(page.get_by_role("heading", name="Your video")).to_be_visible()
    page.get_by_label("Show the prompt on the shared page").check()
    page.get_by_role("button", name="Create a share link").click()
    share_url = page.get_by_label("Share link").input_value()
    assert re.fullmatch(rf"{re.escape(live_server.url)}/s/[A-Za-z0-9_-]{{43}}/", share_url)
    page.screenshot(path=artifacts / "detail-shared-laptop.png", full_page=True, caret="initial")

    # A visitor: a fresh browser context with no cookies at all.
    visitor = _new_page(browser, viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    try:
        response = visitor.goto(share_url)
        assert response.status == 200
        expect(visitor.get_by_role("heading", name="A video by Olive Owner")).to_be_visible()
        expect(visitor.get_by_text("Waves breaking below a lighthouse at dusk")).to_be_visible()
        assert visitor.context.cookies() == [] or all(c["name"] != "sessionid" for c in visitor.context.cookies())
        video = visitor.get_by_label("A video by Olive Owner")
        visitor.wait_for_function("v => v.readyState >= 1 && v.duration > 0", arg=video.element_handle())
        video.evaluate("v => { v.muted = true; return v.play(); }")  # what the play button does
        playing(visitor, video, 0.3)
        visitor.screenshot(path=artifacts / "shared-phone.png", full_page=True, caret="initial")
        assert visitor.console_errors == [], visitor.console_errors

        # The creator stops sharing: the same link now says so, politely, with a 404.
        page.get_by_role("button", name="Stop sharing").click()
        expect(page.get_by_role("button", name="Create a share link")).to_be_visible()
        response = visitor.reload()
        assert response.status == 404
        expect(visitor.get_by_role("heading", name="This video is no longer shared")).to_be_visible()
    finally:
        visitor.context.close()
    library.refresh_from_db()
    assert library.share_token is None
    assert page.console_errors == [], page.console_errors


def test_bulk_tick_move_and_delete_with_a_question_first(live_server, page, log_in, owner, library, artifacts):
    log_in(page, owner)
    page.goto(f"{live_server.url}/library/")
    page.get_by_text("New collection").click()
    page.get_by_label("Collection name").fill("Seaside")
    page.get_by_role("button", name="Make").click()
    expect(page.get_by_role("heading", name="Seaside")).to_be_visible()

    page.get_by_role("navigation", name="Show").get_by_role("link", name=re.compile("All videos")).click()
    bar = page.get_by_role("form", name="Change the videos you tick")
    expect(bar.get_by_role("button", name="Move")).to_be_disabled()
    page.get_by_label(re.compile("Select: Waves breaking")).check()
    page.get_by_label(re.compile("Select: A red fox")).check()
    expect(page.get_by_text("2 videos ticked")).to_be_visible()
    page.screenshot(path=artifacts / "library-ticked-laptop.png", full_page=True, caret="initial")
    bar.get_by_label("Move to collection").select_option(label="Seaside")
    bar.get_by_role("button", name="Move").click()
    expect(page.get_by_text("2 videos moved into Seaside.")).to_be_visible()

    page.get_by_role("navigation", name="Collections").get_by_role("link", name=re.compile("Seaside")).click()
    expect(page.get_by_role("article")).to_have_count(2)
    page.get_by_role("button", name=re.compile("Tick all shown")).click()
    page.get_by_role("button", name="Delete…").click()
    expect(page.get_by_role("heading", name="Delete 2 videos?")).to_be_visible()
    page.screenshot(path=artifacts / "library-delete-laptop.png", full_page=True, caret="initial")
    page.get_by_role("button", name="Delete for good").click()
    expect(page.get_by_text("2 videos deleted for good.")).to_be_visible()
    expect(page.get_by_text("Nothing in this collection yet")).to_be_visible()
    assert Generation.objects.filter(user=owner).count() == 3
    assert page.console_errors == [], page.console_errors


def test_on_a_phone_a_tap_plays_the_preview(live_server, phone_page, log_in, owner, library, artifacts):
    log_in(phone_page, owner)
    phone_page.goto(f"{live_server.url}/library/")
    phone_page.screenshot(path=artifacts / "library-phone.png", full_page=True, caret="initial")
    card = phone_page.get_by_role("article", name=re.compile("A red fox"))
    card.locator(".lib-media").tap()
    playing(phone_page, card.locator("video"))
    assert phone_page.url.endswith("/library/")  # the tap played it here; the prompt opens its page

    card.get_by_role("link", name=re.compile("A red fox")).tap()
    expect(phone_page.get_by_role("heading", name="Your video")).to_be_visible()
    phone_page.screenshot(path=artifacts / "detail-phone.png", full_page=True, caret="initial")
    assert phone_page.console_errors == [], phone_page.console_errors


def test_public_pages_look_right(live_server, page, owner, library, artifacts):
    for gen in Generation.objects.filter(status=Generation.Status.COMPLETED):
        sharing.share(gen, show_prompt=gen.favourite, in_gallery=True)
    Generation.objects.filter(status=Generation.Status.COMPLETED).update(featured=True)

    page.goto(f"{live_server.url}/@owner/")
    expect(page.get_by_role("heading", name="Olive Owner")).to_be_visible()
    expect(page.get_by_role("article")).to_have_count(3)
    page.screenshot(path=artifacts / "gallery-laptop.png", full_page=True, caret="initial")
    page.goto(f"{live_server.url}/featured/")
    expect(page.get_by_role("article")).to_have_count(3)
    page.screenshot(path=artifacts / "featured-laptop.png", full_page=True, caret="initial")
    library.refresh_from_db()
    page.goto(f"{live_server.url}/s/{library.share_token}/")
    page.screenshot(path=artifacts / "shared-laptop.png", full_page=True, caret="initial")
    assert page.console_errors == [], page.console_errors


def test_a_title_set_on_a_videos_page_names_it_in_the_public_gallery(
    live_server, page, phone_page, log_in, owner, library, artifacts
):
    """The prompt stays private (not shown when shared); the title is what galleries show."""
    log_in(page, owner)
    page.goto(f"{live_server.url}/generations/{library.pk}/")
    panel = page.locator("#title-panel")
    title = panel.get_by_label(re.compile("A title for galleries"))
    title.fill("Lighthouse at dusk, the long version that keeps going past what a gallery card can hold")
    panel.get_by_role("button", name="Save the title").click()
    expect(panel.get_by_role("alert")).to_have_text(re.compile("A title can be at most 80 characters; this one has"))
    expect(title).to_have_attribute("aria-invalid", "true")
    no_axe_violations(page)

    panel.get_by_label(re.compile("A title for galleries")).fill("Lighthouse at dusk")
    panel.get_by_role("button", name="Save the title").click()
    expect(panel.get_by_text("Saved.")).to_be_visible()
    page.get_by_label("Also show it on my public page").check()
    page.get_by_role("button", name="Create a share link").click()
    expect(page.get_by_label("Share link")).to_be_visible()
    shoot(page, artifacts, "detail-titled-laptop")
    no_axe_violations(page)
    library.refresh_from_db()
    assert (library.title, library.share_prompt, library.in_gallery) == ("Lighthouse at dusk", False, True)

    for viewer in (page, phone_page):
        viewer.goto(f"{live_server.url}/@owner/")
        card = viewer.get_by_role("article")
        expect(card).to_have_count(1)
        expect(card.get_by_role("link", name="Lighthouse at dusk")).to_be_visible()
        expect(viewer.get_by_text("Waves breaking")).to_have_count(0)
        assert viewer.locator('meta[property="og:image"]').get_attribute("content").startswith(live_server.url + "/")
        assert fits_the_screen(viewer)
        no_axe_violations(viewer)
        shoot(viewer, artifacts, f"gallery-titled-{'phone' if viewer is phone_page else 'laptop'}")
    card.get_by_role("link", name="Lighthouse at dusk").tap()
    expect(phone_page.get_by_role("heading", name="Lighthouse at dusk")).to_be_visible()
    assert phone_page.locator('meta[property="og:title"]').get_attribute("content") == "Lighthouse at dusk"
    no_axe_violations(phone_page)
    shoot(phone_page, artifacts, "shared-titled-phone")
    assert page.console_errors == [] and phone_page.console_errors == []


def test_scrolling_down_brings_the_next_page(live_server, page, log_in, owner, media_root):
    for i in range(30):
        make_generation(
            owner,
            prompt=f"Draft number {i}",
            status=Generation.Status.FAILED,
            created_at=timezone.now() - timedelta(minutes=i),
        )
    log_in(page, owner)
    page.goto(f"{live_server.url}/library/")
    expect(page.get_by_role("article")).to_have_count(24)

    page.get_by_role("link", name="Show more").scroll_into_view_if_needed()

    expect(page.get_by_role("article")).to_have_count(30)
    expect(page.get_by_role("article", name="Draft number 29")).to_be_visible()
    expect(page.get_by_role("link", name="Show more")).to_have_count(0)
    assert page.console_errors == [], page.console_errors
