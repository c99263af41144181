"""Personal access tokens: made and revoked on the studio's pages, shown once, kept hashed, scoped, limited."""

import hashlib
import re

from django.urls import reverse
from django.utils import timezone

from accounts.models import CreditEntry
from api.models import Token
from generations.models import Generation
from tests.api.helpers import auth, create, jpeg, token_for
from tests.generations.videos import make_generation


def test_a_token_is_shown_once_and_kept_only_as_its_hash(client, owner):
    client.force_login(owner)
    page = client.post(reverse("api_tokens"), {"name": "my laptop", "create": "on", "password": "pw-owner-123"})
    assert page.status_code == 200
    secret = re.search(r"(st_[A-Za-z0-9_-]{40,})", page.content.decode()).group(1)
    token = Token.objects.get(user=owner)
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(Token.objects.filter(pk=token.pk).values().get())
    assert token.scopes == ["create", "read"] and secret.startswith(token.prefix)
    assert page["Cache-Control"] == "no-store"
    again = client.get(reverse("api_tokens"))
    assert secret not in again.content.decode() and token.prefix in again.content.decode()
    assert client.get("/api/v1/balance", **auth(secret)).status_code == 200


def test_the_profile_links_to_the_tokens_and_the_guide(client, owner):
    client.force_login(owner)
    html = client.get(reverse("profile")).content.decode()
    assert reverse("api_tokens") in html and reverse("api_guide") in html


def test_a_token_without_a_name_is_not_made(client, owner):
    client.force_login(owner)
    page = client.post(reverse("api_tokens"), {"name": "  ", "password": "pw-owner-123"})
    assert page.status_code == 400 and "Give the token a name" in page.content.decode()
    assert not Token.objects.exists()


def test_a_revoked_token_is_refused_at_once(client, owner):
    secret = token_for(owner)
    assert client.get("/api/v1/balance", **auth(secret)).status_code == 200
    client.force_login(owner)
    token = Token.objects.get(user=owner)
    client.post(reverse("api_token_revoke", args=[token.pk]))
    client.logout()
    refused = client.get("/api/v1/balance", **auth(secret))
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthenticated"
    assert create(client, secret).status_code == 401
    assert not Generation.objects.exists()


def test_a_read_only_token_cannot_create(client, owner):
    secret = token_for(owner, Token.READ)
    refused = create(client, secret)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "scope" and "create" in refused.json()["error"]["message"]
    upload = client.post("/api/v1/pictures", {"picture": jpeg()}, **auth(secret))
    assert upload.status_code == 403
    assert not Generation.objects.exists() and not owner.pictures.exists()
    assert not CreditEntry.objects.filter(user=owner, kind=CreditEntry.Kind.HOLD).exists()
    assert client.get("/api/v1/videos", **auth(secret)).status_code == 200


def test_another_creators_ids_answer_404(client, owner, outsider):
    theirs = make_generation(outsider, status=Generation.Status.COMPLETED)
    picture_page = client.post("/api/v1/pictures", {"picture": jpeg()}, **auth(token_for(outsider)))
    their_picture = picture_page.json()["id"]
    secret = token_for(owner)
    for path in (f"/api/v1/videos/{theirs.pk}", f"/api/v1/videos/{theirs.pk}/download"):
        answer = client.get(path, **auth(secret))
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/videos", **auth(secret)).json()["count"] == 0
    assert client.get("/api/v1/pictures", **auth(secret)).json()["count"] == 0
    refused = create(client, secret, picture_id=their_picture)
    assert refused.status_code == 404
    assert not Generation.objects.filter(user=owner).exists()
    # Their token cannot be revoked from another account either.
    client.force_login(owner)
    their_token = Token.objects.get(user=outsider)
    assert client.post(reverse("api_token_revoke", args=[their_token.pk])).status_code == 404
    assert Token.objects.get(pk=their_token.pk).is_live


