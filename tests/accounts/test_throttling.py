"""Throttling: log-in (the site's and admin's) locks out after repeated failures per account and per
address, the right password included, with a plain message and the time to wait (django-axes); sign-up,
password reset, new verification links and picture uploads are rate-limited per address and per account
(django-ratelimit): over the limit, a plain message by the form, status 429, and nothing done."""

import io
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user
from django.test import RequestFactory
from django.urls import reverse
from PIL import Image

from accounts import throttle
from accounts.models import User
from generations.models import Draft, Picture

LOCKED = "Too many failed log-ins for this account or from your network, so logging in is paused for safety."


@pytest.fixture(autouse=True)
def limits(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    settings.RATE_LIMITS = {"signup": "2/h", "password_reset": "2/h", "verify_resend": "2/h", "upload": "2/h"}


def log_in(client, email, password, ip="10.0.0.1", url=None):
    return client.post(url or reverse("login"), {"username": email, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_failed_log_ins_lock_the_account_out_even_with_the_right_password(client, owner):
    for _ in range(2):
        response = log_in(client, "owner@example.com", "wrong")
        assert response.status_code == 200
        assert "That email address and password do not match an account" in response.content.decode()

    locked = log_in(client, "OWNER@example.com", "wrong")  # the third, in another case: the same account
    assert locked.status_code == 429
    html = locked.content.decode()
    assert LOCKED in html and "Please try again in 15 minutes" in html
    assert 'class="form-errors" role="alert"' in html and 'value="OWNER@example.com"' in html

    right = log_in(client, "owner@example.com", "pw-owner-123")
    assert right.status_code == 429 and LOCKED in right.content.decode()
    assert not get_user(client).is_authenticated

    # From another address too: it is the account that is locked.
    assert log_in(client, "owner@example.com", "pw-owner-123", ip="10.9.9.9").status_code == 429

    # Fifteen minutes after the last failure, the right password works again.
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16))
    response = log_in(client, "owner@example.com", "pw-owner-123")
    assert response.status_code == 302 and get_user(client) == owner


@pytest.mark.django_db
def test_the_wait_named_is_what_is_left(client, owner):
    for _ in range(3):
        log_in(client, "owner@example.com", "wrong")
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=11))

    assert "Please try again in 4 minutes" in log_in(client, "owner@example.com", "wrong").content.decode()


@pytest.mark.django_db
def test_one_address_is_locked_out_across_accounts(client, owner, outsider):
    for email in ["a@example.com", "b@example.com", "c@example.com"]:
        log_in(client, email, "guess", ip="10.6.6.6")

    assert log_in(client, "owner@example.com", "pw-owner-123", ip="10.6.6.6").status_code == 429
    assert not get_user(client).is_authenticated
    assert log_in(client, "outsider@example.com", "pw-outsider-123", ip="10.1.1.1").status_code == 302


@pytest.mark.django_db
def test_admin_log_in_locks_out_too(client, operator):
    url = reverse("admin:login")
    for _ in range(2):
        assert log_in(client, "operator@example.com", "wrong", url=url).status_code == 200
    locked = log_in(client, "operator@example.com", "wrong", url=url)
    assert locked.status_code == 429
    assert LOCKED in locked.content.decode() and "Please try again in 15 minutes" in locked.content.decode()

    right = log_in(client, "operator@example.com", "pw-operator-123", url=url)
    assert right.status_code == 429
    assert not get_user(client).is_authenticated


@pytest.mark.django_db
def test_the_test_clients_own_log_in_is_not_throttled(client, owner):
    assert client.login(username="owner@example.com", password="pw-owner-123")


def test_the_address_behind_proxies(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    settings.PROXY_COUNT = 0
    assert throttle.client_ip(request) == "127.0.0.1"
    settings.PROXY_COUNT = 1
    assert throttle.client_ip(request) == "203.0.113.9"  # what the caller wrote further left is ignored
    assert throttle.client_ip(RequestFactory().get("/", REMOTE_ADDR="2001:db8::1:2:3:4")) == "2001:db8::"


# Rate limits


def sign_up(client, email, ip="10.0.0.1"):
    password = "moving-pictures-1895"
    return client.post(
        reverse("signup"),
        {
            "display_name": "Nia",
            "email": email,
            "password1": password,
            "password2": password,
        },
        REMOTE_ADDR=ip,
    )


@pytest.mark.django_db
def test_sign_ups_are_limited_per_address_and_per_email(client, mailoutbox):
    assert sign_up(client, "one@example.com").status_code == 302
    assert sign_up(client, "two@example.com").status_code == 302
    refused = sign_up(client, "three@example.com")
    assert refused.status_code == 429
    html = refused.content.decode()
    assert "There have been many sign-ups from your network or for this address. Please wait" in html
    assert 'class="form-errors" role="alert"' in html and 'value="three@example.com"' in html
    assert not User.objects.filter(email="three@example.com").exists() and len(mailoutbox) == 2

    # The same address from ever new networks: limited per email address too.
    assert sign_up(client, "four@example.com", ip="10.0.0.2").status_code == 302
    assert sign_up(client, "four@example.com", ip="10.0.0.3").status_code == 302
    assert sign_up(client, "four@example.com", ip="10.0.0.4").status_code == 429
    assert len(mailoutbox) == 4


@pytest.mark.django_db
def test_password_resets_are_limited(client, owner, mailoutbox):
    for ip in ["10.0.0.1", "10.0.0.2"]:
        assert client.post(reverse("password_reset"), {"email": "owner@example.com"}, REMOTE_ADDR=ip).status_code == 302
    refused = client.post(reverse("password_reset"), {"email": "owner@example.com"}, REMOTE_ADDR="10.0.0.3")
    assert refused.status_code == 429
    assert "There have been many password reset requests from your network or for this address." in (
        refused.content.decode()
    )
    assert len(mailoutbox) == 2


@pytest.mark.django_db
def test_new_verification_links_are_limited(client, owner, mailoutbox):
    User.objects.filter(pk=owner.pk).update(email_verified_at=None)
    client.force_login(owner)
    for _ in range(2):
        assert client.post(reverse("resend_verification")).status_code == 302
    refused = client.post(reverse("resend_verification"))
    assert refused.status_code == 429
    html = refused.content.decode()
    assert "We have sent you several links already. Please wait" in html
    assert "Send me a new link" in html
    assert len(mailoutbox) == 2


def png():
    data = io.BytesIO()
    Image.new("RGB", (320, 240), "teal").save(data, "PNG")
    data.seek(0)
    data.name = "teal.png"
    return data


@pytest.mark.django_db
def test_picture_uploads_are_limited(client, owner, media_root):
    draft = Draft.objects.create(user=owner)
    client.force_login(owner)
    url = reverse("wizard_upload", args=[draft.pk])
    for _ in range(2):
        assert client.post(url, {"picture": png()}, headers={"hx-request": "true"}).status_code == 200
    refused = client.post(url, {"picture": png()}, headers={"hx-request": "true"})
    assert refused.status_code == 429
    assert "You have uploaded many pictures in a short time. Please wait" in refused.content.decode()
    assert 'id="dropzone"' in refused.content.decode()  # the message sits by the upload form
    assert Picture.objects.filter(user=owner).count() == 2
