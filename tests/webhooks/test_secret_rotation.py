"""A webhook secret can be rotated: for a grace period each delivery is signed with the new secret and
the old one, so a receiver can switch over without losing any; pages showing a secret are never cached."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from webhooks import delivery
from webhooks.models import WebhookEndpoint


def test_a_rotated_secret_signs_beside_the_old_one_until_the_grace_period_ends(
    client, owner, receiver, sent, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_ROTATION_GRACE_HOURS = 24
    client.force_login(owner)
    endpoint = WebhookEndpoint.objects.create(user=owner, url=receiver.url, events=["video.completed"])
    old = endpoint.secret

    page = client.post(reverse("webhook_rotate_secret", args=[endpoint.pk]), follow=True)
    endpoint.refresh_from_db()
    new = endpoint.secret
    assert new != old and new in page.content.decode() and old not in page.content.decode()
    assert "keeps signing for 24 hours" in page.content.decode()
    assert page["Cache-Control"] == "no-store"

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("webhook_send_test", args=[endpoint.pk]))
    assert delivery.deliver(sent[-1]) == "delivered"
    headers, body = receiver.received[-1]
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert Webhook(new).verify(body, headers)["type"] == "webhook.test"
    assert Webhook(old).verify(body, headers)["type"] == "webhook.test"

    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1)):
        with django_capture_on_commit_callbacks(execute=True):
            client.force_login(owner)
            client.post(reverse("webhook_send_test", args=[endpoint.pk]))
        assert delivery.deliver(sent[-1]) == "delivered"
        headers, body = receiver.received[-1]
        assert Webhook(new).verify(body, headers)["type"] == "webhook.test"
        with pytest.raises(WebhookVerificationError):
            Webhook(old).verify(body, headers)


def test_pages_that_may_show_a_secret_are_not_cached(client, owner, receiver):
    client.force_login(owner)
    made = client.post(reverse("webhook_endpoints"), {"url": receiver.url, "events": ["video.failed"]}, follow=True)
    assert WebhookEndpoint.objects.get().secret in made.content.decode()
    assert made["Cache-Control"] == "no-store"
    again = client.get(reverse("webhook_endpoint", args=[WebhookEndpoint.objects.get().pk]))
    assert again["Cache-Control"] == "no-store"


def test_only_the_owner_may_rotate(client, outsider, owner, receiver):
    endpoint = WebhookEndpoint.objects.create(user=owner, url=receiver.url, events=["video.completed"])
    client.force_login(outsider)
    assert client.post(reverse("webhook_rotate_secret", args=[endpoint.pk])).status_code == 404
    assert WebhookEndpoint.objects.get().secret == endpoint.secret
