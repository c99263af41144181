import pytest

from accounts.models import User


@pytest.fixture
def owner(db):
    return User.objects.create_user(
        username="owner", email="owner@example.com", password="pw-owner-123", display_name="Olive Owner"
    )


@pytest.fixture
def outsider(db):
    return User.objects.create_user(
        username="outsider", email="outsider@example.com", password="pw-outsider-123", display_name="Oscar Outsider"
    )


@pytest.fixture
def operator(db):
    return User.objects.create_user(
        username="operator", email="operator@example.com", password="pw-operator-123", is_staff=True, is_superuser=True
    )


@pytest.fixture
def sandbox_url(live_server, settings):
    """The sandbox served by a real HTTP server, and the studio pointed at it."""
    url = f"{live_server.url}/pixapi-sandbox"
    settings.PIXAPI_BASE_URL = url
    settings.SITE_URL = live_server.url
    return url
