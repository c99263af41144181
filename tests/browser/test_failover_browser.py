"""Failover as a creator sets it up and meets it, at laptop and phone size: the profile's choice, the
create form's box, and the card that says where a video was made and why; axe finds nothing."""

import pytest
from playwright.sync_api import expect

from catalog.models import CatalogModel
from generations import failover
from generations.models import Generation
from tests.browser.conftest import fits_the_screen, no_axe_violations, shoot
from tests.browser.test_prompt_bar_browser import creator

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("size", ["laptop", "phone"])]


def test_allow_failover_then_see_a_video_moved_to_the_next_model(
    live_server, queue, page, phone_page, log_in, artifacts, size
):
    page = page if size == "laptop" else phone_page
    user = creator("juno")
    log_in(page, user)

    page.goto(f"{live_server.url}/accounts/profile/")
    page.get_by_label("Make it on the next model I allow").check()
    page.get_by_label("At most this many credits more").fill("5")
    page.get_by_label("First choice").select_option("wan")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Saved: what happens when a model is unavailable.")).to_be_visible()
    assert fits_the_screen(page)
    no_axe_violations(page)
    shoot(page, artifacts, f"failover-profile-{size}")

    CatalogModel.objects.filter(slug="veo").update(queue_paused=True)
    page.goto(f"{live_server.url}/")
    box = page.get_by_label("If this model is unavailable, make it on the next one I allow (at most 5 credits more)")
    expect(box).to_be_checked()
    page.get_by_label("Describe your video").fill("A lighthouse at dusk, waves rolling in")
    page.get_by_label("Model", exact=True).select_option("veo")
    page.get_by_role("button", name="Generate video").click()
    expect(page.locator(".gen-card").first).to_contain_text("Waiting")
    gen = Generation.objects.get(user=user)

    failover.reroute_stuck()
    page.reload()
    expect(page.locator(f"#generation-{gen.pk}")).to_contain_text("Made on Wan because Veo was paused for maintenance")
    assert fits_the_screen(page)
    no_axe_violations(page)
    shoot(page, artifacts, f"failover-card-{size}")
