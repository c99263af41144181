"""/metrics/: Prometheus text behind a token, read back with prometheus-client's own parser."""

import pytest
from django.urls import reverse
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from catalog.models import CatalogModel
from generations.models import Generation
from generations.starting import start_generation
from lib import counters
from tests.generations.videos import make_generation
from webhooks.models import WebhookDelivery, WebhookEndpoint
from worker import lifecycle

TOKEN = "metrics-token-for-the-test"


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN


def scrape(client):
    response = client.get(reverse("metrics"), HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_no_token_set_no_page(client, db, settings):
    settings.METRICS_TOKEN = ""
    assert client.get(reverse("metrics")).status_code == 404
    assert client.get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_a_wrong_token_is_no_page(client, db, metrics_on):
    assert client.get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer guessed").status_code == 404


def test_figures_agree_with_the_database(client, owner, metrics_on):
    make_generation(owner, status=Generation.Status.WAITING, model="kling")
    make_generation(owner, status=Generation.Status.FAILED, error_code="service_error")
    endpoint = WebhookEndpoint.objects.create(user=owner, url="https://example.com/hook")
    WebhookDelivery.objects.create(
        endpoint=endpoint,
        event="video.completed",
        body="{}",
        status=WebhookDelivery.SUCCEEDED,
        next_attempt_at=timezone.now(),
        give_up_at=timezone.now(),
    )
    samples = scrape(client)
    assert samples[("studio_videos", (("model", "kling"), ("status", "waiting")))] == 1
    assert samples[("studio_queue_waiting", (("model", "kling"),))] == 1
    assert samples[("studio_video_failures", (("code", "service_error"), ("model", "wan")))] == 1
    assert samples[("studio_model_state", (("model", "wan"), ("state", "open")))] == 1
    assert samples[("studio_webhook_deliveries", (("result", WebhookDelivery.SUCCEEDED),))] == 1
    assert samples[("studio_credits", (("kind", "grant"),))] > 0


def test_the_page_never_names_a_creator_or_a_prompt(client, owner, metrics_on):
    make_generation(owner, prompt="A very private prompt")
    body = client.get(reverse("metrics"), HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    assert owner.email not in body and "private prompt" not in body


def test_requests_are_timed_by_route_name_not_path(client, owner, metrics_on):
    client.force_login(owner)
    client.get(reverse("dashboard"))
    samples = scrape(client)
    assert samples[("studio_request_seconds_count", (("route", "dashboard"),))] >= 1
    routes = {dict(labels).get("route") for name, labels in samples if name.startswith("studio_request_seconds")}
    assert routes and not any("/" in route for route in routes)  # names, never paths with ids or tokens


@pytest.mark.django_db(transaction=True)
def test_a_submit_through_the_sandbox_is_counted(client, owner, sandbox_url, metrics_on, queue):
    before = counters.read("submits", "wan:accepted")
    wan = CatalogModel.objects.get(slug="wan")
    gen, _ = start_generation(owner, model=wan, prompt="A lighthouse", duration=2, size="720x1280")
    assert lifecycle.submit(gen.pk) == "submitted"
    assert counters.read("submits", "wan:accepted") == before + 1
    assert scrape(client)[("studio_pixapi_submits_total", (("model", "wan"), ("result", "accepted")))] == before + 1
