"""Buying a credit pack through Stripe Checkout: the studio's `stripe` client talks to the stand-in
over real HTTP, a person pays on its hosted page, and the signed event comes back to the webhook."""

from decimal import Decimal

import httpx
import stripe
from django.conf import settings

from accounts import credits
from accounts.models import CreditEntry, User
from billing import checkout
from billing.models import CreditPack, Payment, StripeEvent
from stripe_sandbox import events
from stripe_sandbox.models import SentEvent, StripeObject
from tests.billing.conftest import buy, pay


def purchases(user):
    return CreditEntry.objects.filter(user=user, kind=CreditEntry.Kind.PURCHASE)


def test_buying_a_pack_adds_its_credits_once(client, owner, starter):
    before = credits.balance_of(owner)
    checkout_url, payment = buy(client, owner, starter)
    assert checkout_url.startswith(f"{settings.STRIPE_API_BASE}/checkout/cs_test_")
    assert payment.status == Payment.Status.PENDING and payment.amount == 1000 and payment.credits == 1000

    page = httpx.get(checkout_url)
    assert "Pay 10.00 USD" in page.text and "1000 studio credits" in page.text.replace(",", "")

    paid = pay(checkout_url)
    assert paid.status_code == 302
    assert (
        paid.headers["Location"]
        == f"{settings.SITE_URL}/billing/payments/{payment.pk}/?session_id={payment.checkout_session_id}"
    )

    payment.refresh_from_db()
    assert payment.status == Payment.Status.PAID
    assert payment.payment_intent_id.startswith("pi_")
    assert "/stripe-sandbox/receipts/ch_" in payment.receipt_url
    assert credits.balance_of(owner) == before + 1000
    entry = purchases(owner).get()
    assert entry.reference == f"payment:{payment.pk}" and entry.amount == Decimal("1000")
    assert StripeEvent.objects.get().type == "checkout.session.completed"

    back = client.get(f"/billing/payments/{payment.pk}/?session_id={payment.checkout_session_id}")
    assert "Your credits are here" in back.content.decode()
    assert credits.balance_of(owner) == before + 1000  # reading the session back adds nothing more

    listing = client.get("/billing/").content.decode()
    assert "Starter pack" in listing and "10.00 USD" in listing and "+1000" in listing
    assert payment.receipt_url in listing
    assert httpx.get(payment.receipt_url).status_code == 200


def test_the_same_event_three_times_adds_credits_once(client, owner, starter):
    checkout_url, payment = buy(client, owner, starter)
    pay(checkout_url)
    balance = credits.balance_of(owner)
    event = SentEvent.objects.get(type="checkout.session.completed")
    assert [events.send(event) for _ in range(3)] == [200, 200, 200]
    assert credits.balance_of(owner) == balance
    assert purchases(owner).count() == 1
    assert StripeEvent.objects.filter(id=event.id).count() == 1


def test_a_late_expired_event_leaves_a_paid_payment_paid(client, owner, starter):
    checkout_url, payment = buy(client, owner, starter)
    pay(checkout_url)
    session = StripeObject.objects.get(pk=payment.checkout_session_id).public()
    late = events.make("checkout.session.expired", {**session, "status": "expired", "payment_status": "unpaid"})
    assert events.send(late) == 200
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PAID and purchases(owner).count() == 1


def test_credits_show_on_return_even_before_the_event(client, owner, starter, settings, live_server):
    settings.STRIPE_SANDBOX_WEBHOOK_URL = "http://127.0.0.1:9/nowhere/"  # the event is lost on its way
    checkout_url, payment = buy(client, owner, starter)
    before = credits.balance_of(owner)
    pay(checkout_url)
    assert credits.balance_of(owner) == before
    pending = client.get(f"/billing/payments/{payment.pk}/status/").content.decode()
    assert "on their way" in pending and "hx-trigger" in pending

    page = client.get(f"/billing/payments/{payment.pk}/").content.decode()  # reads the session back
    assert "Your credits are here" in page
    assert credits.balance_of(owner) == before + 1000

    settings.STRIPE_SANDBOX_WEBHOOK_URL = f"{live_server.url}/billing/stripe/webhook/"
    assert events.send(SentEvent.objects.get(type="checkout.session.completed")) == 200  # Stripe's retry
    assert credits.balance_of(owner) == before + 1000 and purchases(owner).count() == 1


def test_a_forged_or_replayed_event_is_refused(client, owner, starter):
    checkout_url, payment = buy(client, owner, starter)
    session = StripeObject.objects.get(pk=payment.checkout_session_id).public()
    forged = events.make("checkout.session.completed", {**session, "status": "complete", "payment_status": "paid"})
    assert events.send(forged, secret="whsec_not_the_studios") == 400
    import time

    assert events.send(forged, timestamp=int(time.time()) - 301) == 400  # signed too long ago
    unsigned = httpx.post(settings.STRIPE_SANDBOX_WEBHOOK_URL, content=b"{}", headers={"Stripe-Signature": "t=1,v1=00"})
    assert unsigned.status_code == 400
    assert not StripeEvent.objects.exists()
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING and not purchases(owner).exists()


