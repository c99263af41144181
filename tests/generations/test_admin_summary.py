"""The admin carries the studio's name, and its index sums up the videos in flight, waiting and failed today."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.utils import timezone

from accounts.models import User
from generations.models import Generation
from generations.templatetags.admin_summary import studio_summary
from tests.conftest import verified
from tests.generations.videos import make_generation


@pytest.fixture
def videos(owner):
    Status = Generation.Status
    for status in (Status.RUNNING, Status.RUNNING, Status.SUBMITTED, Status.DOWNLOADING):
        make_generation(owner, status=status)
    make_generation(owner, status=Status.QUEUED)
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
    assert "<strong>1</strong> <span>Waiting to start</span>" in page
    assert "<strong>1</strong> <span>Failed today</span>" in page


@pytest.mark.django_db
def test_the_summary_is_one_count_per_figure(operator, videos, django_assert_num_queries):
    request = RequestFactory().get("/admin/")
    request.user = operator

    with django_assert_num_queries(3):
        figures = studio_summary({"request": request})["figures"]

    assert [count for _, count, _ in figures] == [4, 1, 1]


@pytest.mark.django_db
def test_the_figures_link_to_the_videos_they_count(client, operator, videos):
    client.force_login(operator)
    request = RequestFactory().get("/admin/")
    request.user = operator

    for label, count, url in studio_summary({"request": request})["figures"]:
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
