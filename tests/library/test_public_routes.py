"""Who may open what: every route of the library, a video's page, sharing and the public pages,
tried as the owner, another creator, an anonymous visitor, and with a revoked and a guessed token.

Private routes answer their owner only; public ones answer anyone but show nothing private (no
prompt the creator did not choose to show, no email, no unfinished or unshared video); requests
that are refused change nothing."""

import re

import pytest
from django.urls import get_resolver, reverse

from compare import sharing as comparison_sharing
from generations.models import Collection, Comparison, Generation
from library import sharing
from tests.generations.videos import make_generation, make_video

SECRET = "Words the owner keeps to themselves about a lighthouse"
LOGIN = "login"

# route, method, who ("owner", "outsider", "anonymous"; token routes: "revoked", "guessed"), expected
CASES = [
    ("library", "get", "owner", "page"),
    ("library", "get", "outsider", "own-only"),
    ("library", "get", "anonymous", LOGIN),
    ("library_bulk", "post", "owner", "done"),
    ("library_bulk", "post", "outsider", "own-only"),
    ("library_bulk", "post", "anonymous", LOGIN),
    ("library_export", "post", "owner", "zip"),
    ("library_export", "post", "outsider", "own-only"),
    ("library_export", "post", "anonymous", LOGIN),
    ("collection_create", "post", "owner", "done"),
    ("collection_create", "post", "anonymous", LOGIN),
    ("collection_rename", "post", "owner", "done"),
    ("collection_rename", "post", "outsider", "404"),
    ("collection_rename", "post", "anonymous", LOGIN),
    ("collection_delete", "post", "owner", "done"),
    ("collection_delete", "post", "outsider", "404"),
    ("collection_delete", "post", "anonymous", LOGIN),
    ("generation_detail", "get", "owner", "page"),
    ("generation_detail", "get", "outsider", "404"),
    ("generation_detail", "get", "anonymous", LOGIN),
    ("generation_card", "get", "owner", "page"),
    ("generation_card", "get", "outsider", "404"),
    ("generation_card", "get", "anonymous", LOGIN),
    ("generation_poll", "get", "owner", "own-only"),
    ("generation_poll", "get", "outsider", "own-only"),
    ("generation_poll", "get", "anonymous", LOGIN),
    ("generation_video", "get", "owner", "file"),
    ("generation_video", "get", "outsider", "404"),
    ("generation_video", "get", "anonymous", LOGIN),
    ("generation_poster", "get", "owner", "file"),
    ("generation_poster", "get", "outsider", "404"),
    ("generation_poster", "get", "anonymous", LOGIN),
    ("generation_download", "get", "owner", "file"),
    ("generation_download", "get", "outsider", "404"),
    ("generation_download", "get", "anonymous", LOGIN),
    ("generation_favourite", "post", "owner", "done"),
    ("generation_favourite", "post", "outsider", "404"),
    ("generation_favourite", "post", "anonymous", LOGIN),
    ("generation_move", "post", "owner", "done"),
    ("generation_move", "post", "outsider", "404"),
    ("generation_move", "post", "anonymous", LOGIN),
    ("generation_share", "post", "owner", "done"),
    ("generation_share", "post", "outsider", "404"),
    ("generation_share", "post", "anonymous", LOGIN),
    ("generation_unshare", "post", "owner", "done"),
    ("generation_unshare", "post", "outsider", "404"),
    ("generation_unshare", "post", "anonymous", LOGIN),
    ("generation_title", "post", "owner", "done"),
    ("generation_title", "post", "outsider", "404"),
    ("generation_title", "post", "anonymous", LOGIN),
    ("generation_retry", "get", "outsider", "404"),
    ("generation_retry", "get", "anonymous", LOGIN),
    ("generation_retry", "post", "outsider", "404"),
    ("generation_switch", "get", "outsider", "404"),
    ("generation_switch", "post", "anonymous", LOGIN),
    ("generation_restore", "post", "outsider", "404"),
    ("generation_restore", "post", "anonymous", LOGIN),
    ("generation_final", "get", "owner", "page"),
    ("generation_final", "get", "outsider", "404"),
    ("generation_final", "post", "outsider", "404"),
    ("generation_final", "get", "anonymous", LOGIN),
    ("shared_video", "get", "owner", "public"),
    ("shared_video", "get", "outsider", "public"),
    ("shared_video", "get", "anonymous", "public"),
    ("shared_video", "get", "revoked", "gone"),
    ("shared_video", "get", "guessed", "gone"),
    ("shared_video_file", "get", "anonymous", "file"),
    ("shared_video_file", "get", "outsider", "file"),
    ("shared_video_file", "get", "revoked", "404"),
    ("shared_video_file", "get", "guessed", "404"),
    ("shared_poster", "get", "anonymous", "file"),
    ("shared_poster", "get", "revoked", "404"),
    ("shared_poster", "get", "guessed", "404"),
    ("gallery", "get", "owner", "public"),
    ("gallery", "get", "outsider", "public"),
    ("gallery", "get", "anonymous", "public"),
    ("featured", "get", "outsider", "public"),
    ("featured", "get", "anonymous", "public"),
    ("shared_comparison", "get", "owner", "public grid"),
    ("shared_comparison", "get", "outsider", "public grid"),
    ("shared_comparison", "get", "anonymous", "public grid"),
    ("shared_comparison", "get", "revoked", "grid gone"),
    ("shared_comparison", "get", "guessed", "grid gone"),
    ("shared_comparison_file", "get", "anonymous", "file"),
    ("shared_comparison_file", "get", "outsider", "file"),
    ("shared_comparison_file", "get", "revoked", "404"),
    ("shared_comparison_file", "get", "guessed", "404"),
]
PREFIXES = ("library", "collection_", "generation_", "shared_")
TOKEN_ROUTES = {"shared_video", "shared_video_file", "shared_poster"}
COMPARISON_ROUTES = {"shared_comparison", "shared_comparison_file"}


