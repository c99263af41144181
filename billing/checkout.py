"""Buying credits through Stripe: starting a Checkout Session for a pack, and applying what Stripe
says happened (its signed events, or the session read back when the creator returns). The ledger
stays the source of truth: a payment's credits are added once, in the same transaction as the
payment's move to paid (and as the stored id of the event that said so)."""

import logging
from functools import cache

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction

from accounts import credits
from billing.models import CreditPack, Payment, StripeEvent

log = logging.getLogger(__name__)

WEBHOOK_TOLERANCE = 300  # seconds: an event signed longer ago than this is refused (replays)


class CheckoutUnavailable(Exception):
    """Stripe could not be reached or refused the request: nothing was charged."""


@cache
def _client(api_key, api_base, timeout):
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": api_base},
        max_network_retries=1,
        http_client=stripe.HTTPXClient(timeout=timeout, allow_sync_methods=True),
    )


def client():
    """One Stripe client per process (and per set of settings, which the tests change)."""
    return _client(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE, settings.STRIPE_TIMEOUT)


def start(user, pack, *, back):
    """A Payment for `pack` and the Stripe Checkout Session that pays it: the amount and price come
    from the pack, never from the browser. `back(payment)` is the page Stripe sends the creator back
    to. Raises CheckoutUnavailable when Stripe says no."""
    payment = Payment.objects.create(
        user=user, pack=pack, credits=pack.credits, amount=pack.price, currency=pack.currency
    )
    if pack.stripe_price_id:
        line = {"price": pack.stripe_price_id, "quantity": 1}
    else:
        line = {
            "price_data": {
                "currency": pack.currency,
                "unit_amount": pack.price,
                "product_data": {"name": f"{pack.credits:,} studio credits"},
            },
            "quantity": 1,
        }
    params = {
        "mode": "payment",
        "line_items": [line],
        "client_reference_id": str(payment.pk),
        "metadata": {"payment": str(payment.pk), "user": str(user.pk), "pack": str(pack.pk)},
        "customer_email": user.email,
        "success_url": back(payment) + "?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": back(payment) + "canceled/",
    }
    try:
        session = client().v1.checkout.sessions.create(params, {"idempotency_key": f"checkout-{payment.pk}"})
    except stripe.StripeError as error:
        log.warning("Stripe refused a checkout for payment %s: %s", payment.pk, error)
        payment.delete()  # nothing was charged: it would only be noise on the creator's payments page
        raise CheckoutUnavailable from error
    Payment.objects.filter(pk=payment.pk).update(checkout_session_id=session.id)
    payment.checkout_session_id = session.id
    return payment, session.url


def _receipt_url(payment_intent_id):
    """The charge's receipt page, if Stripe tells it; a payment is applied without one."""
    if not payment_intent_id:
        return ""
    try:
        intent = client().v1.payment_intents.retrieve(payment_intent_id, {"expand": ["latest_charge"]})
        return (intent.to_dict().get("latest_charge") or {}).get("receipt_url") or ""
    except (stripe.StripeError, AttributeError) as error:
        log.warning("No receipt for %s: %s", payment_intent_id, error)
        return ""


def _payment_for(session):
    return Payment.objects.filter(checkout_session_id=session.get("id")).select_related("pack").first()


def _apply_session(payment, session, receipt_url):
    """Inside a transaction: a paid session adds its credits (once); an expired one says so."""
    if session.get("status") == "expired":
        payment.mark_unpaid(Payment.Status.EXPIRED)
        return
    if session.get("status") != "complete" or session.get("payment_status") != "paid":
        return
    if session.get("amount_total") != payment.amount or (session.get("currency") or "").lower() != payment.currency:
        # Never trust a session that does not match what the studio asked for: an operator looks.
        log.error(
            "Checkout %s paid %s %s, not %s: no credits added",
            session.get("id"),
            session.get("amount_total"),
            session.get("currency"),
            payment.money,
        )
        return
    if payment.mark_paid(session.get("payment_intent") or "", receipt_url):
        credits.purchase(
            payment.user_id,
            payment.credits,
            reference=payment.reference,
            description=f"{payment.pack.name}, {payment.money}",
        )


def _receipt_for(payment, session):
    if payment.status == Payment.Status.PAID or session.get("payment_status") != "paid":
        return ""
    return _receipt_url(session.get("payment_intent"))


def apply_event(event):
    """Applies one verified Stripe event (a dict) once. False when it was already applied."""
    session = event["data"]["object"] if event["type"].startswith("checkout.session.") else {}
    payment = _payment_for(session) if session else None
    receipt_url = _receipt_for(payment, session) if payment else ""  # the network, outside the transaction
    try:
        with transaction.atomic():
            StripeEvent.objects.create(id=event["id"], type=event["type"], payment=payment, payload=event)
            if payment is not None:
                payment = Payment.objects.select_for_update().select_related("pack").get(pk=payment.pk)
                _apply_session(payment, session, receipt_url)
    except IntegrityError:
        return False  # a duplicate (perhaps at the same moment): the first one did the work
    return True


def refresh(payment):
    """Reads the payment's session back from Stripe (the creator has just returned from it) and applies
    it, so the credits show without waiting for the event. Stripe's answer is trusted as its event is:
    it came over HTTPS with the studio's secret key."""
    if payment.status != Payment.Status.PENDING or not payment.checkout_session_id:
        return payment
    try:
        session = client().v1.checkout.sessions.retrieve(payment.checkout_session_id).to_dict()
    except stripe.StripeError as error:
        log.warning("Could not read checkout %s: %s", payment.checkout_session_id, error)
        return payment
    receipt_url = _receipt_for(payment, session)
    with transaction.atomic():
        payment = Payment.objects.select_for_update().select_related("pack").get(pk=payment.pk)
        _apply_session(payment, session, receipt_url)
    return payment


def offered_pack(pk):
    """The pack with this id (as the form sent it) if it is on sale, else None."""
    if not (pk.isascii() and pk.isdigit() and len(pk) <= 9):
        return None
    return CreditPack.objects.offered().filter(pk=pk).first()
