"""A creator signs up in a real browser, verifies their address, lands in the studio, and finds their way
around on a laptop and a phone."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from tests.browser.conftest import fits_the_screen
from tests.conftest import verification_link

pytestmark = pytest.mark.browser

# Whether every select of the create form shows its longest choice whole (none cut off at its edge).
SELECTS_FIT = """() => [...document.querySelectorAll('#create-form select')].every(select => {
  const style = getComputedStyle(select), pen = document.createElement('canvas').getContext('2d');
  pen.font = style.font;
  const longest = Math.max(...[...select.options].map(option => pen.measureText(option.text).width));
  return longest <= select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) + 1;
})"""


def test_sign_up_and_find_the_way_around(live_server, page, phone_page, log_in, artifacts, mailoutbox):
    page.goto(f"{live_server.url}/")  # the front door (tests/browser/test_front_door_browser.py)
    page.get_by_role("link", name="Sign up free").first.click()
    expect(page.get_by_role("heading", name="Create your studio")).to_be_visible()
    page.screenshot(path=artifacts / "signup-laptop.png", full_page=True)

    # A slip first: the two passwords differ. The page says so and keeps what was typed.
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Email address").fill("Ada@Example.com")
    page.get_by_label("Password", exact=True).fill("analytical-engine-1843")
    page.get_by_label("Password again").fill("analytical-engine-1842")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("alert")).to_contain_text("needs fixing")
    expect(page.get_by_text("The two passwords are not the same")).to_be_visible()
    expect(page.get_by_label("Email address")).to_have_value("Ada@Example.com")
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    page.screenshot(path=artifacts / "signup-error-laptop.png", full_page=True)

    page.get_by_label("Password", exact=True).fill("analytical-engine-1843")
    page.get_by_label("Password again").fill("analytical-engine-1843")
    page.get_by_role("button", name="Create my account").click()

    # The account waits for its address: check your mail.
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    page.screenshot(path=artifacts / "signup-sent-laptop.png", full_page=True)
    page.get_by_role("main").get_by_role("link", name="Log in").click()
    page.get_by_label("Email address").fill("ada@example.com")
    page.get_by_label("Password").fill("analytical-engine-1843")
    page.get_by_role("button", name="Log in").click()

    # Logged in before following the link: the studio says what to do, and there is nothing to spend yet.
    notice = page.get_by_role("region", name="Verify your email address")
    expect(notice).to_contain_text("follow the link we sent to ada@example.com")
    expect(page.locator("#credit-balance")).to_have_text("0 credits")
    page.screenshot(path=artifacts / "verify-notice-laptop.png", full_page=True)
    notice.get_by_role("button", name="Send the link again").click()
    expect(page.get_by_role("status")).to_contain_text("We sent a new link to ada@example.com")

    page.goto(live_server.url + verification_link(mailoutbox, "ada@example.com"))
    expect(page.get_by_role("heading", name="Your address is verified")).to_be_visible()
    expect(page.get_by_text("Your 100 credits to start with are in your account.")).to_be_visible()
    page.get_by_role("link", name="Make a video").click()

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Create a video")).to_be_visible()
    expect(page.locator("#credit-balance")).to_have_text("100 credits")
    expect(page.get_by_role("region", name="Verify your email address")).to_have_count(0)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Create")).to_have_attribute("aria-current", "page")
    assert page.evaluate(SELECTS_FIT), "a select of the create form cuts off its words"
    page.screenshot(path=artifacts / "dashboard-laptop.png", full_page=True)
    assert User.objects.get(email="ada@example.com").username == "ada-lovelace"

    nav.get_by_role("link", name="Profile").click()
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    expect(page.get_by_label("Handle")).to_have_value("ada-lovelace")
    page.screenshot(path=artifacts / "profile-laptop.png", full_page=True)

    nav.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Welcome back")).to_be_visible()
    page.screenshot(path=artifacts / "login-laptop.png", full_page=True)

    page.get_by_label("Email address").fill("ADA@example.COM")
    page.get_by_label("Password").fill("analytical-engine-1843")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Create a video")).to_be_visible()
    assert page.console_errors == []

    # The same pages on a phone: nothing sticks out sideways.
    for name, path in [("signup", "/accounts/signup/"), ("login", "/accounts/login/")]:
        phone_page.goto(f"{live_server.url}{path}")
        assert fits_the_screen(phone_page), f"the {name} page scrolls sideways on a phone"
        phone_page.screenshot(path=artifacts / f"{name}-phone.png", full_page=True)
    log_in(phone_page, User.objects.get(email="ada@example.com"))
    for name, path in [("dashboard", "/"), ("profile", "/accounts/profile/")]:
        phone_page.goto(f"{live_server.url}{path}")
        header = phone_page.locator(".site-header-inner").bounding_box()
        assert header["height"] < 70, "a phone's header keeps to one line"
        expect(phone_page.get_by_role("button", name="Log out")).to_be_hidden()
        if path == "/":
            assert phone_page.evaluate(SELECTS_FIT), "a select of the create form cuts off its words"
        phone_page.get_by_text("Menu", exact=True).click()  # the links are one tap away
        expect(phone_page.get_by_role("button", name="Log out")).to_be_visible()
        assert fits_the_screen(phone_page), f"the {name} page scrolls sideways on a phone"
        phone_page.screenshot(path=artifacts / f"{name}-phone.png", full_page=True)
    assert phone_page.console_errors == []


def test_too_many_uploads_are_refused_next_to_the_drop_zone(live_server, page, log_in, owner, settings, tmp_path):
    """The 429 answer is swapped into the wizard like any other (htmx's responseHandling in base.html)."""
    from PIL import Image

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "upload": "1/h"}
    path = tmp_path / "sea.png"
    Image.new("RGB", (640, 480), (20, 40, 110)).save(path)
    log_in(page, owner)
    page.goto(f"{live_server.url}/animate/")
    page.wait_for_load_state("load")
    page.get_by_label("Drop a picture here").set_input_files(path)
    expect(page.get_by_role("img", name="Your chosen picture")).to_be_visible()

    with page.expect_response(lambda r: "/upload/" in r.url and r.status == 429):
        page.get_by_label("Drop a picture here").set_input_files(path)
    expect(page.get_by_role("alert")).to_contain_text("You have uploaded many pictures in a short time. Please wait")
    expect(page.get_by_label("Drop a picture here")).to_be_visible()
    assert owner.pictures.count() == 1
    others = [e for e in page.console_errors if "status of 429" not in e]  # Chromium logs every 4xx answer
    assert others == [], others
