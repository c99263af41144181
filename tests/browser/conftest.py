"""Shared fixtures for the browser tests: Debian's Chromium driven by Playwright's sync API.

- `browser`     one headless Chromium for the whole run
- `page`        a fresh context and tab per test, laptop size (1280x800)
- `phone_page`  the same at phone size (390x844, touch, mobile viewport)
- `log_in`      log_in(page, user): signs `user` in without the login form (session cookie)
- `artifacts`   the folder for screenshots (test-artifacts/, gitignored)

Each page records what the browser console complained about in `page.console_errors`
(CSP refusals show up there), so a test can assert the page ran clean.
"""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread, which trips Django's
# "you cannot call this from an async context" check whenever the test touches the database.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def fits_the_screen(page):
    """Nothing sticks out sideways. A phone widens its layout to fit what does, so innerWidth would
    grow with it: compare with the page's own viewport instead."""
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def settled(page):
    """htmx has finished with what it swapped in: new content is bound to htmx only once it settles
    (20 ms after the swap), and a click before that is a plain form submit."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-added, .htmx-settling, .htmx-swapping, .htmx-request')"
    )


def no_axe_violations(page, context=None):
    """axe-core (axe-playwright-python) finds nothing wrong on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, context=context)
    assert results.violations_count == 0, results.generate_report()


def shoot(page, artifacts, name):
    """A full-page screenshot in test-artifacts/ (and in SHOTS_DIR when set)."""
    folders = [artifacts] + ([Path(os.environ["SHOTS_DIR"])] if os.environ.get("SHOTS_DIR") else [])
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=folder / f"{name}.png", full_page=True, caret="initial")


@pytest.fixture(autouse=True)
def _static_files_by_plain_name(settings):
    """The live server serves /static/ from the source folders (by plain name), so pages ask for
    plain names rather than the hashed ones of the manifest storage used when DEBUG is off."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _new_page(browser, **context_options):
    context = browser.new_context(**context_options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.console_errors, page.recent_requests = [], []
    page.on("requestfinished", lambda r: page.recent_requests.append(f"{r.method} {r.url}"))
    # Each complaint says where it happened and what the page had just asked for.
    page.on(
        "console",
        lambda msg: (
            msg.type == "error"
            and page.console_errors.append(f"{msg.text} (at {page.url}, after {page.recent_requests[-3:]})")
        ),
    )
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    return page


@pytest.fixture
def page(browser):
    page = _new_page(browser, viewport=LAPTOP)
    yield page
    page.context.close()


@pytest.fixture
def phone_page(browser):
    page = _new_page(browser, viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    yield page
    page.context.close()


@pytest.fixture
def log_in(live_server):
    """log_in(page, user) signs `user` in on that page's browser, then the test goes where it likes."""
    from django.conf import settings
    from django.test import Client

    def log_in(page, user):
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
        return page

    return log_in


def sign_up_and_verify(page, live_server, mailoutbox, name, email, password):
    """Signs up through the form, follows the link mailed to `email`, and logs in: the dashboard is open."""
    from playwright.sync_api import expect

    from tests.conftest import verification_link

    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Password again").fill(password)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    page.goto(live_server.url + verification_link(mailoutbox, email.lower()))
    expect(page.get_by_role("heading", name="Your address is verified")).to_be_visible()
    page.get_by_role("link", name="Log in to make a video").click()
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Create a video")).to_be_visible()
    page.wait_for_load_state("load")  # htmx binds the form's listeners once the page has loaded
    return page


@pytest.fixture
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
