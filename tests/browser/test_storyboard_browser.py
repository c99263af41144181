"""A creator builds a three-shot storyboard on two models in real Chromium, each shot continuing the one
before: sees what Make costs before the click, makes it, watches the shots become ready on the board (its
one poller), trims and crossfades, exports it, plays the export and opens its page with its lineage, then
picks a fourth shot's frame on a scrubber. The real web
server, a real django-q2 cluster and the sandbox over HTTP, at laptop and phone size; axe-core finds
nothing wrong on the list and the board, and nothing sticks out sideways."""

import pytest
from playwright.sync_api import expect

from accounts import credits
from accounts.models import User
from catalog.models import CatalogModel
from generations.models import Generation, Storyboard
from tests.browser.conftest import fits_the_screen, no_axe_violations, shoot
from tests.conftest import verified, with_credits

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("size", ["laptop", "phone"])]

TITLE = "Lantern on the dunes"


def looks_right(page, artifacts, name):
    assert fits_the_screen(page), f"{name} scrolls sideways"
    no_axe_violations(page)
    shoot(page, artifacts, name)


def add_shot(page, prompt, start, model="Wan", length="2 seconds"):
    form = page.locator("#add-shot")
    form.get_by_label("What happens in this shot").fill(prompt)
    form.get_by_label("Model").select_option(label=model)
    form.get_by_label("Length").select_option(label=length)
    form.get_by_label(start).check()
    form.get_by_role("button", name="Add the shot").click()
    page.wait_for_load_state("load")


