"""The poller's "nothing new" answered before the URL is routed (generations/middleware.py): the same
204 as the view's, with every header the other middleware put on any answer, and nothing else."""

import re

from django.urls import reverse
from django.urls.resolvers import URLResolver

from tests.generations.videos import make_generation


def dashboard_poller(client, owner):
    make_generation(owner)
    client.force_login(owner)
    page = client.get(reverse("dashboard")).content.decode()
    since = re.search(r'name="since" value="(\d+)"', page).group(1)
    return since, re.search(r'"X-Poller-Seen": "([^"]*)"', page).group(1)


def test_nothing_new_is_answered_without_routing_and_with_the_security_headers(client, owner, monkeypatch):
    since, seen = dashboard_poller(client, owner)
    routed = []
    real_resolve = URLResolver.resolve
    monkeypatch.setattr(URLResolver, "resolve", lambda self, path: routed.append(path) or real_resolve(self, path))
    response = client.get(
        reverse("generation_poll"), {"since": since}, headers={"hx-request": "true", "x-poller-seen": seen}
    )
    assert response.status_code == 204 and response.content == b""
    assert routed == []
    assert response["Cache-Control"] == "no-store"
    assert response["X-Frame-Options"] == "DENY" and response["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_anything_else_goes_on_to_the_view(client, owner):
    since, seen = dashboard_poller(client, owner)
    headers = {"hx-request": "true", "x-poller-seen": seen}
    assert client.post(reverse("generation_poll"), {"since": since}, headers=headers).status_code == 405
    other = {**headers, "x-poller-seen": seen[:-1] + ("0" if seen[-1] != "0" else "1")}
    response = client.get(reverse("generation_poll"), {"since": since}, headers=other)
    assert response.status_code == 200 and "X-Poller-Seen" in response.content.decode()  # the full check
    client.logout()
    response = client.get(reverse("generation_poll"), {"since": since}, headers=headers)
    assert response.status_code == 204 and response["HX-Redirect"] == reverse("login")
