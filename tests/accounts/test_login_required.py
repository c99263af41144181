"""Every studio page asks anonymous visitors to log in. A page meant for everyone must be named here."""

import uuid

import pytest
from django.urls import URLPattern, URLResolver, converters, get_resolver, reverse

PUBLIC = {
    "login",
    "signup",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    # The link mailed to verify an address may be opened anywhere: the signed token is the permission
    # (tests/accounts/test_verification.py).
    "signup_sent",
    "verify_email",
    "healthz",
    "ping",
    "status",
    "metrics",
    # The front door (a creator logged in gets their dashboard there: tests/studio/test_front_door.py) and the
    # plans; asking for another plan (upgrade_request) needs an account.
    "dashboard",
    "pricing",
    # Public on purpose: tests/library/test_public_routes.py checks they show nothing private.
    "shared_video",
    "shared_video_file",
    "shared_poster",
    "gallery",
    "featured",
    # A shared comparison's grid and its takes' files: the share token is the permission
    # (tests/library/test_public_routes.py, tests/compare/test_comparison_views.py).
    "shared_comparison",
    "shared_comparison_file",
    # The Models page, like the plans, and its sample clips (only videos an operator chose as samples:
    # tests/compare/test_takes.py).
    "models",
    "model_sample_file",
    # For Pixapi to fetch a picture: the signed, expiring token is the permission (tests/studio/test_wizard.py).
    "picture_for_pixapi",
    # Stripe's events: the signature is the permission (tests/billing/test_buying.py).
    "stripe_webhook",
}
SKIPPED_NAMESPACES = {
    "admin",  # Django admin sends visitors to its own login page
    "pixapi_sandbox",  # the sandbox is an API that checks its own key
    "stripe_sandbox",  # so is the Stripe stand-in (its checkout page plays Stripe's own site)
    "api-v1",  # the creator API answers 401 without a token (tests/api/test_tokens.py)
}
EXAMPLES = {
    converters.UUIDConverter: uuid.uuid4,
    converters.IntConverter: lambda: 1,
    converters.SlugConverter: lambda: "example",
    converters.StringConverter: lambda: "example",
    converters.PathConverter: lambda: "example",
}


def studio_urls(patterns=None, namespace=None):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = entry.namespace or namespace
            if inner not in SKIPPED_NAMESPACES:
                yield from studio_urls(entry.url_patterns, ":".join(filter(None, [namespace, entry.namespace])) or None)
        elif isinstance(entry, URLPattern) and entry.name and entry.name not in PUBLIC:
            kwargs = {name: EXAMPLES[type(conv)]() for name, conv in getattr(entry.pattern, "converters", {}).items()}
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield name, reverse(name, kwargs=kwargs)


URLS = sorted(dict(studio_urls()).items())


def test_the_list_covers_the_studio():
    names = {name for name, _ in URLS}
    assert {"create", "upgrade_request", "profile", "password_change", "password_change_done"} <= names


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "url"), URLS, ids=[name for name, _ in URLS])
def test_anonymous_visitors_are_sent_to_log_in(client, name, url):
    response = client.get(url)
    if response.status_code == 405:  # a POST-only action
        response = client.post(url)

    assert response.status_code == 302, f"{name} answered {response.status_code} to an anonymous visitor"
    assert response.url.split("?")[0] in {reverse("login"), reverse("admin:login")}
    assert "next=" in response.url


@pytest.mark.django_db
def test_an_htmx_request_with_no_session_is_sent_to_log_in_as_a_whole_page(client):
    response = client.get(reverse("generation_poll"), headers={"HX-Request": "true"})

    assert response["HX-Redirect"] == reverse("login")