@pytest.fixture
def world(owner, outsider, media_root):
    """The owner's studio: a shared video (on their page, featured, prompt hidden), a private one,
    one still being made, a failed one, a collection, and a video whose link was turned off."""
    shared = make_video(owner, prompt=SECRET)
    sharing.share(shared, show_prompt=False, in_gallery=True)
    Generation.objects.filter(pk=shared.pk).update(featured=True)
    # Flags that mean nothing without a share link: none of these may show anywhere public.
    flags = {"in_gallery": True, "featured": True, "share_prompt": True}
    private = make_video(owner, prompt="Private: never on a public page", **flags)
    make_generation(
        owner, prompt="Private: still being made", status=Generation.Status.RUNNING, share_token="x" * 43, **flags
    )
    make_generation(owner, prompt="Private: it failed", status=Generation.Status.FAILED, share_token="y" * 43, **flags)
    revoked = make_video(owner, prompt="Private: no longer shared")
    sharing.share(revoked, show_prompt=True, in_gallery=True)
    old_token = revoked.share_token
    sharing.stop_sharing(revoked)
    # A comparison (of the secret prompt) shared as a grid: its finished take, never its prompt.
    comparison = Comparison.objects.create(user=owner, prompt=SECRET)
    make_video(owner, prompt=SECRET, comparison=comparison)
    make_generation(owner, prompt=SECRET, comparison=comparison)
    comparison_sharing.share_comparison(comparison)
    stopped = Comparison.objects.create(user=owner, prompt="Private: a comparison no longer shared")
    comparison_sharing.share_comparison(stopped)
    stopped_token = stopped.share_token
    comparison_sharing.stop_sharing_comparison(stopped)
    return {
        "comparison": comparison,
        "comparison_tokens": {"revoked": stopped_token, "guessed": sharing.new_token()},
        "shared": Generation.objects.get(pk=shared.pk),
        "private": private,
        "collection": Collection.objects.create(user=owner, name="Trips"),
        "tokens": {"revoked": old_token, "guessed": sharing.new_token()},
    }


def url_for(name, world, who, owner):
    token = world["tokens"].get(who, world["shared"].share_token)
    kwargs = {
        "library": {},
        "library_bulk": {},
        "library_export": {},
        "collection_create": {},
        "featured": {},
        "generation_poll": {},
        "collection_rename": {"pk": world["collection"].pk},
        "collection_delete": {"pk": world["collection"].pk},
        "gallery": {"handle": owner.username.upper()},  # handles are found in any case
    }.get(name)
    if name in COMPARISON_ROUTES:
        token = world["comparison_tokens"].get(who, world["comparison"].share_token)
        kwargs = {"token": token, **({"number": 1} if name == "shared_comparison_file" else {})}
    if kwargs is None:
        kwargs = {"token": token} if name in TOKEN_ROUTES else {"pk": world["shared"].pk}
    return reverse(name, kwargs=kwargs)