def test_a_three_shot_board_on_two_models_made_trimmed_exported_and_played(
    live_server, cluster, page, phone_page, log_in, settings, artifacts, size
):
    settings.PIXAPI_SANDBOX_SECONDS = 1
    page = page if size == "laptop" else phone_page
    user = User.objects.create_user(
        username="ines", email="ines@example.com", password="x", display_name="Ines", **verified()
    )
    with_credits(user, amount=1000, plan="pro")
    log_in(page, user)
    page.goto(f"{live_server.url}/")
    if size == "phone":
        page.get_by_text("Menu", exact=True).click()  # the header keeps to one line: the links are one tap away
        assert page.evaluate("document.querySelector('.site-header').getBoundingClientRect().height") < 80
    page.get_by_role("link", name="Storyboards").click()
    expect(page.get_by_role("heading", name="Your storyboards")).to_be_visible()
    looks_right(page, artifacts, f"storyboard-{size}-1-list")

    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Shape").select_option(label="Landscape 16:9, 720p")
    page.get_by_role("button", name="New storyboard").click()
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    board = Storyboard.objects.get(user=user)

    # A continuing first shot is refused in words beside the button, with the prompt kept.
    add_shot(page, "A lantern lit on a dune at dusk", "Continue from the previous shot")
    expect(page.locator("#add-error")).to_contain_text("The first shot has nothing before it to continue")
    expect(page.get_by_label("What happens in this shot")).to_have_value("A lantern lit on a dune at dusk")
    # The refusal answers 409 (Conflict), which Chromium reports as a failed load: that one, and nothing else.
    assert len(page.console_errors) == 1 and "409 (Conflict)" in page.console_errors[0], page.console_errors
    page.console_errors.clear()
    add_shot(page, "A lantern lit on a dune at dusk", "From the prompt alone")
    add_shot(page, "The camera rises over the dunes", "Continue from the previous shot")
    add_shot(page, "Stars come out over the lantern", "Continue from the previous shot", "Veo", "4 seconds")
    expect(page.locator("#shots .shot")).to_have_count(3)
    expect(page.locator("#shots .shot").nth(1)).to_contain_text("Continues from the previous shot, its last frame")

    # The cost and the balance after it, before anything is held.
    before = credits.balance_of(user)
    cost = 8 + int(CatalogModel.objects.get(slug="veo").price(4, "1280x720"))  # two shots of Wan, one of Veo
    expect(page.locator("#make-total")).to_have_text(f"{cost} credits")
    expect(page.locator("#make-after")).to_have_text(f"{int(before) - cost} credits")
    page.locator("#make").scroll_into_view_if_needed()
    looks_right(page, artifacts, f"storyboard-{size}-2-to-make")
    page.get_by_role("button", name="Make 3 shots").click()

    expect(page.locator("#make")).to_contain_text("Every shot is made or on its way")
    assert Generation.objects.filter(shot__storyboard=board).count() == 3
    assert credits.balance_of(user) == before - cost
    second = page.locator("#shots .shot").nth(1)
    expect(second).to_contain_text("Starts when shot 1 is ready.")
    looks_right(page, artifacts, f"storyboard-{size}-3-making")

    # The board's one poller swaps each shot in as it becomes ready: shot 2 from shot 1's last frame.
    videos = page.locator("#shots .shot-media video")
    expect(videos).to_have_count(3, timeout=120_000)
    for i in range(3):
        videos.nth(i).scroll_into_view_if_needed()
        page.wait_for_function(f"() => document.querySelectorAll('#shots .shot-media video')[{i}].readyState >= 2")
    expect(page.locator("#make")).to_contain_text("Every shot is made. Re-take one, or export the storyboard.")

    # Trim the end of shot 1 and crossfade into shot 2.
    first = page.locator("#shots .shot").nth(0)
    first.get_by_label("Trim end (s)").fill("0.5")
    first.get_by_role("button", name="Save the cut of shot 1").click()
    page.wait_for_load_state("load")
    expect(page.locator("#shots .shot").nth(0).get_by_label("Trim end (s)")).to_have_value("0.5")
    second = page.locator("#shots .shot").nth(1)
    second.get_by_label("From shot 1").select_option(label="Crossfade")
    second.get_by_role("button", name="Save the cut of shot 2").click()
    page.wait_for_load_state("load")
    expect(page.locator("#shots .shot").nth(1).get_by_label("From shot 1")).to_have_value("crossfade")

    # Export: the new version plays on the board once the worker has stitched it.
    page.get_by_role("button", name="Export as one video").click()
    expect(page.locator("#export")).to_contain_text("Version 1")
    export_video = page.locator("#export-video")
    expect(export_video).to_have_count(1, timeout=90_000)
    export_video.scroll_into_view_if_needed()
    page.wait_for_function("() => document.querySelector('#export-video').readyState >= 2", timeout=20_000)
    expect(page.locator("#export")).to_contain_text("Download version 1")
    looks_right(page, artifacts, f"storyboard-{size}-4-exported")
    assert not page.console_errors, page.console_errors

    # Its page: which shots, which takes, trimmed how.
    page.get_by_role("link", name="Its page").click()
    expect(page.get_by_role("link", name=f"Storyboard {TITLE}, version 1")).to_be_visible()
    parts = page.locator(".export-parts li")
    expect(parts).to_have_count(3)
    expect(parts.nth(0)).to_contain_text("Shot 1 · Wan · its take · trimmed 0.5 s from the end")
    expect(parts.nth(1)).to_contain_text("crossfade from shot 1")
    shoot(page, artifacts, f"storyboard-{size}-5-export-page")
    parts.nth(1).get_by_role("link", name="its take").click()
    expect(page.get_by_role("link", name=f"Shot 2 of {TITLE}")).to_be_visible()
    page.get_by_role("link", name=f"Shot 2 of {TITLE}").click()
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()

    # Moving a shot: the keyboard's buttons everywhere, a drag by its handle on a laptop.
    page.get_by_role("button", name="Move shot 2 up").focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state("load")
    expect(page.locator("#shots .shot").nth(0)).to_contain_text("The camera rises over the dunes")
    expect(page.get_by_role("button", name="Move shot 1 down")).to_be_focused()  # the focus stays with the shot
    if size == "laptop":
        # The second shot's handle dragged to the top of the first, with the mouse as a creator would.
        shots = page.locator("#shots .shot")
        shots.nth(0).evaluate("(shot) => shot.scrollIntoView({block: 'start'})")
        grip, top = shots.nth(1).locator(".shot-grip").bounding_box(), shots.nth(0).bounding_box()
        with page.expect_response(lambda r: "/order/" in r.url):
            page.mouse.move(grip["x"] + grip["width"] / 2, grip["y"] + grip["height"] / 2)
            page.mouse.down()
            page.mouse.move(grip["x"] + 20, grip["y"] - 20, steps=5)
            page.mouse.move(top["x"] + 40, top["y"] + 8, steps=8)
            page.mouse.up()
        expect(page.locator("#shots .shot").nth(0)).to_contain_text("A lantern lit on a dune at dusk", timeout=5_000)
    assert [s.prompt for s in board.shots.all()][0] == (
        "A lantern lit on a dune at dusk" if size == "laptop" else "The camera rises over the dunes"
    )

    # A third shot continues from a frame picked on a scrubber over the shot before.
    form = page.locator("#add-shot")
    form.get_by_label("Continue from the previous shot").check()
    preview = page.locator("#frame-preview")
    preview.scroll_into_view_if_needed()
    page.wait_for_function("() => document.querySelector('#frame-preview').readyState >= 1")
    expect(form.get_by_label("Frame at (seconds)")).to_have_value("")  # the scrubber starts at the last frame
    form.get_by_label("Pick the frame on the shot before").fill("1")
    expect(form.get_by_label("Frame at (seconds)")).to_have_value("1")
    page.wait_for_function("() => Math.abs(document.querySelector('#frame-preview').currentTime - 1) < 0.1")
    looks_right(page, artifacts, f"storyboard-{size}-6-scrubber")
    form.get_by_label("What happens in this shot").fill("The lantern flickers out")
    form.get_by_role("button", name="Add the shot").click()
    page.wait_for_load_state("load")
    expect(page.locator("#shots .shot").nth(3)).to_contain_text("Continues from the previous shot, frame at 1 s")
    assert board.shots.get(prompt="The lantern flickers out").frame_at == 1.0

    page.goto(f"{live_server.url}/storyboards/")
    expect(page.locator(".board-item")).to_contain_text("Last export: version 1")
    looks_right(page, artifacts, f"storyboard-{size}-7-list")
    assert not page.console_errors, page.console_errors
