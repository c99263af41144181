"""A creator animates their own photo, or a picture they make first, in real Chromium with a real
cluster and the sandbox over HTTP."""

import re

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from generations.models import Generation
from tests.browser.conftest import fits_the_screen

pytestmark = pytest.mark.browser


def photo(path):
    """A recognisable photo: a warm orange sky over a dark blue sea."""
    image = Image.new("RGB", (900, 600), (240, 140, 40))
    ImageDraw.Draw(image).rectangle([0, 380, 900, 600], fill=(20, 40, 110))
    image.save(path, "JPEG")
    return path


def wait_for_video(page, timeout=60_000):
    video = page.locator("article video").first
    expect(video).to_be_visible(timeout=timeout)
    page.wait_for_function("v => v.readyState >= 2 && v.duration > 0", arg=video.element_handle(), timeout=20_000)
    return video


def frame_colour(page, video):
    """The mean colour of the video's current frame, read back from a canvas."""
    video.evaluate("v => new Promise(done => { v.addEventListener('seeked', done, {once: true}); v.currentTime = 1; })")
    return video.evaluate("""v => {
        const c = document.createElement('canvas'); c.width = 32; c.height = 18;
        const g = c.getContext('2d'); g.drawImage(v, 0, 0, 32, 18);
        const d = g.getImageData(0, 0, 32, 9).data; let r = 0, gr = 0, b = 0;
        for (let i = 0; i < d.length; i += 4) { r += d[i]; gr += d[i + 1]; b += d[i + 2]; }
        const n = d.length / 4; return [r / n, gr / n, b / n];
    }""")


def test_upload_a_photo_and_watch_it_come_to_life(
    live_server, cluster, page, log_in, owner, settings, tmp_path, artifacts
):
    settings.PIXAPI_SANDBOX_SECONDS = 1
    log_in(page, owner)
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Start from a picture").click()
    expect(page.get_by_role("heading", name="Which picture should come to life?")).to_be_visible()
    page.screenshot(path=artifacts / "wizard-picture-laptop.png", full_page=True, caret="initial")

    page.get_by_label("Drop a picture here").set_input_files(photo(tmp_path / "sunset.jpg"))
    expect(page.get_by_role("img", name="Your chosen picture")).to_be_visible()
    page.get_by_role("button", name="Next: motion").click()

    expect(page).to_have_url(re.compile(r"/animate/[0-9a-f-]+/motion/$"))
    page.get_by_label("Describe the movement").fill("The sun sinks slowly into the sea")
    page.get_by_label("Slow push in").check()
    page.screenshot(path=artifacts / "wizard-motion-laptop.png", full_page=True, caret="initial")
    page.get_by_role("button", name="Next: settings").click()

    expect(page).to_have_url(re.compile(r"/settings/$"))
    page.get_by_label("Wan").check()
    page.get_by_label("Length", exact=True).select_option(label="2 seconds")
    expect(page.get_by_text("This video costs 4 credits")).to_be_visible()
    page.get_by_label("Shape", exact=True).select_option("720x1280")
    expect(page.get_by_text("the edges outside the frame are cut off")).to_be_visible()
    page.screenshot(path=artifacts / "wizard-settings-laptop.png", full_page=True, caret="initial")
    page.get_by_label("Show it whole, with bars").check()
    expect(page.get_by_text("black bars fill the sides")).to_be_visible()
    page.get_by_label("Shape", exact=True).select_option("1280x720")

    # Back and forward work, and keep what was chosen.
    page.get_by_role("button", name="Next: review").click()
    expect(page.get_by_role("heading", name="Ready to make your video")).to_be_visible()
    page.go_back()
    expect(page.get_by_role("heading", name="How should the video be made?")).to_be_visible()
    expect(page.get_by_label("Length", exact=True)).to_have_value("2")
    page.go_forward()
    expect(page.get_by_role("heading", name="Ready to make your video")).to_be_visible()
    expect(page.get_by_text("The sun sinks slowly into the sea. Camera: slow push-in")).to_be_visible()
    page.screenshot(path=artifacts / "wizard-review-laptop.png", full_page=True, caret="initial")
    page.get_by_role("button", name="Make my video").click()

    expect(page).to_have_url(re.compile(r"/#generation-"))
    video = wait_for_video(page)
    red, green, blue = frame_colour(page, video)
    assert red > 150 and blue < 120  # the orange sky of the creator's photo, not a generic scene
    gen = Generation.objects.get(user=owner)
    assert gen.status == Generation.Status.COMPLETED and gen.start == Generation.Start.IMAGE
    assert page.console_errors == [], page.console_errors


