"""Error pages in the studio's look (templates/400.html, 403.html, 404.html, 500.html)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.views import defaults

STUDIO_LOOK = ('class="site-header"', 'class="brand"', "/static/css/studio.")


def looks_like_the_studio(page):
    return all(part in page for part in STUDIO_LOOK)


@pytest.mark.django_db
def test_a_missing_page_is_the_studios_404(client):
    response = client.get("/no-such-page/")

    page = response.content.decode()
    assert response.status_code == 404
    assert "We could not find that page" in page and looks_like_the_studio(page)
    assert "Go to the Studio&#x27;s front page" in page or "Go to the Studio's front page" in page


@pytest.mark.django_db
def test_a_creator_who_is_lost_is_offered_the_way_back_to_their_studio(client, owner):
    client.force_login(owner)

    page = client.get("/no-such-page/").content.decode()

    assert "Back to your studio" in page
    assert "Log out" in page  # their own header, balance and all


@pytest.mark.django_db
def test_a_request_the_studio_cannot_read_is_the_studios_400(client):
    response = client.get("/featured/", headers={"host": "not-the-studio.example"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "Something was wrong with that request" in page and looks_like_the_studio(page)


@pytest.mark.django_db
def test_a_forbidden_page_is_the_studios_403():
    request = RequestFactory().get("/somewhere/")
    request.user = AnonymousUser()

    response = defaults.permission_denied(request, PermissionDenied())

    assert response.status_code == 403
    page = response.content.decode()
    assert "This page is not yours to open" in page and looks_like_the_studio(page)


def test_the_500_page_needs_neither_the_database_nor_context_processors():
    """No database here: pytest-django refuses every query in a test without the db mark."""
    response = defaults.server_error(RequestFactory().get("/"))

    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in page and looks_like_the_studio(page)
    assert "Log in" not in page and "Log out" not in page  # it cannot know who is asking
    assert "<script" not in page
