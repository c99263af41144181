import re

import pytest
from django.contrib.auth import get_user
from django.urls import reverse

from accounts import handles
from accounts.models import User
from tests.conftest import verification_link

GOOD_PASSWORD = "analytical-engine-1843"


def sign_up(client, name="Ada Lovelace", email="ada@example.com", password=GOOD_PASSWORD, again=None):
    return client.post(
        reverse("signup"),
        {
            "display_name": name,
            "email": email,
            "password1": password,
            "password2": again or password,
        },
    )


@pytest.mark.django_db
def test_sign_up_asks_to_check_the_mail_and_the_link_leads_into_the_studio(client, mailoutbox):
    response = sign_up(client, email="Ada@Example.COM")

    assert response.status_code == 302
    assert response.url == reverse("signup_sent")
    user = User.objects.get()
    assert user.email == "ada@example.com"
    assert user.display_name == "Ada Lovelace"
    assert user.check_password(GOOD_PASSWORD)
    assert not get_user(client).is_authenticated
    assert "Check your email" in client.get(response.url).content.decode()

    verified = client.get(verification_link(mailoutbox, "ada@example.com")).content.decode()
    assert "Your address is verified" in verified and "Log in to make a video" in verified
    client.post(reverse("login"), {"username": "ada@example.com", "password": GOOD_PASSWORD})
    assert get_user(client) == user
    page = client.get(reverse("dashboard"))
    assert page.status_code == 200
    assert 'aria-label="Your balance: 100 credits. See your usage"' in page.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "email", "handle"),
    [
        ("Ada Lovelace", "ada@example.com", "ada-lovelace"),
        ("  Zoë   O'Neil! ", "zoe@example.com", "zoe-oneil"),
        ("李小龙", "bruce.lee_1940@example.com", "bruce-lee-1940"),
        ("Admin", "grace.hopper@example.com", "grace-hopper"),
        ("!!", "x@example.com", "creator"),
        ("A name far, far longer than any handle should ever be", "long@example.com", "a-name-far-far-longer-than"),
    ],
)
def test_the_handle_comes_from_the_name_or_the_email(client, name, email, handle):
    sign_up(client, name=name, email=email)

    user = User.objects.get(email=email)
    assert user.username == handle
    assert handles.problem(user.username) is None


@pytest.mark.django_db
def test_handles_stay_unique(client, owner):
    for email in ["one@example.com", "two@example.com", "three@example.com"]:
        client.logout()
        sign_up(client, name="Ada Lovelace", email=email)

    assert list(User.objects.exclude(pk=owner.pk).order_by("pk").values_list("username", flat=True)) == [
        "ada-lovelace",
        "ada-lovelace-2",
        "ada-lovelace-3",
    ]
    assert handles.unique_handle("Owner", "someone@example.com") == "owner-2"
    User.objects.create_user(username="Grace", email="grace@example.com", password="x")
    assert handles.unique_handle("Grace", "grace2@example.com") == "grace-2"  # taken in any case


@pytest.mark.django_db
@pytest.mark.parametrize("typed", ["owner@example.com", "OWNER@example.com", "Owner@Example.Com"])
def test_an_email_already_in_use_in_any_case_makes_no_second_account_and_tells_only_its_owner(
    client,
    owner,
    typed,
    mailoutbox,
):
    response = sign_up(client, name="Olive Again", email=typed)

    assert response.status_code == 302 and response.url == reverse("signup_sent")  # as for a new address
    assert User.objects.count() == 1
    assert not get_user(client).is_authenticated
    assert [(m.to, m.subject) for m in mailoutbox] == [(["owner@example.com"], "You already have a Studio account")]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1", "This password is too short"),
        ("password123", "This password is too common"),
        ("83920174651", "This password is entirely numeric"),
        ("ada@example.com", "too similar to the email address"),
    ],
)
def test_a_weak_password_is_refused_with_a_reason(client, password, message):
    response = sign_up(client, password=password)

    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "needs fixing" in html
    assert 'value="ada@example.com"' in html
    assert not re.search(r'<input type="password"[^>]*value=', html)  # passwords are never sent back
    assert not User.objects.exists()


@pytest.mark.django_db
def test_the_two_passwords_must_match(client):
    response = sign_up(client, again=GOOD_PASSWORD + "x")

    assert "The two passwords are not the same" in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.django_db
def test_missing_fields_and_a_bad_email_are_named(client):
    response = sign_up(client, name="", email="ada-at-example.com")

    html = response.content.decode()
    assert "This field is required." in html
    assert "That does not look like an email address" in html
    assert 'aria-invalid="true"' in html
    assert not User.objects.exists()


@pytest.mark.django_db
def test_a_logged_in_creator_is_sent_on_from_the_sign_up_page(client, owner):
    client.force_login(owner)

    assert client.get(reverse("signup")).url == reverse("dashboard")


@pytest.mark.django_db
def test_the_sign_up_page_has_a_label_for_every_field(client):
    html = client.get(reverse("signup")).content.decode()

    for field_id, label in [
        ("id_display_name", "Your name"),
        ("id_email", "Email address"),
        ("id_password1", "Password"),
        ("id_password2", "Password again"),
    ]:
        assert f'<label for="{field_id}">{label}</label>' in html


@pytest.mark.django_db
def test_a_sign_up_that_loses_a_race_for_its_email_answers_the_same(client, monkeypatch, mailoutbox):
    real = handles.unique_handle

    def someone_else_signs_up_first(name, email):  # between the form's checks and the save
        User.objects.get_or_create(email=email.upper(), defaults={"username": "quick"})
        return real(name, email)

    monkeypatch.setattr(handles, "unique_handle", someone_else_signs_up_first)
    response = sign_up(client)

    assert response.status_code == 302 and response.url == reverse("signup_sent")
    assert list(User.objects.values_list("username", flat=True)) == ["quick"]
    assert not get_user(client).is_authenticated
    assert [m.subject for m in mailoutbox] == ["You already have a Studio account"]


@pytest.mark.django_db
def test_a_handle_taken_in_the_meantime_is_retried(client, monkeypatch):
    calls = []
    real = handles.unique_handle

    def stale_first(name, email):
        calls.append(name)
        if len(calls) == 1:
            User.objects.create_user(username="ada-lovelace", email="other@example.com", password="x")
            return "ada-lovelace"
        return real(name, email)

    monkeypatch.setattr(handles, "unique_handle", stale_first)
    sign_up(client)

    assert User.objects.get(email="ada@example.com").username == "ada-lovelace-2"
