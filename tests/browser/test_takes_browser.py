"""Takes in real Chromium at laptop and phone size: the Models page (sample clips that play), a draft made
final (the price and the difference, one confirmation), the library's set-aside view (restore); axe-core
finds nothing wrong on each, and nothing sticks out sideways."""

import pytest
from playwright.sync_api import expect

from catalog.models import CatalogModel
from compare import takes
from generations.models import Comparison, Generation, ModelSample
from tests.browser.conftest import fits_the_screen, no_axe_violations, shoot
from tests.generations.videos import make_video

pytestmark = pytest.mark.browser


@pytest.fixture
def studio(owner, outsider, media_root, queue):
    comparison = Comparison.objects.create(user=owner, prompt="A red kite over the dunes at dawn")
    kept, *others = [
        make_video(owner, prompt=comparison.prompt, model=slug, comparison=comparison)
        for slug in ("veo", "wan", "kling")
    ]
    takes.keep(comparison, kept)
    for position, slug in enumerate(("veo", "kling")):
        sample = make_video(outsider, prompt=f"A {slug} sample", model=slug)
        ModelSample.objects.create(model=CatalogModel.objects.get(slug=slug), generation=sample, position=position)
    return comparison, kept, others


@pytest.mark.parametrize("size", ["laptop", "phone"])
def test_models_final_and_set_aside_pages(live_server, page, phone_page, log_in, owner, studio, artifacts, size):
    comparison, kept, others = studio
    tab = page if size == "laptop" else phone_page

    tab.goto(f"{live_server.url}/models/")
    expect(tab.get_by_role("heading", name="Models", exact=True)).to_be_visible()
    expect(tab.get_by_role("heading", name="Kling")).to_be_visible()
    expect(tab.locator(".model-sample video")).to_have_count(2)
    tab.locator(".model-sample video").first.evaluate("v => v.play()")
    tab.wait_for_function("document.querySelector('.model-sample video').currentTime > 0")
    assert fits_the_screen(tab)
    no_axe_violations(tab)
    shoot(tab, artifacts, f"takes-models-{size}")

    log_in(tab, owner)
    tab.goto(f"{live_server.url}/generations/{kept.pk}/")
    expect(tab.get_by_text("A take of a comparison")).to_be_visible()
    tab.get_by_role("link", name="Make final").click()
    expect(tab.get_by_role("heading", name="Make it final")).to_be_visible()
    expect(tab.get_by_text("more than the draft").first).to_be_visible()
    assert fits_the_screen(tab)
    no_axe_violations(tab)
    shoot(tab, artifacts, f"takes-final-{size}")

    tab.goto(f"{live_server.url}/library/?show=set_aside")
    expect(tab.get_by_role("heading", name="Set aside")).to_be_visible()
    expect(tab.locator(".lib-card")).to_have_count(2)
    assert fits_the_screen(tab)
    no_axe_violations(tab)
    shoot(tab, artifacts, f"takes-set-aside-{size}")

    tab.locator(".lib-restore button").first.click()
    expect(tab.get_by_text("Back in your library.")).to_be_visible()
    expect(tab.locator(".lib-card")).to_have_count(1)
    assert Generation.objects.filter(set_aside=True).count() == 1

    if size == "laptop":  # one confirmation makes the final, its price held
        tab.goto(f"{live_server.url}/generations/{kept.pk}/final/")
        tab.get_by_role("button", name="Make it final").click()
        expect(tab.get_by_text("Final of")).to_be_visible()
        final = Generation.objects.get(source=kept)
        assert final.is_final and final.size == "1920x1080"
    assert not tab.console_errors
