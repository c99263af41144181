"""Buying credits: the Buy button's checkout, the pages a creator returns to, their payments, and
Stripe's webhook."""

import json
import logging

import stripe
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from accounts import credits
from accounts.decorators import login_required_htmx
from accounts.throttle import rate_limited
from billing import checkout
from billing.models import Payment
from lib import links

log = logging.getLogger(__name__)


def _get_payment_for_user(request, pk):
    return get_object_or_404(Payment.objects.for_user(request.user).select_related("pack"), pk=pk)


def _refuse(request, message):
    messages.error(request, message)
    return redirect(reverse("pricing") + "#packs")


@require_POST
@login_required_htmx
@rate_limited("checkout", _refuse)
def buy(request):
    """Starts a Stripe Checkout for the pack asked for (its id only: the price is the pack's) and
    sends the creator to Stripe's page."""
    if not settings.PAYMENTS_ENABLED:
        raise Http404("The studio does not take payments.")
    if not request.user.email_verified:
        messages.error(request, "Please verify your email address first: follow the link we sent you.")
        return redirect(reverse("pricing") + "#packs")
    pack = checkout.offered_pack(request.POST.get("pack", ""))
    if pack is None:
        messages.error(request, "That pack is not on sale. Please pick one of the packs below.")
        return redirect(reverse("pricing") + "#packs")
    try:
        _, url = checkout.start(
            request.user, pack, back=lambda payment: links.absolute(reverse("payment", args=[payment.pk]))
        )
    except checkout.CheckoutUnavailable:
        messages.error(request, "The payment page could not be opened just now. Nothing was charged: please try again.")
        return redirect(reverse("pricing") + "#packs")
    return redirect(url)


@require_GET
@login_required_htmx
def payment(request, pk):
    """Where Stripe sends the creator back: the credits, as soon as Stripe has said it is paid."""
    payment = checkout.refresh(_get_payment_for_user(request, pk))
    return render(request, "billing/payment.html", _payment_context(request, payment))


@require_GET
@login_required_htmx
def payment_status(request, pk):
    """The payment page's poller: read-only, stops once the payment is no longer waiting."""
    payment = _get_payment_for_user(request, pk)
    return render(request, "billing/payment.html#status", _payment_context(request, payment))


@require_GET
@login_required_htmx
def payment_canceled(request, pk):
    """Where Stripe sends the creator who went back without paying (a refused card, or a change of mind)."""
    payment = checkout.refresh(_get_payment_for_user(request, pk))
    payment.mark_unpaid(Payment.Status.CANCELED)
    return render(request, "billing/payment.html", _payment_context(request, payment))


def _payment_context(request, payment):
    return {"payment": payment, "balance": credits.balance_of(request.user)}


@require_GET
@login_required_htmx
def payments(request):
    """Every payment the creator made or started, newest first."""
    rows = Payment.objects.for_user(request.user).select_related("pack")[:200]
    return render(request, "billing/payments.html", {"payments": rows, "balance": credits.balance_of(request.user)})


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Stripe's events, verified by their signature (and refused when signed more than 5 minutes
    ago), each applied once."""
    try:
        event = stripe.Webhook.construct_event(
            request.body,
            request.headers.get("Stripe-Signature", ""),
            settings.STRIPE_WEBHOOK_SECRET,
            tolerance=checkout.WEBHOOK_TOLERANCE,
        )
    except (ValueError, stripe.SignatureVerificationError) as error:
        log.warning("Stripe webhook refused: %s", error)
        return HttpResponseBadRequest("Bad signature or payload.", content_type="text/plain")
    applied = checkout.apply_event(json.loads(request.body))
    log.info("Stripe event %s %s: %s", event.id, event.type, "applied" if applied else "already applied")
    return HttpResponse("ok" if applied else "already applied", content_type="text/plain")
