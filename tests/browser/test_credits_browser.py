"""Credits as a new creator meets them, in real Chromium against the real server, a real django-q2
cluster and the sandbox: the cost before each video, a failed video that costs nothing, the header that
follows along, the usage page with today's spending, running short, the budget question; and the
operator's view in admin."""

import re

import pytest
from playwright.sync_api import expect

from accounts import credits
from accounts.models import User
from generations.models import Generation
from tests.browser.conftest import fits_the_screen, no_axe_violations, shoot, sign_up_and_verify

pytestmark = pytest.mark.browser


def balance(page):
    return page.locator("#credit-balance")


def choose(page, label, option):
    """Picks an option and waits for the form's settings to come back for it (one request at a time)."""
    page.wait_for_load_state("load")  # htmx binds its listeners once the page has loaded
    page.wait_for_function("() => window.htmx !== undefined && document.readyState === 'complete'")
    with page.expect_response(lambda r: "/create/options/" in r.url):
        page.get_by_label(label).select_option(label=option)


def generate(page, prompt):
    page.get_by_label("Describe your video").fill(prompt)
    page.get_by_role("button", name="Generate video").click()


def test_a_new_creator_sees_every_cost_and_a_failure_costs_nothing(
    live_server, cluster, page, phone_page, log_in, settings, artifacts, mailoutbox
):
    settings.PIXAPI_SANDBOX_SECONDS = 2
    sign_up_and_verify(page, live_server, mailoutbox, "Lin Wu", "lin@example.com", "frames-per-second-24")

    expect(balance(page)).to_have_text("100 credits")
    choose(page, "Length", "2 seconds")
    expect(page.locator("#cost")).to_have_text("This video costs 4 credits. You have 100, so 96 left after it.")
    expect(page.get_by_text("Veo and Kling come with other plans")).to_be_visible()

    generate(page, "A paper lantern drifting up [sandbox:fail-rejected]")
    expect(balance(page)).to_have_text("96 credits")  # held while it is made
    failed = page.get_by_role("article", name=re.compile("A paper lantern"))
    expect(failed.get_by_text("your 4 credits are back")).to_be_visible(timeout=30_000)
    expect(balance(page)).to_have_text("100 credits")

    generate(page, "A paper lantern drifting up over a lake")
    ready = page.get_by_role("article", name=re.compile("over a lake"))
    expect(ready.locator("video")).to_be_visible(timeout=60_000)
    expect(balance(page)).to_have_text("96 credits")
    page.screenshot(path=artifacts / "credits-dashboard-laptop.png", full_page=True, caret="initial")

    balance(page).click()
    expect(page.get_by_role("heading", name="Credits and usage")).to_be_visible()
    ledger = page.locator("#ledger")
    returned = ledger.locator("tr.kind-release")  # the failed video: one line, its hold came back
    expect(returned).to_have_count(1)
    expect(returned).to_contain_text("Returned 4 credits: A paper lantern drifting up")
    expect(returned).to_contain_text("not made, nothing spent")
    expect(ledger.locator("tr.kind-hold")).to_have_count(0)  # nothing is in progress now
    expect(ledger.locator("tr.kind-charge")).to_have_count(1)
    expect(ledger.locator("tr.kind-charge")).to_contain_text("A paper lantern drifting up over a lake")
    today = page.locator(".day-chart-wide rect.bar-today")
    expect(today).to_have_attribute("data-credits", "4")
    assert float(today.get_attribute("height")) > 20  # today's bar is drawn, and tall: it is the peak
    page.get_by_label("Show").select_option(label="Spent")
    page.get_by_role("button", name="Filter").click()
    expect(ledger.locator("tbody tr")).to_have_count(1)
    no_axe_violations(page)
    shoot(page, artifacts, "usage-laptop")
    assert page.console_errors == [], page.console_errors

    log_in(phone_page, User.objects.get(email="lin@example.com"))
    phone_page.goto(f"{live_server.url}/accounts/usage/")
    expect(phone_page.get_by_role("heading", name="Spending per day")).to_be_visible()
    expect(phone_page.locator(".day-chart-narrow rect.bar-today")).to_be_visible()
    expect(phone_page.locator(".day-chart-wide")).to_be_hidden()
    assert fits_the_screen(phone_page)
    no_axe_violations(phone_page)
    shoot(phone_page, artifacts, "usage-phone")
    assert phone_page.console_errors == [], phone_page.console_errors


