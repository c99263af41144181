"""A creator's webhook endpoints: register one, see its deliveries, send a test event, resend."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.throttle import rate_limited
from webhooks import addresses, events
from webhooks.forms import EndpointForm
from webhooks.models import EVENTS, TEST, WebhookDelivery, WebhookEndpoint

MAX_ENDPOINTS = 10
SHOWN_DELIVERIES = 50
TESTS_PER_MINUTE = 5


def _get_endpoint_for_user(request, pk):
    return get_object_or_404(WebhookEndpoint, pk=pk, user=request.user)


@login_required
def endpoints(request):
    form = EndpointForm(request.POST or None)
    mine = WebhookEndpoint.objects.filter(user=request.user)
    if request.method == "POST":
        if mine.count() >= MAX_ENDPOINTS:
            form.add_error(None, f"You have {MAX_ENDPOINTS} endpoints, the most an account may have. Remove one first.")
        elif form.is_valid():
            endpoint = form.save(commit=False)
            endpoint.user = request.user
            endpoint.save()
            request.session[f"webhook-secret-{endpoint.pk}"] = endpoint.secret  # shown once, on the next page
            return redirect("webhook_endpoint", pk=endpoint.pk)
    return render(
        request, "webhooks/endpoints.html", {"form": form, "endpoints": mine, "https": addresses.https_required()}
    )


@login_required
def endpoint(request, pk):
    return _show(request, _get_endpoint_for_user(request, pk))


def _show(request, endpoint, status=200, refused=""):
    response = render(
        request,
        "webhooks/endpoint.html",
        {
            "endpoint": endpoint,
            "secret": request.session.pop(f"webhook-secret-{endpoint.pk}", None),
            "deliveries": endpoint.deliveries.all()[:SHOWN_DELIVERIES],
            "event_names": dict(EVENTS),
            "refused": refused,
            "grace_until": endpoint.previous_until if len(endpoint.signing_secrets()) > 1 else None,
        },
        status=status,
    )
    response["Cache-Control"] = "no-store"  # the page may show the signing secret, this once
    return response


@require_POST
@login_required
def rotate_secret(request, pk):
    endpoint = _get_endpoint_for_user(request, pk)
    if endpoint.rotate_secret():
        request.session[f"webhook-secret-{endpoint.pk}"] = endpoint.secret  # shown once, on the next page
        messages.success(
            request,
            f"A new signing secret is below. The old one keeps signing for "
            f"{settings.WEBHOOKS_ROTATION_GRACE_HOURS} hours beside it: switch your receiver over before then.",
        )
    return redirect("webhook_endpoint", pk=endpoint.pk)


def _too_often(request, message, pk, delivery_pk=None):
    return _show(request, _get_endpoint_for_user(request, pk), status=429, refused=message)


@require_POST
@login_required
@rate_limited("webhook_send", _too_often)
def send_test(request, pk):
    endpoint = _get_endpoint_for_user(request, pk)
    recent = endpoint.deliveries.filter(event=TEST, created_at__gte=timezone.now() - timedelta(minutes=1))
    if recent.count() >= TESTS_PER_MINUTE:  # the studio is not a way to flood someone's URL
        messages.error(
            request, f"That is {TESTS_PER_MINUTE} test events in the last minute: wait a minute for the next."
        )
    else:
        events.send_test(endpoint)
        messages.success(request, "Test event on its way. Its delivery shows below in a moment.")
    return redirect("webhook_endpoint", pk=endpoint.pk)


@require_POST
@login_required
@rate_limited("webhook_send", _too_often)
def resend(request, pk, delivery_pk):
    delivery = get_object_or_404(WebhookDelivery.objects.for_user(request.user), pk=delivery_pk, endpoint_id=pk)
    if events.resend(delivery):
        messages.success(request, "Sending it again now, with the same webhook-id.")
    else:
        messages.info(request, "It is being sent right now; look again in a moment.")
    return redirect("webhook_endpoint", pk=pk)


@require_POST
@login_required
def delete(request, pk):
    endpoint = _get_endpoint_for_user(request, pk)
    endpoint.delete()
    messages.success(request, f"Endpoint {endpoint.url} removed; nothing more is sent to it.")
    return redirect("webhook_endpoints")
