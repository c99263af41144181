"""The dashboard as a feed with a prompt bar on top, in real Chromium at laptop and phone size: the cost and
Generate in view without scrolling, example prompts for a first-timer, the new card in view and focused after
Generate, the feed starting within the phone's first screen, a picture taken to the wizard; no select cut off,
nothing axe-core objects to, no console errors."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from generations.models import Generation, Picture
from tests.browser.conftest import fits_the_screen, no_axe_violations, shoot
from tests.browser.test_accounts_browser import SELECTS_FIT
from tests.conftest import verified, with_credits
from tests.generations.videos import make_video

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("size", ["laptop", "phone"])]


def creator(name):
    user = User.objects.create_user(
        username=name, email=f"{name}@example.com", password="x", display_name=name.title(), **verified()
    )
    return with_credits(user)


def in_view(page, locator):
    """Where the element is, as the viewport sees it: wholly inside it, without any scrolling."""
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def looks_right(page, artifacts, name):
    assert fits_the_screen(page), f"{name} scrolls sideways"
    assert page.evaluate(SELECTS_FIT), f"{name}: a select of the prompt bar cuts off its words"
    no_axe_violations(page)
    shoot(page, artifacts, name)


def test_a_first_video_from_the_prompt_bar(live_server, queue, page, phone_page, log_in, artifacts, size):
    page = page if size == "laptop" else phone_page
    log_in(page, creator("ivy"))
    page.goto(f"{live_server.url}/")
    page.wait_for_load_state("load")

    generate = page.get_by_role("button", name="Generate video")
    shoot(page, artifacts, f"prompt-bar-first-time-{size}")
    assert in_view(page, generate), "Generate is below the fold"
    expect(page.locator("#cost")).to_contain_text("credits")
    assert in_view(page, page.locator("#cost")), "the cost is below the fold"
    assert page.evaluate("window.scrollY") == 0
    # Saved prompts and the help are folded away until asked for.
    expect(page.get_by_text("Save a prompt you like")).to_be_hidden()
    looks_right(page, artifacts, f"prompt-bar-first-time-{size}")

    # An example fills the prompt, and starts nothing.
    examples = page.get_by_role("group", name="New here? Try one:")
    expect(examples.get_by_role("button")).to_have_count(4)
    examples.get_by_role("button", name="A paper boat").click()
    expect(page.get_by_label("Describe your video")).to_have_value(re.compile("^A paper boat drifting down a rainy"))
    expect(page.get_by_label("Describe your video")).to_be_focused()
    assert Generation.objects.count() == 0

    generate.click()
    card = page.get_by_role("article", name=re.compile("A paper boat drifting"))
    expect(card).to_be_visible()
    expect(card).to_be_focused()
    assert in_view(page, card), "the new card is off screen"
    assert Generation.objects.filter(prompt__startswith="A paper boat").count() == 1
    # The form is ready for the next one; examples are for a first video only.
    expect(page.get_by_role("group", name="New here? Try one:")).to_have_count(0)
    expect(page.get_by_role("button", name="Generate video")).to_be_enabled()
    shoot(page, artifacts, f"prompt-bar-after-generate-{size}")
    assert page.console_errors == [], page.console_errors


def test_the_feed_starts_within_the_first_screen(live_server, media_root, page, phone_page, log_in, artifacts, size):
    page = page if size == "laptop" else phone_page
    user = creator("rowan")
    for prompt in ("A heron lifting off a misty lake", "Lanterns over a night market", "A tram crossing a bridge"):
        make_video(user, prompt=prompt)
    log_in(page, user)
    page.goto(f"{live_server.url}/")
    page.wait_for_load_state("load")

    assert in_view(page, page.get_by_role("button", name="Generate video")), "Generate is below the fold"
    assert in_view(page, page.locator("#cost")), "the cost is below the fold"
    first = page.locator("#cards .gen-card").first
    assert first.bounding_box()["y"] < page.viewport_size["height"], "the feed starts below the first screen"
    expect(page.get_by_role("group", name="New here? Try one:")).to_have_count(0)

    looks_right(page, artifacts, f"prompt-bar-feed-{size}")

    # Saved and recent prompts, the tips and Compare models are one click away, and read well opened.
    page.get_by_text("Saved prompts and recent ones").click()
    expect(page.get_by_role("link", name="Lanterns over a night market")).to_be_visible()
    page.get_by_text("Tips for a good prompt").click()
    expect(page.get_by_text("Say what happens, where, and the mood.")).to_be_visible()
    page.get_by_text("Compare models").click()
    expect(page.get_by_role("button", name="See the takes and the total")).to_be_visible()
    looks_right(page, artifacts, f"prompt-bar-opened-{size}")
    assert page.console_errors == [], page.console_errors


DROPPED_PICTURE = """async () => {
  const canvas = Object.assign(document.createElement('canvas'), {width: 800, height: 600});
  const pen = canvas.getContext('2d');
  pen.fillStyle = '#1e5a8c';
  pen.fillRect(0, 0, 800, 600);
  const blob = await new Promise(done => canvas.toBlob(done, 'image/png'));
  const carried = new DataTransfer();
  carried.items.add(new File([blob], 'harbour.png', {type: 'image/png'}));
  return carried;
}"""


def test_a_picture_for_the_bar_opens_the_wizard_with_it(
    live_server, media_root, page, phone_page, log_in, artifacts, size, tmp_path
):
    """On a laptop the picture is chosen from the bar's "choose one"; dropped on the bar, it goes the same way."""
    from PIL import Image

    page = page if size == "laptop" else phone_page
    log_in(page, creator("moss"))
    page.goto(f"{live_server.url}/")
    page.wait_for_load_state("load")
    if size == "laptop":
        path = tmp_path / "harbour.png"
        Image.new("RGB", (800, 600), (30, 90, 140)).save(path)
        expect(page.get_by_text("Have a picture?")).to_be_visible()
        with page.expect_file_chooser() as chooser:
            page.get_by_role("button", name="choose one").click()
        with page.expect_navigation():
            chooser.value.set_files(path)
    else:
        # Not a picture: said so, and the studio stays where it is.
        text = page.evaluate_handle(
            "() => { const d = new DataTransfer(); d.items.add(new File(['hi'], 'notes.txt', {type: 'text/plain'})); return d; }"
        )
        page.dispatch_event("#prompt-bar", "drop", {"dataTransfer": text})
        expect(page.locator("#notices")).to_contain_text("Only a picture can start a video")
        assert page.url == f"{live_server.url}/"
        carried = page.evaluate_handle(DROPPED_PICTURE)
        page.dispatch_event("#prompt-bar", "dragover", {"dataTransfer": carried})
        expect(page.locator("#prompt-bar")).to_have_class(re.compile("is-dropping"))
        with page.expect_navigation():
            page.dispatch_event("#prompt-bar", "drop", {"dataTransfer": carried})
    expect(page.get_by_text("Picture chosen.")).to_be_visible()
    assert re.search(r"/animate/[0-9a-f-]+/", page.url)
    assert Picture.objects.filter(user__username="moss", name="harbour.png").count() == 1
    shoot(page, artifacts, f"prompt-bar-picture-{size}")
    assert page.console_errors == [], page.console_errors
