"""/status/: each model's last hour from the studio's own traffic, worked out by the sweeper once a
minute and read from the cache; nothing of any creator on it."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.models import CatalogModel
from generations import health
from generations.models import Generation
from tests.generations.videos import make_generation
from worker import sweeper

Status = Generation.Status


def made(user, model, seconds, status=Status.COMPLETED, ago=timedelta(minutes=10), **extra):
    finished = timezone.now() - ago
    return make_generation(
        user,
        prompt="A secret prompt about Mara",
        model=model,
        status=status,
        queued_at=finished - timedelta(seconds=seconds),
        finished_at=finished,
        **extra,
    )


@pytest.fixture
def traffic(owner):
    for seconds in (30, 40, 50, 60):
        made(owner, "wan", seconds)
    made(owner, "wan", 0, status=Status.FAILED, error_code="service_error")
    made(owner, "wan", 0, status=Status.FAILED, error_code="prompt_rejected")  # the prompt's fault, not Wan's
    made(owner, "wan", 20, ago=timedelta(hours=2))  # outside the hour
    make_generation(owner, model="kling", status=Status.WAITING)
    make_generation(owner, model="kling", status=Status.WAITING)


def test_the_figures_count_the_last_hour_and_leave_out_the_creators_own_refusals(traffic):
    snapshot = health.work_out()
    wan, kling = snapshot.of("wan"), snapshot.of("kling")
    assert (wan.ready, wan.failed, wan.waiting) == (4, 1, 0)
    assert wan.success_rate == pytest.approx(0.8)
    assert wan.p50_seconds == pytest.approx(45)
    assert 55 < wan.p95_seconds <= 60
    assert (kling.ready, kling.waiting, kling.success_rate) == (0, 2, None)


def test_a_model_slowed_by_the_breaker_or_paused_says_so(traffic):
    CatalogModel.objects.filter(slug="wan").update(busy_until=timezone.now() + timedelta(minutes=1))
    CatalogModel.objects.filter(slug="kling").update(queue_paused=True)
    snapshot = health.work_out()
    assert snapshot.of("wan").state_words == "Slowed down"
    assert snapshot.of("kling").state_words == "Paused"
    assert snapshot.of("veo").state_words == "Working"


def test_the_page_shows_each_model_and_nothing_of_any_creator(client, traffic, owner):
    health.refresh()
    page = client.get(reverse("status")).content.decode()
    assert "Wan" in page and "Kling" in page and "80%" in page
    assert "secret prompt" not in page and owner.email not in page and owner.username not in page


def test_the_sweeper_keeps_the_figures_and_a_visitor_costs_no_query(client, traffic):
    cache.delete(health.KEY)
    sweeper._last_health = 0.0
    sweeper.housekeeping()
    assert cache.get(health.KEY).of("wan").ready == 4
    made_later = made(Generation.objects.first().user, "wan", 10)  # the page shows the kept figures
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("status")).content.decode()
    assert len(queries) == 0
    assert made_later.pk and "80%" in page  # 4 of 5, not yet 5 of 6


def test_with_nothing_kept_the_first_visitor_works_the_figures_out(client, traffic):
    cache.delete(health.KEY)
    assert "80%" in client.get(reverse("status")).content.decode()
    assert cache.get(health.KEY) is not None


def test_the_models_page_and_admin_show_the_same_figures(client, traffic, operator):
    health.refresh()
    models_page = client.get(reverse("models")).content.decode()
    assert "Last hour here" in models_page and "4 made, 80% came out" in models_page
    client.force_login(operator)
    admin_list = client.get(reverse("admin:catalog_catalogmodel_changelist")).content.decode()
    assert "4 made, 80% came out, usually 45 s" in admin_list
