"""A visitor at the front door on a laptop and a phone: what the studio does, sample clips playing, the
plans and what the free credits make, the way to sign up; a creator asks for another plan and an operator
resolves it in admin; error pages in the studio's look; the admin's lists fit a laptop. axe-core finds no
violation on any of these pages. Screenshots go to test-artifacts/ (and SHOTS_DIR when set)."""

import pytest
from playwright.sync_api import expect

from accounts.models import Plan, UpgradeRequest
from generations.models import Generation
from tests.browser.conftest import fits_the_screen, no_axe_violations, shoot
from tests.generations.videos import make_generation

pytestmark = pytest.mark.browser

SENTENCE = "Studio turns a few words or a picture into a short video you can keep and share."


def playing(page, video):
    page.wait_for_function(
        "v => v.readyState >= 2 && !v.paused && v.currentTime > 0.2", arg=video.element_handle(), timeout=15_000
    )


@pytest.mark.parametrize("size", ["laptop", "phone"])
def test_a_visitor_understands_the_studio_before_signing_up(live_server, page, phone_page, artifacts, size):
    page = page if size == "laptop" else phone_page
    page.goto(f"{live_server.url}/")

    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(SENTENCE)
    assert heading.bounding_box()["y"] < page.viewport_size["height"] / 2  # said at once, at the top

    first_clip = page.get_by_role("figure").first
    expect(first_clip).to_contain_text("Sample")
    expect(first_clip.locator("video")).to_be_in_viewport()
    playing(page, first_clip.locator("video"))

    plans = page.get_by_role("region", name="Plans")
    for plan in Plan.objects.all():
        expect(plans.get_by_role("heading", name=plan.name)).to_be_visible()
    expect(plans.get_by_text("About 6 clips of 8 seconds with Wan, free")).to_be_visible()
    expect(page.get_by_text("Your free 100 credits make about 6 clips of 8 seconds.")).to_be_in_viewport()

    assert page.locator(".site-header").bounding_box()["height"] < 70  # one line, phone included
    assert fits_the_screen(page)
    no_axe_violations(page)
    shoot(page, artifacts, f"front-door-{size}")
    assert page.console_errors == []

    page.get_by_role("link", name="Sign up free").first.click()
    expect(page.get_by_role("heading", name="Create your studio")).to_be_visible()


def test_a_creator_asks_for_a_plan_and_an_operator_resolves_it(
    live_server, page, phone_page, log_in, owner, operator, artifacts, browser
):
    owner.plan = Plan.objects.get(slug="free")
    owner.save(update_fields=["plan"])
    log_in(phone_page, owner)
    phone_page.goto(f"{live_server.url}/pricing/")
    assert fits_the_screen(phone_page)
    no_axe_violations(phone_page)
    shoot(phone_page, artifacts, "pricing-phone")

    log_in(page, owner)
    page.goto(f"{live_server.url}/pricing/")
    expect(page.get_by_role("heading", name="Plans and prices")).to_be_visible()
    no_axe_violations(page)
    shoot(page, artifacts, "pricing-laptop")
    page.get_by_label("Plan you would like").select_option(label="Creator")
    page.get_by_label("Anything the studio team should know (optional)").fill("Longer clips for a short film")
    page.get_by_role("button", name="Send my request").click()

    expect(page.get_by_text("the studio team has your request for the Creator plan")).to_be_visible()
    no_axe_violations(page)
    shoot(page, artifacts, "pricing-asked-laptop")
    assert page.console_errors == []

    staff = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    log_in(staff, operator)
    staff.goto(f"{live_server.url}/admin/accounts/upgraderequest/?status=open")
    row = staff.get_by_role("row", name="Longer clips for a short film")
    expect(row).to_contain_text("Olive Owner")
    row.get_by_role("checkbox").check()
    staff.get_by_role("combobox", name="Action").select_option(label="Mark resolved")
    staff.get_by_role("button", name="Run").click()
    expect(staff.get_by_text("Resolved 1 upgrade request(s).")).to_be_visible()
    no_axe_violations(staff)
    shoot(staff, artifacts, "admin-upgrade-requests-laptop")
    assert UpgradeRequest.objects.get().resolved_at is not None
    staff.context.close()


@pytest.mark.parametrize("size", ["laptop", "phone"])
def test_a_missing_page_is_styled(live_server, page, phone_page, artifacts, size):
    page = page if size == "laptop" else phone_page
    page.goto(f"{live_server.url}/no-such-page/")

    expect(page.get_by_role("heading", name="We could not find that page")).to_be_visible()
    expect(page.get_by_role("link", name="Studio", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Go to the Studio's front page")).to_be_visible()
    assert page.evaluate("getComputedStyle(document.querySelector('.error-page')).borderRadius") != "0px"
    assert fits_the_screen(page)
    no_axe_violations(page)
    shoot(page, artifacts, f"not-found-{size}")


def test_the_admin_lists_fit_a_laptop(live_server, page, log_in, owner, operator, artifacts):
    Status = Generation.Status
    for status in (Status.RUNNING, Status.QUEUED, Status.FAILED, Status.COMPLETED):
        make_generation(
            owner,
            status=status,
            prompt="A very long prompt about a lighthouse at dusk " * 6,
            error_message="The model turned this prompt down." if status == Status.FAILED else "",
        )
    log_in(page, operator)
    for name, path in [
        ("admin-index", "/admin/"),
        ("admin-generations", "/admin/generations/generation/"),
        ("admin-users", "/admin/accounts/user/"),
    ]:
        page.goto(f"{live_server.url}{path}")
        shoot(page, artifacts, f"{name}-laptop")
        assert fits_the_screen(page), f"{path} scrolls sideways at 1280 px"
        clipped = page.evaluate(
            "[...document.querySelectorAll('#changelist .results')].filter(r => r.scrollWidth > r.clientWidth).length"
        )
        assert clipped == 0, f"{path}: the list's columns are cut off at 1280 px"
        no_axe_violations(page)
    page.goto(f"{live_server.url}/admin/")
    expect(page.get_by_role("link", name="1 Waiting to start")).to_be_visible()
    no_axe_violations(page)


@pytest.mark.parametrize("size", ["laptop", "phone"])
def test_the_500_page_is_styled_without_the_database(live_server, page, phone_page, artifacts, size):
    from django.test import RequestFactory
    from django.views import defaults

    page = page if size == "laptop" else phone_page
    html = defaults.server_error(RequestFactory().get("/")).content.decode()
    page.goto(f"{live_server.url}/ping/")  # the studio's address, so the page's static files load
    page.set_content(html, wait_until="load")

    expect(page.get_by_role("heading", name="Something went wrong on our side")).to_be_visible()
    assert page.evaluate("getComputedStyle(document.querySelector('.error-page')).borderRadius") != "0px"
    assert fits_the_screen(page)
    no_axe_violations(page)
    shoot(page, artifacts, f"server-error-{size}")
