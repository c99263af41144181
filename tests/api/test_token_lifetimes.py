"""API tokens end: at the expiry chosen when one is made, when the password changes (or is reset), when
the account is switched off; and making one asks for the password again."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from api.models import Token
from tests.api.helpers import auth, token_for

PASSWORD = "pw-owner-123"


def _make(client, **fields):
    return client.post(reverse("api_tokens"), {"name": "shop plugin", "password": PASSWORD, **fields})


def _secret(page):
    return re.search(r"(st_[A-Za-z0-9_-]{40,})", page.content.decode()).group(1)


def test_making_a_token_asks_for_the_password_again(client, owner):
    client.force_login(owner)
    page = _make(client, password="not-it")
    assert page.status_code == 400 and "That is not your password" in page.content.decode()
    assert not Token.objects.exists()
    assert _make(client).status_code == 200 and Token.objects.count() == 1


def test_a_token_expires_after_the_days_chosen_and_is_refused_in_plain_words(client, owner):
    client.force_login(owner)
    form = client.get(reverse("api_tokens")).content.decode()
    assert 'value="30"' in form and 'value="365"' in form and "never" not in form.lower().split("your tokens")[0]
    secret = _secret(_make(client, days="30"))
    token = Token.objects.get()
    assert token.expires_at - token.created_at == timedelta(days=30)
    assert _make(client, days="0").status_code == 400  # "never" is not a choice

    with time_machine.travel(token.expires_at - timedelta(minutes=1)):
        assert client.get("/api/v1/balance", **auth(secret)).status_code == 200
    with time_machine.travel(token.expires_at + timedelta(minutes=1)):
        refused = client.get("/api/v1/balance", **auth(secret))
        client.force_login(owner)
        page = client.get(reverse("api_tokens")).content.decode()
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "token_expired"
    assert f"This token expired on {token.expires_at:%-d %B %Y}" in refused.json()["error"]["message"]
    assert "expired" in page


def test_the_default_expiry_is_90_days(client, owner):
    client.force_login(owner)
    _make(client)
    token = Token.objects.get()
    assert token.expires_at - token.created_at == timedelta(days=90)


def test_changing_the_password_ends_every_token(client, owner):
    first, second = token_for(owner), token_for(owner)
    client.force_login(owner)
    client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "a-new-pw-4567", "new_password2": "a-new-pw-4567"},
    )

    for secret in (first, second):
        refused = client.get("/api/v1/balance", **auth(secret))
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "token_ended"
        assert "password was changed" in refused.json()["error"]["message"]
    page = client.get(reverse("api_tokens")).content.decode()
    assert page.count("ended when your password changed") == 2
    assert not Token.objects.live().exists()


def test_a_password_reset_ends_every_token(client, owner):
    secret = token_for(owner)
    uid = urlsafe_base64_encode(force_bytes(owner.pk))
    link = reverse("password_reset_confirm", args=[uid, default_token_generator.make_token(owner)])
    form = client.get(link, follow=True)
    client.post(form.redirect_chain[-1][0], {"new_password1": "a-new-pw-4567", "new_password2": "a-new-pw-4567"})
    owner.refresh_from_db()
    assert owner.check_password("a-new-pw-4567")
    assert client.get("/api/v1/balance", **auth(secret)).status_code == 401


@pytest.mark.parametrize("then_back_on", [False, True])
def test_switching_an_account_off_ends_its_tokens(client, owner, then_back_on):
    secret = token_for(owner)
    owner.is_active = False
    owner.save()
    refused = client.get("/api/v1/balance", **auth(secret))
    assert refused.status_code == 401
    if then_back_on:
        owner.is_active = True
        owner.save()
        assert client.get("/api/v1/balance", **auth(secret)).status_code == 401  # ended, not paused
    assert Token.objects.get().ended_because == Token.ENDED_ACCOUNT_OFF


def test_a_new_token_page_is_not_cached(client, owner):
    client.force_login(owner)
    assert _make(client)["Cache-Control"] == "no-store"
    assert timezone.now() < Token.objects.get().expires_at
