"""Buying credits in real Chromium: the pricing page's packs, Stripe's (stand-in's) checkout page, and
the credits on the page the creator comes back to, at laptop and phone size, with axe on each page."""

import pytest
from playwright.sync_api import expect

from accounts import credits
from billing.models import CreditPack
from tests.billing.conftest import stripe_url  # noqa: F401 (a fixture)
from tests.browser.conftest import fits_the_screen, no_axe_violations, shoot

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("size", ["laptop", "phone"])
def test_pricing_to_checkout_to_balance(size, live_server, stripe_url, owner, page, phone_page, log_in, artifacts):  # noqa: F811
    page = page if size == "laptop" else phone_page
    log_in(page, owner)
    before = credits.balance_of(owner)
    page.goto(f"{live_server.url}/pricing/")
    packs = page.locator("#packs")
    expect(packs).to_contain_text("never expire")
    expect(packs).to_contain_text("10.00 USD")
    assert fits_the_screen(page)
    no_axe_violations(page)
    shoot(page, artifacts, f"billing-pricing-{size}")

    page.get_by_role("button", name="Buy 1000 credits for 10.00 USD").click()
    expect(page.get_by_role("heading", name="Pay 10.00 USD")).to_be_visible()
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Pay").click()

    expect(page.get_by_role("heading", name="Your credits are here")).to_be_visible()
    assert credits.balance_of(owner) == before + 1000
    expect(page.locator("#payment-status")).to_contain_text("1000 credits were added")
    assert fits_the_screen(page)
    no_axe_violations(page)
    shoot(page, artifacts, f"billing-paid-{size}")

    page.get_by_role("link", name="Your payments").click()
    expect(page.get_by_role("cell", name="+1000")).to_be_visible()
    assert fits_the_screen(page)
    no_axe_violations(page)
    shoot(page, artifacts, f"billing-payments-{size}")
    assert CreditPack.objects.filter(credits=1000).exists()
    assert not page.console_errors
