import pytest
from django.contrib.auth import get_user
from django.urls import reverse


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["owner@example.com", "OWNER@EXAMPLE.COM", "  Owner@Example.com "])
def test_log_in_by_email_in_any_case(client, owner, typed):
    response = client.post(reverse("login"), {"username": typed, "password": "pw-owner-123"})

    assert response.status_code == 302
    assert response.url == reverse("dashboard")
    assert get_user(client) == owner


@pytest.mark.django_db
def test_a_wrong_password_is_explained_and_the_email_kept(client, owner):
    response = client.post(reverse("login"), {"username": "Owner@example.com", "password": "not-it"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "That email address and password do not match an account" in html
    assert 'class="form-errors" role="alert"' in html
    assert 'value="Owner@example.com"' in html
    assert "not-it" not in html
    assert not get_user(client).is_authenticated


@pytest.mark.django_db
def test_log_in_goes_back_to_the_page_asked_for(client, owner):
    response = client.post(
        reverse("login") + "?next=/accounts/profile/",
        {"username": "owner@example.com", "password": "pw-owner-123", "next": "/accounts/profile/"},
    )

    assert response.url == "/accounts/profile/"


@pytest.mark.django_db
def test_log_out_is_a_post(client, owner):
    client.force_login(owner)

    assert client.get(reverse("logout")).status_code == 405
    assert get_user(client) == owner

    response = client.post(reverse("logout"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert "You are logged out" in response.content.decode()
    assert not get_user(client).is_authenticated


@pytest.mark.django_db
def test_the_header_offers_the_studio_pages_and_a_log_out_button(client, owner):
    client.force_login(owner)

    html = client.get(reverse("profile")).content.decode()
    assert '<nav class="site-nav" aria-label="Main">' in html
    assert f'href="{reverse("dashboard")}"' in html
    assert f'<form method="post" action="{reverse("logout")}"' in html
    assert '<button type="submit" class="nav-button">Log out</button>' in html
    assert 'hx-headers=\'{"X-CSRFToken": "' in html


@pytest.mark.django_db
def test_pages_carry_no_inline_styles(client, owner):
    """The CSP allows style sheets from the studio only: a style="" or <style> would be refused."""
    pages = [reverse("login"), reverse("signup"), reverse("password_reset")]
    for url in pages:
        html = client.get(url).content.decode()
        assert "style=" not in html and "<style" not in html, url
    client.force_login(owner)
    for url in [reverse("profile"), reverse("password_change"), reverse("password_change_done")]:
        html = client.get(url).content.decode()
        assert "style=" not in html and "<style" not in html, url
