"""The status page as a visitor meets it, at laptop and phone size: each model's state and last hour,
nothing sideways, and axe-core finds no violation."""

import pytest
from playwright.sync_api import expect

from catalog.models import CatalogModel
from generations import health
from tests.browser.conftest import fits_the_screen, no_axe_violations, shoot
from tests.ops.test_status import made

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("size", ["laptop", "phone"])]


def test_a_visitor_reads_how_each_model_is_doing(live_server, page, phone_page, owner, artifacts, size):
    page = page if size == "laptop" else phone_page
    for seconds in (30, 40, 50):
        made(owner, "wan", seconds)
    CatalogModel.objects.filter(slug="kling").update(queue_paused=True)
    health.refresh()

    page.goto(f"{live_server.url}/status/")

    expect(page.get_by_role("heading", name="Status", exact=True)).to_be_visible()
    wan = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Wan"))
    expect(wan).to_contain_text("Working")
    expect(wan).to_contain_text("100%")
    expect(page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Kling"))).to_contain_text("Paused")
    assert fits_the_screen(page)
    no_axe_violations(page)
    shoot(page, artifacts, f"status-{size}")
