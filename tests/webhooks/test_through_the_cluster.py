"""A video made by a real django-q2 cluster against the sandbox sends its creator's endpoint a signed
video.completed, delivered by the cluster: the way a developer meets it."""

import pytest
from standardwebhooks.webhooks import Webhook

from catalog.models import CatalogModel
from generations.starting import start_generation
from tests.conftest import wait_for
from tests.webhooks.test_webhooks import Receiver
from webhooks.models import WebhookDelivery, WebhookEndpoint


@pytest.fixture
def loopback_allowed(monkeypatch, settings):
    monkeypatch.setenv("WEBHOOKS_ALLOW_LOOPBACK", "1")  # for the cluster's processes, started after this
    settings.WEBHOOKS_ALLOW_LOOPBACK = True


@pytest.mark.django_db(transaction=True)
def test_the_cluster_delivers_video_completed_signed_when_a_video_is_ready(
    loopback_allowed, owner, cluster, settings, live_server
):
    settings.PIXAPI_SANDBOX_SECONDS = 1
    receiver = Receiver()
    try:
        endpoint = WebhookEndpoint.objects.create(user=owner, url=receiver.url, events=["video.completed"])
        gen, _ = start_generation(
            owner,
            model=CatalogModel.objects.get(slug="wan"),
            prompt="Paper boats on a pond",
            duration=2,
            size="1280x720",
        )
        wait_for(lambda: receiver.received, timeout=120, message=f"the webhook\n{cluster.log()}")
    finally:
        receiver.server.shutdown()

    headers, body = receiver.received[0]
    payload = Webhook(endpoint.secret).verify(body, headers)
    assert payload["type"] == "video.completed" and payload["data"]["id"] == str(gen.pk)
    assert payload["data"]["download_url"] == f"{live_server.url}/api/v1/videos/{gen.pk}/download"
    # The worker records the answer just after the receiver has it; a loaded machine takes a while.
    wait_for(lambda: WebhookDelivery.objects.filter(status=WebhookDelivery.SUCCEEDED).exists(), timeout=60)
