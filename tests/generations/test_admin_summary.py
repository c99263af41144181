"""The admin carries the studio's name, and its index sums up the videos in flight, waiting and failed today,
the valve's slots in use and the models busy at Pixapi or paused."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.utils import timezone

from accounts.models import User
from catalog.models import CatalogModel
from generations.models import Generation, StudioQueue
from generations.templatetags.admin_summary import studio_summary
from tests.conftest import verified
from tests.generations.videos import make_generation


@pytest.fixture
def videos(owner):
    Status = Generation.Status
    for status in (Status.RUNNING, Status.RUNNING, Status.SUBMITTED, Status.DOWNLOADING):
        make_generation(owner, status=status)
    make_generation(owner, status=Status.QUEUED)
    make_generation(owner, status=Status.WAITING)
    make_generation(owner, status=Status.WAITING)
    make_generation(owner, status=Status.COMPLETED, finished_at=timezone.now())
    make_generation(owner, status=Status.FAILED, finished_at=timezone.now())
    make_generation(owner, status=Status.FAILED, finished_at=timezone.now() - timedelta(days=2))


@pytest.mark.django_db
def test_the_admin_is_the_studios(client, operator):
    client.force_login(operator)

    page = client.get("/admin/").content.decode()

    assert "<title>Studio admin | Studio admin</title>" in page
    assert '<div id="site-name"><a href="/admin/">Studio admin</a></div>' in page
    assert "Django administration" not in page and "Site administration" not in page


@pytest.mark.django_db
def test_the_index_shows_in_flight_waiting_and_failed_today(client, operator, videos):
    client.force_login(operator)

    page = client.get("/admin/").content.decode()

    assert "<strong>4</strong> <span>In flight</span>" in page
    assert "<strong>3</strong> <span>Waiting to start</span>" in page
    assert "<strong>1</strong> <span>Failed today</span>" in page
    assert f"<strong>4 of {settings.STUDIO_MAX_IN_FLIGHT}</strong> <span>slots in use</span>" in page
    assert "<strong>0</strong> <span>models busy or paused</span>" in page


@pytest.mark.django_db
def test_the_index_shows_the_valve_and_the_models_shut(client, operator, videos):
    StudioQueue.objects.update_or_create(pk=1, defaults={"max_in_flight": 12, "paused": True})
    CatalogModel.objects.filter(slug="wan").update(queue_paused=True)
    CatalogModel.objects.filter(slug="kling").update(busy_until=timezone.now() + timedelta(minutes=2))
    CatalogModel.objects.filter(slug="veo").update(busy_until=timezone.now() - timedelta(minutes=2))
    client.force_login(operator)

    page = client.get("/admin/").content.decode()

    assert "<strong>4 of 12</strong> <span>slots in use, paused</span>" in page
    assert "<strong>2</strong> <span>models busy or paused</span>" in page
    shut = client.get("/admin/catalog/catalogmodel/?valve=shut").content.decode()
    assert shut.count('name="_selected_action"') == 2


@pytest.mark.django_db
def test_the_summary_is_three_queries_whatever_the_figures(operator, videos, django_assert_num_queries):
    request = RequestFactory().get("/admin/")
    request.user = operator

    StudioQueue.objects.get_or_create(pk=1)
    with django_assert_num_queries(3):
        figures = studio_summary({"request": request})["figures"]

    assert [count for _, count, _ in figures] == [4, 3, 1, f"4 of {settings.STUDIO_MAX_IN_FLIGHT}", 0]


@pytest.mark.django_db
def test_the_figures_link_to_the_videos_they_count(client, operator, videos):
    client.force_login(operator)
    request = RequestFactory().get("/admin/")
    request.user = operator

    for label, count, url in studio_summary({"request": request})["figures"][:3]:
        page = client.get(url).content.decode()
        assert page.count('name="_selected_action"') == count, label


@pytest.mark.django_db
def test_staff_who_may_not_see_videos_see_no_figures(client, videos):
    staff = User.objects.create_user(
        username="clerk", email="clerk@example.com", password="pw-clerk-123", is_staff=True, **verified()
    )
    staff.user_permissions.add(Permission.objects.get(codename="view_upgraderequest"))
    client.force_login(staff)

    assert "In flight" not in client.get("/admin/").content.decode()
