import re

import pytest
from django.contrib.auth import get_user
from django.urls import reverse

from accounts.models import User

NEW = "a-brand-new-secret-77"


@pytest.mark.django_db
def test_password_change(client, owner):
    client.force_login(owner)

    response = client.post(
        reverse("password_change"),
        {
            "old_password": "wrong",
            "new_password1": NEW,
            "new_password2": NEW,
        },
    )
    assert "That is not your current password" in response.content.decode()

    response = client.post(
        reverse("password_change"),
        {
            "old_password": "pw-owner-123",
            "new_password1": NEW,
            "new_password2": NEW,
        },
    )
    assert response.url == reverse("password_change_done")
    assert get_user(client) == owner  # still logged in
    owner.refresh_from_db()
    assert owner.check_password(NEW)
    assert "Your password is changed" in client.get(reverse("password_change_done")).content.decode()


@pytest.mark.django_db
def test_password_change_refuses_a_weak_new_password(client, owner):
    client.force_login(owner)

    response = client.post(
        reverse("password_change"),
        {
            "old_password": "pw-owner-123",
            "new_password1": "12345678",
            "new_password2": "12345678",
        },
    )

    assert "This password is too common" in response.content.decode()
    owner.refresh_from_db()
    assert owner.check_password("pw-owner-123")


@pytest.mark.django_db
def test_password_reset_by_email(client, owner, mailoutbox, settings):
    settings.SITE_URL = "https://studio.example.org"

    response = client.post(reverse("password_reset"), {"email": "OWNER@example.com"})
    assert response.url == reverse("password_reset_done")

    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["owner@example.com"]
    assert mail.subject == "Choose a new password for your Studio account"
    assert "Hello Olive Owner" in mail.body
    link = re.search(r"https://studio\.example\.org(/accounts/password/reset/\S+/)", mail.body).group(1)

    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    set_password_url = form_page.redirect_chain[-1][0]
    response = client.post(set_password_url, {"new_password1": NEW, "new_password2": NEW})
    assert response.url == reverse("password_reset_complete")
    assert "Your new password is saved" in client.get(reverse("password_reset_complete")).content.decode()

    owner.refresh_from_db()
    assert owner.check_password(NEW)
    assert client.login(username="owner@example.com", password=NEW)
    # The link works once.
    client.logout()
    assert "This link no longer works" in client.get(link, follow=True).content.decode()


@pytest.mark.django_db
def test_password_reset_for_an_unknown_email_sends_nothing_and_says_the_same(client, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"}, follow=True)

    assert "Check your email" in response.content.decode()
    assert mailoutbox == []


@pytest.mark.django_db
def test_password_reset_explains_a_mistyped_address(client, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "owner-at-example.com"})

    html = response.content.decode()
    assert "That does not look like an email address" in html
    assert 'value="owner-at-example.com"' in html
    assert mailoutbox == []


@pytest.mark.django_db
def test_a_broken_reset_link_offers_a_new_one(client, owner):
    response = client.get(reverse("password_reset_confirm", kwargs={"uidb64": "MQ", "token": "nope-nope"}))

    html = response.content.decode()
    assert "This link no longer works" in html
    assert f'href="{reverse("password_reset")}"' in html
    assert User.objects.get(pk=owner.pk).check_password("pw-owner-123")