def test_a_declined_card_adds_nothing_and_says_so(client, owner, starter):
    before = credits.balance_of(owner)
    checkout_url, payment = buy(client, owner, starter)
    declined = pay(checkout_url, card="4000 0000 0000 0002")
    assert declined.status_code == 402 and "Your card was declined." in declined.text
    assert not SentEvent.objects.exists() and not StripeEvent.objects.exists()

    back = client.get(f"/billing/payments/{payment.pk}/canceled/").content.decode()
    assert "The payment did not go through" in back and "no credits were added" in back
    payment.refresh_from_db()
    assert payment.status == Payment.Status.CANCELED
    assert credits.balance_of(owner) == before and not purchases(owner).exists()
    assert "Not paid" in client.get("/billing/").content.decode()


def test_only_packs_on_sale_at_their_own_price(client, owner, starter):
    client.force_login(owner)
    starter.active = False
    starter.save()
    for pack in (str(starter.pk), "999999", "-1", "1.5", "", "9" * 200, "²"):
        response = client.post("/billing/buy/", {"pack": pack}, follow=True)
        assert "That pack is not on sale" in response.content.decode()
    assert not Payment.objects.exists() and not StripeObject.objects.exists()

    big = CreditPack.objects.get(credits=5000)
    response = client.post("/billing/buy/", {"pack": big.pk, "amount": "1", "price": "1", "credits": "999999"})
    assert response.status_code == 302
    payment = Payment.objects.get()
    session = checkout.client().v1.checkout.sessions.retrieve(payment.checkout_session_id)
    assert session.amount_total == big.price == payment.amount and payment.credits == 5000
    assert session.metadata["payment"] == str(payment.pk) and session.client_reference_id == str(payment.pk)


def test_buying_needs_a_verified_creator_and_a_post(client, stripe_url, starter):
    assert client.post("/billing/buy/", {"pack": starter.pk})["Location"].startswith("/accounts/login/")
    unverified = User.objects.create_user(username="new", email="new@example.com", password="pw-new-12345")
    client.force_login(unverified)
    response = client.post("/billing/buy/", {"pack": starter.pk}, follow=True)
    assert "verify your email address first" in response.content.decode()
    assert client.get("/billing/buy/").status_code == 405
    assert not Payment.objects.exists()


def test_payments_are_each_creators_own(client, owner, outsider, starter):
    _, payment = buy(client, owner, starter)
    client.force_login(outsider)
    for url in (
        f"/billing/payments/{payment.pk}/",
        f"/billing/payments/{payment.pk}/status/",
        f"/billing/payments/{payment.pk}/canceled/",
    ):
        assert client.get(url).status_code == 404
    assert "Starter pack" not in client.get("/billing/").content.decode()
    payment.refresh_from_db()
    assert payment.status == Payment.Status.PENDING


def test_the_pricing_page_offers_the_packs(client, owner, starter):
    page = client.get("/pricing/").content.decode()
    assert "Buy credits" in page and "10.00 USD" in page and "45.00 USD" in page
    assert "never expire" in page and "Log in to buy" in page
    client.force_login(owner)
    page = client.get("/pricing/").content.decode()
    assert (
        f'name="pack" value="{starter.pk}"' in page
        and "amount" not in page.split("packs-heading")[1].split("</section>")[0]
    )


def test_the_stand_in_speaks_stripe(stripe_url):
    api = checkout.client()
    product = api.v1.products.create({"name": "1,000 credits"})
    price = api.v1.prices.create({"product": product.id, "unit_amount": 1000, "currency": "usd"})
    session = api.v1.checkout.sessions.create(
        {"mode": "payment", "line_items": [{"price": price.id, "quantity": 1}], "success_url": "https://example.com/ok"}
    )
    assert session.object == "checkout.session" and session.amount_total == 1000 and session.status == "open"
    assert api.v1.checkout.sessions.retrieve(session.id).id == session.id
    for params, words in [
        (
            {"mode": "payment", "line_items": [{"price": "price_nope", "quantity": 1}], "success_url": "https://x.y/"},
            "No such price",
        ),
        ({"mode": "payment", "success_url": "https://x.y/"}, "Missing required param: line_items"),
        (
            {"mode": "subscription", "line_items": [{"price": price.id, "quantity": 1}], "success_url": "https://x.y/"},
            "mode",
        ),
        (
            {
                "mode": "payment",
                "line_items": [{"price": price.id, "quantity": 1}],
                "success_url": "https://x.y/",
                "amount": 1,
            },
            "unknown parameter: amount",
        ),
    ]:
        try:
            api.v1.checkout.sessions.create(params)
        except stripe.InvalidRequestError as error:
            assert words in str(error)
        else:
            raise AssertionError(params)
    expired = api.v1.checkout.sessions.expire(session.id)
    assert expired.status == "expired"
    wrong = stripe.StripeClient("sk_test_wrong", base_addresses={"api": stripe_url})
    try:
        wrong.v1.checkout.sessions.retrieve(session.id)
    except stripe.AuthenticationError:
        pass
    else:
        raise AssertionError("a wrong key was let in")
