"""The pages of sign-up, verification, the log-in lockout, tokens, webhooks, export, the wizard, usage and
pricing, each at laptop and phone size, as the creator who meets them: what they see, nothing sideways,
and axe-core finds no violation. Screenshots go to test-artifacts/ (and SHOTS_DIR when set)."""

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from tests.browser.conftest import fits_the_screen, no_axe_violations, shoot
from tests.browser.test_wizard_browser import photo
from tests.conftest import verification_link, with_credits
from tests.generations.videos import make_video
from webhooks.models import WebhookEndpoint

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("size", ["laptop", "phone"])]


def at(size, page, phone_page):
    return page if size == "laptop" else phone_page


WIDER = """width => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > width + 1)
    .slice(0, 5).map(e => e.tagName + '.' + e.className).join(', ')"""


def looks_right(page, artifacts, name, refused=False):
    """`refused`: the page itself answers with a 4xx status, which the console reports as an error."""
    assert fits_the_screen(page), f"{name} scrolls sideways: " + page.evaluate(WIDER, page.viewport_size["width"])
    no_axe_violations(page)
    shoot(page, artifacts, name)
    errors = [e for e in page.console_errors if not (refused and e.startswith("Failed to load resource"))]
    assert errors == [], errors
    page.console_errors.clear()


def test_sign_up_then_verify(live_server, page, phone_page, mailoutbox, artifacts, size):
    page = at(size, page, phone_page)
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Your name").fill("Ada")
    page.get_by_label("Email address").fill("ada@example.com")
    page.get_by_label("Password", exact=True).fill("a long pass phrase 42")
    page.get_by_label("Password again").fill("a long pass phrase 42")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    looks_right(page, artifacts, f"signup-sent-{size}")

    page.goto(f"{live_server.url}/accounts/verify/not-a-real-link/")
    expect(page.get_by_role("heading", name="Verify your email address")).to_be_visible()
    expect(page.get_by_role("alert")).to_be_visible()
    looks_right(page, artifacts, f"verify-broken-{size}", refused=True)

    page.goto(live_server.url + verification_link(mailoutbox, "ada@example.com"))
    expect(page.get_by_role("heading", name="Your address is verified")).to_be_visible()
    looks_right(page, artifacts, f"verify-ok-{size}")


def test_the_dashboard_asks_to_verify(live_server, page, phone_page, log_in, artifacts, size):
    page = at(size, page, phone_page)
    unverified = User.objects.create_user(username="new", email="new@example.com", password="pw-new-12345")
    log_in(page, unverified)
    page.goto(f"{live_server.url}/")
    notice = page.get_by_role("region", name="Verify your email address")
    expect(notice.get_by_role("button", name="Send the link again")).to_be_visible()
    looks_right(page, artifacts, f"dashboard-verify-{size}")


def test_the_log_in_locks_out(live_server, page, phone_page, owner, artifacts, size):
    page = at(size, page, phone_page)
    page.goto(f"{live_server.url}/accounts/login/")
    for _ in range(django_settings.AXES_FAILURE_LIMIT + 1):
        page.get_by_label("Email address").fill("owner@example.com")
        page.get_by_label("Password").fill("wrong guess")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state("load")
    expect(page.get_by_text("Too many failed log-ins")).to_be_visible()
    looks_right(page, artifacts, f"login-locked-{size}", refused=True)


def test_profile_tokens_and_the_api_guide(live_server, page, phone_page, log_in, owner, artifacts, size):
    page = at(size, page, phone_page)
    log_in(page, owner)
    page.goto(f"{live_server.url}/accounts/profile/")
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    expect(page.get_by_role("link", name="Your webhook endpoints")).to_be_visible()
    looks_right(page, artifacts, f"profile-{size}")

    page.get_by_role("link", name="Your API tokens").click()
    page.get_by_label("Name").fill("my script")
    page.get_by_label("Your password").fill("pw-owner-123")
    page.get_by_role("button", name="Make token").click()
    expect(page.get_by_label("The new token")).to_contain_text("st_")
    looks_right(page, artifacts, f"api-tokens-{size}")

    page.goto(f"{live_server.url}/api/")
    expect(page.get_by_role("heading", name="Use the API")).to_be_visible()
    looks_right(page, artifacts, f"api-guide-{size}")


def test_webhooks(live_server, page, phone_page, log_in, owner, artifacts, size):
    page = at(size, page, phone_page)
    endpoint = WebhookEndpoint.objects.create(
        user=owner, url="https://hooks.example.com/studio", events=["video.ready"]
    )
    log_in(page, owner)
    page.goto(f"{live_server.url}/webhooks/")
    expect(page.get_by_label("Endpoint URL")).to_be_visible()
    expect(page.get_by_text("https://hooks.example.com/studio").first).to_be_visible()
    looks_right(page, artifacts, f"webhooks-{size}")

    page.goto(f"{live_server.url}/webhooks/{endpoint.pk}/")
    expect(page.get_by_role("button", name="Send a test event")).to_be_visible()
    looks_right(page, artifacts, f"webhook-endpoint-{size}")


def test_library_usage_and_pricing(live_server, page, phone_page, log_in, owner, media_root, artifacts, size):
    page = at(size, page, phone_page)
    make_video(owner, prompt="A lighthouse at dusk")
    log_in(page, owner)
    page.goto(f"{live_server.url}/library/")
    expect(page.get_by_role("button", name="Export your library (ZIP)")).to_be_visible()
    looks_right(page, artifacts, f"library-{size}")

    page.goto(f"{live_server.url}/accounts/usage/")
    expect(page.get_by_role("heading", name="Credits and usage")).to_be_visible()
    looks_right(page, artifacts, f"usage-{size}")

    page.goto(f"{live_server.url}/pricing/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    looks_right(page, artifacts, f"pricing-{size}")


def test_the_wizard_for_a_free_creator(live_server, page, phone_page, log_in, tmp_path, artifacts, size):
    page = at(size, page, phone_page)
    free = User.objects.create_user(
        username="free", email="free@example.com", password="pw-free-12345", email_verified_at=timezone.now()
    )
    with_credits(free, amount=100, plan="free")
    log_in(page, free)
    page.goto(f"{live_server.url}/animate/")
    expect(page.get_by_role("heading", name="Which picture should come to life?")).to_be_visible()
    looks_right(page, artifacts, f"wizard-picture-{size}")

    page.get_by_label("Drop a picture here").set_input_files(photo(tmp_path / "sea.jpg"))
    page.get_by_role("button", name="Next: motion").click()
    page.get_by_label("Describe the movement").fill("Waves roll in")
    page.get_by_role("button", name="Next: settings").click()
    expect(page.get_by_role("heading", name="How should the video be made?")).to_be_visible()
    expect(page.get_by_text("Comes with the Pro plan")).to_be_visible()
    expect(page.get_by_role("radio", name="Veo")).to_be_disabled()
    looks_right(page, artifacts, f"wizard-settings-free-{size}")