def test_make_a_picture_first_then_animate_it(live_server, cluster, page, log_in, owner, settings):
    settings.PIXAPI_SANDBOX_SECONDS = 1
    log_in(page, owner)
    page.goto(f"{live_server.url}/animate/")
    page.get_by_label("Describe the picture").fill("A paper lantern festival by a river")
    page.get_by_label("Image model").select_option("gemini-2.5-flash-image")
    page.get_by_role("button", name="Make 3 pictures").click()
    expect(page.get_by_text("Pick the one you like")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Use made picture 2").click()
    expect(page.get_by_role("img", name="Your chosen picture")).to_be_visible()
    page.get_by_role("button", name="Next: motion").click()
    page.get_by_label("Orbit").check()
    page.get_by_role("button", name="Next: settings").click()
    page.get_by_label("Wan").check()
    page.get_by_label("Length", exact=True).select_option(label="2 seconds")
    page.get_by_role("button", name="Next: review").click()
    page.get_by_role("button", name="Make my video").click()
    wait_for_video(page)
    assert page.console_errors == [], page.console_errors


def test_closing_the_tab_mid_wizard_resumes_later(live_server, page, log_in, owner, tmp_path):
    log_in(page, owner)
    page.goto(f"{live_server.url}/animate/")
    page.get_by_label("Drop a picture here").set_input_files(photo(tmp_path / "sea.jpg"))
    page.get_by_role("button", name="Next: motion").click()
    page.get_by_label("Describe the movement").fill("Waves roll in")
    page.get_by_role("button", name="Next: settings").click()
    expect(page).to_have_url(re.compile(r"/settings/$"))
    context = page.context
    page.close()

    later = context.new_page()
    later.goto(f"{live_server.url}/animate/")
    expect(later).to_have_url(re.compile(r"/settings/$"))
    expect(later.get_by_role("heading", name="How should the video be made?")).to_be_visible()
    later.get_by_role("link", name="2. Motion").click()
    expect(later.get_by_label("Describe the movement")).to_have_value("Waves roll in")


def test_the_wizard_on_a_phone(live_server, phone_page, log_in, owner, tmp_path, artifacts):
    log_in(phone_page, owner)
    phone_page.goto(f"{live_server.url}/animate/")
    phone_page.get_by_label("Drop a picture here").set_input_files(photo(tmp_path / "sea.jpg"))
    expect(phone_page.get_by_role("img", name="Your chosen picture")).to_be_visible()
    assert fits_the_screen(phone_page)
    phone_page.screenshot(path=artifacts / "wizard-picture-phone.png", full_page=True, caret="initial")


@pytest.mark.parametrize("size", ["laptop", "phone"])
def test_a_free_creator_sees_wan_chosen_veo_locked_and_a_refusal_in_its_place(
    live_server, media_root, page, phone_page, log_in, tmp_path, artifacts, size
):
    from accounts.models import User
    from tests.browser.conftest import no_axe_violations, shoot
    from tests.conftest import verified, with_credits

    page = page if size == "laptop" else phone_page
    fern = with_credits(
        User.objects.create_user(username="fern", email="fern@example.com", password="x", **verified()), 100, "free"
    )
    fern.monthly_budget = 4  # Wan's 10 credits go past it: Make my video is answered with a question
    fern.save(update_fields=["monthly_budget"])
    log_in(page, fern)
    page.goto(f"{live_server.url}/animate/")
    page.get_by_label("Drop a picture here").set_input_files(photo(tmp_path / "sunset.jpg"))
    expect(page.get_by_role("img", name="Your chosen picture")).to_be_visible()
    page.get_by_role("button", name="Next: motion").click()
    page.get_by_label("Slow push in").check()
    page.get_by_role("button", name="Next: settings").click()

    expect(page.get_by_role("radio", name="Wan")).to_be_checked()
    veo = page.get_by_role("radio", name=re.compile("^Veo"))
    expect(veo).to_be_disabled()
    expect(veo).not_to_be_checked()
    expect(page.locator("label.model-choice", has=veo)).to_contain_text("Comes with the Pro plan")
    expect(page.get_by_label("Length", exact=True).locator("option[value='9']")).to_be_disabled()
    no_axe_violations(page)
    assert fits_the_screen(page)
    shoot(page, artifacts, f"wizard-free-settings-{size}")

    page.get_by_role("button", name="Next: review").click()
    expect(page.get_by_role("heading", name="Ready to make your video")).to_be_visible()
    page.get_by_role("button", name="Make my video").click()
    refusal = page.locator("#review-refusal")
    expect(refusal).to_contain_text("past your monthly budget of 4 credits")
    expect(page.get_by_role("button", name="Yes, make it anyway")).to_have_attribute(
        "aria-describedby", "review-refusal"
    )
    # Only the review's buttons and their message changed: one step bar, one review, nothing made.
    expect(page.locator("nav.wizard-steps")).to_have_count(1)
    expect(page.get_by_role("heading", name="Ready to make your video")).to_have_count(1)
    expect(page.locator("#review-submit")).to_have_count(1)
    assert not Generation.objects.exists()
    no_axe_violations(page)
    assert fits_the_screen(page)
    shoot(page, artifacts, f"wizard-free-refusal-{size}")
    assert page.console_errors == [], page.console_errors