def test_no_token_a_wrong_one_or_a_session_is_refused(client, owner):
    assert client.get("/api/v1/balance").status_code == 401
    assert client.get("/api/v1/balance", HTTP_AUTHORIZATION="Bearer st_nope").status_code == 401
    client.force_login(owner)  # the API takes tokens only: a browser's session (and so CSRF) plays no part
    refused = client.get("/api/v1/balance")
    assert refused.status_code == 401 and refused["WWW-Authenticate"] == "Bearer"


def test_a_token_of_a_deactivated_creator_is_refused(client, owner):
    secret = token_for(owner)
    owner.is_active = False
    owner.save()
    assert client.get("/api/v1/balance", **auth(secret)).status_code == 401


def test_too_many_requests_get_429_with_retry_after(client, owner, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api": "3/m"}
    secret, other = token_for(owner), token_for(owner)
    answers = [client.get("/api/v1/balance", **auth(secret)) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert 1 <= int(answers[-1]["Retry-After"]) <= 60
    assert answers[-1].json()["error"]["code"] == "rate_limited"
    assert client.get("/api/v1/balance", **auth(other)).status_code == 429  # the limit is per creator
    refused = client.get("/api/v1/balance", **auth(token_for(owner)))  # a fresh token brings no fresh allowance
    assert refused.status_code == 429 and "Your tokens have made 3 requests a m" in refused.json()["error"]["message"]


def test_last_used_is_written_at_most_once_a_minute(client, owner):
    secret = token_for(owner)
    token = Token.objects.get(user=owner)
    assert token.last_used_at is None
    client.get("/api/v1/balance", **auth(secret))
    first = Token.objects.get(pk=token.pk).last_used_at
    assert first is not None
    client.get("/api/v1/balance", **auth(secret))
    assert Token.objects.get(pk=token.pk).last_used_at == first
    Token.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timezone.timedelta(minutes=2))
    client.get("/api/v1/balance", **auth(secret))
    assert Token.objects.get(pk=token.pk).last_used_at > first


def test_staff_with_the_change_permission_may_revoke_a_token_in_admin(client, owner, operator):
    secret = token_for(owner)
    token = Token.objects.get(user=owner)
    client.force_login(operator)
    page = client.get(reverse("admin:api_token_changelist"))
    assert (
        page.status_code == 200 and token.prefix in page.content.decode() and token.digest not in page.content.decode()
    )
    client.post(reverse("admin:api_token_changelist"), {"action": "revoke", "_selected_action": [token.pk]})
    client.logout()
    assert client.get("/api/v1/balance", **auth(secret)).status_code == 401


def test_a_token_needs_no_csrf_token_and_a_session_alone_is_not_enough(owner, queue):
    """Only the bearer token authenticates, so a page elsewhere cannot make a creator's browser create
    anything (it has no token to send), and programs need no CSRF token."""
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)
    assert create(browser, "").status_code == 401  # the session cookie is ignored
    assert create(browser, token_for(owner)).status_code == 201
    assert Generation.objects.filter(user=owner).count() == 1


def test_every_operation_answers_401_to_nobody_and_only_the_reference_is_public(client, db):
    from django.urls import get_resolver

    from tests.accounts.test_login_required import EXAMPLES

    api_urls = next(
        e
        for e in get_resolver().url_patterns
        if getattr(e, "url_patterns", None) and any(getattr(p, "namespace", None) == "api-v1" for p in e.url_patterns)
    )
    ninja = next(p for p in api_urls.url_patterns if getattr(p, "namespace", None) == "api-v1")
    answers = {}
    for entry in ninja.url_patterns:
        kwargs = {name: EXAMPLES[type(conv)]() for name, conv in entry.pattern.converters.items()}
        url = reverse(f"api-v1:{entry.name}", kwargs=kwargs)
        answers[entry.name] = client.get(url)
        if answers[entry.name].status_code == 405:
            answers[entry.name] = client.post(url)
    public = {"openapi-json", "openapi-view"}
    assert {name for name, a in answers.items() if a.status_code == 200} == public
    for name, answer in answers.items():
        if name not in public | {"api-root"}:
            assert answer.status_code == 401 and answer.json()["error"]["code"] == "unauthenticated", name
