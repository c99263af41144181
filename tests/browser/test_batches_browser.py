"""Batches in real Chromium: from the dashboard's link, three prompts pasted, the total and the balance
after it, one confirmation, and the batch's page; a file's mistakes named by line. At laptop and phone
size, nothing sideways, and axe-core finds no violation. Screenshots go to test-artifacts/."""

import re

import pytest
from playwright.sync_api import expect

from accounts import credits
from generations.models import Batch, Generation
from tests.browser.conftest import fits_the_screen, no_axe_violations, shoot

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("size", ["laptop", "phone"])]


def looks_right(page, artifacts, name):
    assert fits_the_screen(page), f"{name} scrolls sideways"
    no_axe_violations(page)
    shoot(page, artifacts, name)
    assert page.console_errors == [], page.console_errors


def test_three_pasted_prompts_make_a_batch(live_server, page, phone_page, log_in, owner, queue, artifacts, size):
    page = page if size == "laptop" else phone_page
    log_in(page, owner)
    page.goto(live_server.url + "/")
    shoot(page, artifacts, f"batch-dashboard-link-{size}")
    page.get_by_role("link", name="Make a batch").click()
    expect(page.get_by_role("heading", name="Make a batch")).to_be_visible()
    page.wait_for_load_state("load")
    looks_right(page, artifacts, f"batch-new-{size}")

    page.get_by_label("Prompts, one a line").fill(
        "A lighthouse at dusk, waves rolling in\nA red fox trotting through fresh snow\nRain on a tin roof, close up"
    )
    page.get_by_role("button", name="See the total").click()
    expect(page.get_by_role("heading", name="Check your batch")).to_be_visible()
    expect(page.locator("#batch-total")).to_have_text("24 credits")
    expect(page.locator("#batch-after")).to_have_text("976 credits")
    expect(page.get_by_role("cell", name=re.compile("^A red fox trotting through fresh snow"))).to_be_visible()
    assert not Generation.objects.exists()
    looks_right(page, artifacts, f"batch-preview-{size}")

    page.get_by_role("button", name="Confirm 3 videos").click()
    batch = Batch.objects.get()
    expect(page.get_by_role("heading", name=str(batch))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Rain on a tin roof"))).to_be_visible()
    assert batch.generations.count() == 3
    assert credits.balance_of(owner) == 976
    looks_right(page, artifacts, f"batch-page-{size}")

    page.get_by_role("link", name="Your batches").click()
    expect(page.get_by_role("link", name=str(batch))).to_be_visible()
    looks_right(page, artifacts, f"batch-list-{size}")


def test_a_files_mistakes_are_named_by_line(live_server, page, phone_page, log_in, owner, tmp_path, artifacts, size):
    page = page if size == "laptop" else phone_page
    log_in(page, owner)
    upload = tmp_path / "shots.csv"
    upload.write_text("prompt,model,duration,size\nA fox,wan,4,\nWaves,wan,20,\nA kite,veo,5,square\n")
    page.goto(live_server.url + "/batches/new/")
    page.wait_for_function("() => window.htmx !== undefined && document.readyState === 'complete'")
    with page.expect_response(lambda r: "/batches/new/options/" in r.url):
        page.get_by_label("Model").select_option(label="Kling")  # its lengths come with it
    expect(page.get_by_label("Length").locator("option")).to_have_text(["5 seconds", "10 seconds"])
    page.get_by_label("Model").select_option(label="Wan")
    expect(page.get_by_label("Length").locator("option").first).to_have_text("2 seconds")
    page.get_by_label("Or upload a CSV file").set_input_files(upload)
    page.get_by_role("button", name="See the total").click()
    errors = page.get_by_role("alert")
    expect(errors).to_contain_text("Line 3: Wan makes videos of 2 to 15 seconds, not 20.")
    expect(errors).to_contain_text('Line 4: "square" is not a shape.')
    assert not Generation.objects.exists()
    looks_right(page, artifacts, f"batch-errors-{size}")