def post_data(name, world):
    return {
        "library_bulk": {"ids": [world["shared"].pk], "action": "delete", "confirm": "yes"},
        "collection_create": {"name": "Holidays"},
        "collection_rename": {"name": "Renamed"},
        "generation_favourite": {"favourite": "on"},
        "generation_move": {"collection": world["collection"].pk},
        "generation_share": {"share_prompt": "on"},
        "generation_title": {"title": "A title someone else typed"},
    }.get(name, {})


def snapshot(user):
    rows = (
        Generation.objects.filter(user=user)
        .order_by("pk")
        .values_list("pk", "favourite", "collection", "share_token", "share_prompt", "in_gallery", "featured", "title")
    )
    return list(rows), list(Collection.objects.filter(user=user).values_list("pk", "name"))


def text_of(response):
    if response.streaming:
        return ""
    return response.content.decode(errors="replace")


def test_the_table_covers_every_route_of_the_library_and_the_public_pages():
    names = {
        entry.name
        for entry in _every_pattern(get_resolver().url_patterns)
        if getattr(entry, "name", None) and (entry.name.startswith(PREFIXES) or entry.name in ("gallery", "featured"))
    }
    covered = {name for name, *_ in CASES}
    assert names == covered, f"Routes missing from the table: {names - covered}"


def _every_pattern(patterns):
    for entry in patterns:
        if hasattr(entry, "url_patterns"):
            yield from _every_pattern(entry.url_patterns)
        else:
            yield entry


@pytest.mark.parametrize(("name", "method", "who", "expected"), CASES, ids=[f"{n}-{w}" for n, _, w, _ in CASES])
def test_who_may_open_what(client, owner, outsider, world, name, method, who, expected):
    if who == "owner":
        client.force_login(owner)
    elif who == "outsider":
        client.force_login(outsider)
    url = url_for(name, world, who, owner)
    before = snapshot(owner)

    response = getattr(client, method)(url, post_data(name, world) if method == "post" else None)
    body = text_of(response)

    if expected == LOGIN:
        assert response.status_code == 302 and response.url.startswith(reverse("login")), response.status_code
    elif expected == "page":
        assert response.status_code == 200
        assert SECRET in body
    elif expected == "file":
        assert response.status_code == 200
        assert response["Content-Type"] in ("video/mp4", "image/jpeg")
        assert response["Accept-Ranges"] == "bytes"
    elif expected == "zip":
        assert response.status_code == 200 and response["Content-Type"] == "application/zip"
        assert str(world["private"].pk)[:8] in str(b"".join(response.streaming_content))
    elif expected == "done":
        assert response.status_code == 302 and not response.url.startswith(reverse("login"))
        assert snapshot(owner) != before
    elif expected == "own-only":
        assert response.status_code in (200, 204, 302)
        assert SECRET not in body
    elif expected == "404":
        assert response.status_code == 404
        assert SECRET not in body
    elif expected == "gone":
        assert response.status_code == 404
        assert "This video is no longer shared" in body
    elif expected == "public grid":
        assert response.status_code == 200
        assert reverse("shared_comparison_file", args=[world["comparison"].share_token, 1]) in body
        assert "Olive Owner" in body
    elif expected == "grid gone":
        assert response.status_code == 404
        assert "This comparison is no longer shared" in body
    elif expected == "public":
        assert response.status_code == 200
        assert world["shared"].share_token in body  # the shared video is there...
        assert "Olive Owner" in body
    if expected != "page":
        # ...and nothing private, on any page that is not the owner's own.
        assert SECRET not in body and "Private:" not in body and owner.email not in body
        assert str(world["private"].pk) not in body
        assert set(re.findall(r"/s/([^/\"]+)/", body)) <= {world["shared"].share_token}
    if who != "owner":
        assert snapshot(owner) == before