def test_running_short_and_the_budget_question(live_server, page, phone_page, log_in, owner, artifacts):
    credits.adjust(owner, -994, reason="Most of it spent")  # 6 left
    log_in(page, owner)
    page.goto(f"{live_server.url}/")
    choose(page, "Model", "Wan")
    choose(page, "Length", "4 seconds")
    expect(page.locator("#cost")).to_contain_text("This video costs 8 credits and you have 6 credits.")
    button = page.get_by_role("button", name="Generate video")
    expect(button).to_be_disabled()  # not a bright button that refuses once pressed
    expect(button).to_have_accessible_description(re.compile("This video costs 8 credits and you have 6 credits"))
    ask = page.get_by_role("link", name="Ask for more credits")
    expect(ask).to_have_attribute("href", "/pricing/#ask")
    no_axe_violations(page)
    shoot(page, artifacts, "credits-short-laptop")

    choose(page, "Length", "2 seconds")  # 4 of 6: within reach again
    expect(button).to_be_enabled()
    expect(ask).to_have_count(0)
    page.evaluate("window.sameDocument = true")
    generate(page, "Cherry blossom petals falling")
    expect(page.get_by_role("article", name=re.compile("Cherry blossom"))).to_be_visible()
    expect(balance(page)).to_have_text("2 credits")  # the header follows the hold, without a reload
    assert page.evaluate("window.sameDocument === true")
    expect(page.get_by_role("button", name="Generate video")).to_be_disabled()  # 2 left: not another one
    assert not Generation.objects.exclude(prompt="Cherry blossom petals falling").exists()
    assert page.console_errors == [], page.console_errors

    credits.grant(owner, 100, description="Top-up")
    User.objects.filter(pk=owner.pk).update(monthly_budget=5)
    page.goto(f"{live_server.url}/")
    choose(page, "Model", "Wan")
    choose(page, "Length", "4 seconds")
    warning = page.locator("#cost-budget")  # before the click
    expect(warning).to_have_text(
        "This video (8 credits) would take this month's spending to 12 credits, past your monthly budget of 5 credits. "
        "The studio will ask before it starts."
    )
    expect(page.get_by_role("button", name="Generate video")).to_have_accessible_description(re.compile("past your"))
    no_axe_violations(page)
    shoot(page, artifacts, "credits-budget-warning-laptop")
    generate(page, "Cherry blossom petals falling")
    question = page.locator(".budget-question")
    expect(question).to_contain_text("past your monthly budget of 5 credits")
    page.screenshot(path=artifacts / "credits-budget-laptop.png", full_page=True, caret="initial")
    question.get_by_role("button", name="Generate anyway").click()
    expect(page.get_by_role("article", name=re.compile("Cherry blossom"))).to_have_count(2)
    expect(balance(page)).to_have_text("94 credits")
    assert page.console_errors == [], page.console_errors

    credits.adjust(owner, -93, reason="Spent elsewhere")  # 1 left
    log_in(phone_page, owner)
    phone_page.goto(f"{live_server.url}/")
    expect(phone_page.locator("#credit-balance")).to_be_visible()
    expect(phone_page.get_by_role("button", name="Generate video")).to_be_disabled()
    expect(phone_page.get_by_role("link", name="Ask for more credits")).to_be_visible()
    assert fits_the_screen(phone_page)
    no_axe_violations(phone_page)
    shoot(phone_page, artifacts, "credits-short-phone")


def test_credits_coming_back_enable_generate_again(live_server, page, log_in, owner, artifacts):
    credits.adjust(owner, -990, reason="Most of it spent")  # 10 left
    log_in(page, owner)
    page.goto(f"{live_server.url}/")
    choose(page, "Model", "Wan")
    choose(page, "Length", "4 seconds")
    generate(page, "A kite that will not fly")
    expect(balance(page)).to_have_text("2 credits")
    button = page.get_by_role("button", name="Generate video")
    expect(button).to_be_disabled()  # the same again costs 8

    gen = Generation.objects.get()
    Generation.objects.filter(pk=gen.pk).update(status=Generation.Status.DOWNLOADING)
    gen.refresh_from_db()
    gen.mark_failed("service_error", "It broke. Nothing was charged.")  # its 8 credits come back

    expect(balance(page)).to_have_text("10 credits")  # the poller brings the header along
    expect(button).to_be_enabled()  # and the form with it, without a reload
    expect(page.locator("#cost")).to_have_text("This video costs 8 credits. You have 10, so 2 left after it.")
    assert page.console_errors == [], page.console_errors


