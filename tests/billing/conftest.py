import httpx
import pytest

from billing.models import CreditPack, Payment
from billing.packs import seed_packs


@pytest.fixture
def stripe_url(live_server, settings):
    """The Stripe stand-in served by a real HTTP server, the studio's `stripe` client pointed at it
    and its events sent to the studio's webhook on the same server."""
    url = f"{live_server.url}/stripe-sandbox"
    settings.STRIPE_API_BASE = url
    settings.STRIPE_SANDBOX_WEBHOOK_URL = f"{live_server.url}/billing/stripe/webhook/"
    settings.SITE_URL = live_server.url
    seed_packs(CreditPack)  # a transactional test empties the tables the migration filled
    return url


@pytest.fixture
def starter(stripe_url):
    return CreditPack.objects.get(credits=1000)


def buy(client, user, pack):
    """Presses Buy on the pricing page: the checkout page's address, and the Payment it started."""
    client.force_login(user)
    response = client.post("/billing/buy/", {"pack": pack.pk})
    assert response.status_code == 302, response.content
    return response["Location"], Payment.objects.for_user(user).latest("created_at")


def pay(checkout_url, card="4242 4242 4242 4242"):
    """Pays on the stand-in's hosted page, as a person pressing Pay would (a plain form POST)."""
    return httpx.post(checkout_url, data={"card": card, "expiry": "12 / 34", "cvc": "123"}, follow_redirects=False)