@pytest.mark.parametrize("size", ["laptop", "phone"])
def test_the_ledger_reads_one_line_per_video(live_server, page, phone_page, log_in, owner, artifacts, size):
    page = page if size == "laptop" else phone_page
    for ref, prompt, end in [
        ("generation:a", "A red kite over the dunes at dawn", "stored"),
        ("generation:b", "A storm at sea, waves breaking over a lighthouse", "failed"),
        ("generation:c", "A fox trotting through fresh snow", "edited"),
    ]:
        credits.hold(owner, 4, reference=ref, description=prompt)
        if end == "stored":
            credits.charge(owner, ref)
        elif end == "failed":
            credits.release(owner, ref)
        else:  # edited while it waited: the old hold back, the new one held, still in progress
            credits.release(owner, ref)
            credits.hold(owner, 6, reference=f"{ref}#2", description=prompt)
    log_in(page, owner)
    page.goto(f"{live_server.url}/accounts/usage/#ledger")
    rows = page.locator("#ledger tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.nth(0)).to_contain_text("Held 6 credits: A fox trotting through fresh snow")
    expect(rows.nth(0)).to_contain_text("in progress")
    expect(rows.nth(1)).to_contain_text("Returned 4 credits: A storm at sea")
    expect(rows.nth(2)).to_contain_text("Spent 4 credits: A red kite over the dunes at dawn")
    expect(rows.nth(3)).to_contain_text("Credits added")
    expect(page.locator("#ledger tbody td:last-child")).to_have_text(["990", "996", "996", "1,000"])
    assert fits_the_screen(page)
    no_axe_violations(page)
    shoot(page, artifacts, f"ledger-{size}")
    assert page.console_errors == [], page.console_errors


@pytest.mark.parametrize("size", ["laptop", "phone"])
def test_the_wizard_review_disables_make_when_short(
    live_server, page, phone_page, log_in, owner, media_root, artifacts, size
):
    from PIL import Image

    from generations import pictures
    from generations.models import Draft, Picture

    page = page if size == "laptop" else phone_page
    credits.adjust(owner, -995, reason="Most of it spent")  # 5 left; 5 seconds of Wan cost 10
    picture = pictures.keep(owner, Image.new("RGB", (900, 600), (240, 140, 40)), Picture.UPLOAD, name="sky.jpg")
    draft = Draft.objects.create(
        user=owner, picture=picture, prompt="The sun sinks", model="wan", duration=5, size="1280x720", step="review"
    )
    log_in(page, owner)
    page.goto(f"{live_server.url}/animate/{draft.pk}/review/")
    make = page.get_by_role("button", name="Make my video")
    expect(make).to_be_disabled()
    expect(make).to_have_accessible_description(re.compile("This video costs 10 credits and you have 5 credits"))
    expect(page.get_by_role("link", name="Ask for more credits")).to_have_attribute("href", "/pricing/#ask")
    assert fits_the_screen(page)
    no_axe_violations(page)
    shoot(page, artifacts, f"wizard-review-short-{size}")
    assert page.console_errors == [], page.console_errors


def test_operators_see_credits_in_admin(live_server, page, log_in, operator, owner, artifacts):
    from accounts import alerts

    alerts.raise_alert(alerts.PIXAPI_ACCOUNT, alerts.MESSAGES["InsufficientCredits"], detail="InsufficientCredits 402")
    log_in(page, operator)
    page.goto(f"{live_server.url}/admin/accounts/user/")
    expect(page.get_by_text("Needs an operator:")).to_be_visible()
    expect(page.get_by_role("link", name="1,000")).to_be_visible()
    page.screenshot(path=artifacts / "admin-users-credits.png", full_page=True)
    page.get_by_role("row", name=re.compile("owner@example.com")).get_by_role("checkbox").check()
    page.get_by_label("Action:").select_option(label="Grant credits to the selected creators…")
    page.get_by_role("button", name="Run").click()
    page.get_by_label("Credits").fill("25")
    page.get_by_label("Reason").fill("Sorry about Tuesday's outage")
    page.screenshot(path=artifacts / "admin-grant-credits.png", full_page=True)
    page.get_by_role("button", name="Grant credits").click()
    expect(page.get_by_text("Granted 25 credits to 1 creator(s).")).to_be_visible()
    expect(page.get_by_role("link", name="1,025")).to_be_visible()
    page.goto(f"{live_server.url}/admin/accounts/creditentry/spending/")
    expect(page.get_by_role("heading", name="Spending across the studio")).to_be_visible()
    page.screenshot(path=artifacts / "admin-spending.png", full_page=True)
    assert page.console_errors == [], page.console_errors
