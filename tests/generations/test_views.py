"""Video serving, the dashboard's poller, and who may see what."""

import re
import uuid
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.models import CatalogModel
from generations import updates
from generations.models import Generation

VIDEO_BYTES = bytes(range(256)) * 40  # 10,240 bytes, each position recognisable


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def make_generation(user, status=Generation.Status.RUNNING, prompt="A windmill turning slowly", **extra):
    wan = CatalogModel.objects.get(slug="wan")
    return Generation.objects.create(
        user=user,
        model=wan,
        prompt=prompt,
        full_prompt=prompt,
        duration=2,
        size="1280x720",
        status=status,
        cost=wan.price(2, "1280x720"),
        **extra,
    )


def make_completed(user, **extra):
    gen = make_generation(user, status=Generation.Status.COMPLETED, progress=100, finished_at=timezone.now(), **extra)
    gen.video = default_storage.save(f"videos/{gen.pk}.mp4", ContentFile(VIDEO_BYTES))
    gen.poster = default_storage.save(f"posters/{gen.pk}.jpg", ContentFile(b"\xff\xd8poster"))
    gen.save()
    return gen


# Range requests


def test_whole_video_says_it_accepts_ranges(client, owner, media):
    gen = make_completed(owner)
    client.force_login(owner)
    response = client.get(reverse("generation_video", args=[gen.pk]))
    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Type"] == "video/mp4"
    assert int(response["Content-Length"]) == len(VIDEO_BYTES)
    assert b"".join(response.streaming_content) == VIDEO_BYTES


@pytest.mark.parametrize(
    "header, start, end",
    [
        ("bytes=0-1", 0, 1),
        ("bytes=100-199", 100, 199),
        ("bytes=10000-", 10000, 10239),
        ("bytes=-40", 10200, 10239),
        ("bytes=10200-99999", 10200, 10239),
    ],
)
def test_range_requests_answer_206_with_exactly_those_bytes(client, owner, media, header, start, end):
    gen = make_completed(owner)
    client.force_login(owner)
    response = client.get(reverse("generation_video", args=[gen.pk]), headers={"range": header})
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {start}-{end}/{len(VIDEO_BYTES)}"
    assert int(response["Content-Length"]) == end - start + 1
    assert b"".join(response.streaming_content) == VIDEO_BYTES[start : end + 1]


def test_a_range_past_the_end_is_416(client, owner, media):
    gen = make_completed(owner)
    client.force_login(owner)
    response = client.get(reverse("generation_video", args=[gen.pk]), headers={"range": "bytes=20000-"})
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(VIDEO_BYTES)}"


def test_download_has_a_sensible_file_name(client, owner, media):
    gen = make_completed(owner, prompt="A Windmill, turning slowly!")
    client.force_login(owner)
    response = client.get(reverse("generation_download", args=[gen.pk]))
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "a-windmill-turning-slowly-" in disposition and disposition.endswith('.mp4"')


def test_a_video_not_ready_yet_is_404(client, owner, media):
    gen = make_generation(owner)
    client.force_login(owner)
    assert client.get(reverse("generation_video", args=[gen.pk])).status_code == 404


# Who may see what


@pytest.mark.parametrize("name", ["generation_video", "generation_poster", "generation_download", "generation_card"])
def test_another_creator_cannot_reach_someone_elses_generation(client, owner, outsider, media, name):
    gen = make_completed(owner)
    client.force_login(outsider)
    assert client.get(reverse(name, args=[gen.pk])).status_code == 404
    client.force_login(owner)
    assert client.get(reverse(name, args=[gen.pk])).status_code == 200


@pytest.mark.parametrize("name", ["generation_video", "generation_poster", "generation_download", "generation_card"])
def test_logged_out_visitors_are_sent_to_log_in(client, owner, media, name):
    gen = make_completed(owner)
    response = client.get(reverse(name, args=[gen.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_another_creator_cannot_poll_someone_elses_cards(client, owner, outsider, media):
    since = updates.token(timezone.now() - timedelta(minutes=1))
    gen = make_generation(owner, prompt="Owner's secret lighthouse")
    client.force_login(owner)
    owners_seen = seen_token(poll(client, since).content.decode())
    client.force_login(outsider)
    html = poll(client, since).content.decode()
    assert "secret lighthouse" not in html and str(gen.pk) not in html
    assert seen_token(html).split(":")[0] == str(outsider.pk)
    # The owner's token names the owner's mark, but it was made for the owner's browser only.
    html = poll(client, since, seen=owners_seen).content.decode()
    assert "secret lighthouse" not in html and seen_token(html).split(":")[0] == str(outsider.pk)


def test_another_creator_cannot_generate_again_from_someone_elses_video(client, owner, outsider, media):
    gen = make_completed(owner, prompt="Owner's secret lighthouse")
    client.force_login(outsider)
    page = client.get(reverse("dashboard"), {"again": str(gen.pk)}).content.decode()
    assert "secret lighthouse" not in page


def test_admin_video_needs_staff(client, owner, operator, media):
    gen = make_completed(owner)
    client.force_login(owner)
    assert client.get(reverse("admin_generation_video", args=[gen.pk])).status_code == 302
    client.force_login(operator)
    assert client.get(reverse("admin_generation_video", args=[gen.pk])).status_code == 200


# The poller


def poll(client, since, have=(), seen=""):
    return client.get(
        reverse("generation_poll"),
        {"since": since, "have": ",".join(map(str, have))},
        headers={"hx-request": "true", "x-poller-seen": seen},
    )


def studio_queries(captured):
    """Queries other than the cache's own (a table, on PostgreSQL without Redis)."""
    return [q["sql"] for q in captured.captured_queries if "studio_cache" not in q["sql"]]


def seen_token(html):
    found = re.search(r'"X-Poller-Seen": "([^"]*)"', html)
    return found and found.group(1)


def test_poll_answers_204_without_the_database_when_nothing_changed(client, owner, django_capture_on_commit_callbacks):
    gen = make_generation(owner)
    client.force_login(owner)
    page = client.get(reverse("dashboard")).content.decode()
    since, seen = re.search(r'name="since" value="(\d+)"', page).group(1), seen_token(page)
    assert seen.startswith(f"{owner.pk}:")

    with CaptureQueriesContext(connection) as nothing_new:
        response = poll(client, since, seen=seen)
    assert response.status_code == 204 and response["Cache-Control"] == "no-store"
    assert studio_queries(nothing_new) == []  # not even the session: the mark comes from the cache

    with django_capture_on_commit_callbacks(execute=True):
        gen.mark_running(progress=40, next_poll_at=timezone.now())
    html = poll(client, since, have=[gen.pk], seen=seen).content.decode()
    assert f'id="generation-{gen.pk}"' in html and "40%" in html
    assert seen_token(html) not in ("", seen)
    assert poll(client, updates.token(gen.updated_at), seen=seen_token(html)).status_code == 204


def test_poll_without_a_mark_in_the_cache_still_finds_changes(client, owner):
    from django.core.cache import cache

    since = updates.token(timezone.now() - timedelta(seconds=5))
    client.force_login(owner)
    first = poll(client, since).content.decode()
    gen = make_generation(owner, prompt="Made while the cache was lost")
    cache.clear()  # the session lives on in the database; the mark is made again, different
    html = poll(client, since, seen=seen_token(first)).content.decode()
    assert "Made while the cache was lost" in html and f"generation-{gen.pk}" in html


def test_a_token_is_worth_nothing_without_its_browsers_session(client, owner):
    client.force_login(owner)
    seen = seen_token(poll(client, updates.token(timezone.now())).content.decode())
    assert poll(client, updates.token(timezone.now()), seen=seen).status_code == 204
    client.logout()  # or the cookie was never there: copied from a log, say
    response = poll(client, updates.token(timezone.now()), seen=seen)
    assert response.status_code == 204 and response["HX-Redirect"] == reverse("login")
    client.force_login(owner)  # a new session: the old token does not fit it
    assert poll(client, updates.token(timezone.now()), seen=seen).status_code == 200


def test_after_a_password_change_the_next_change_asks_to_log_in(client, owner, django_capture_on_commit_callbacks):
    gen = make_generation(owner)
    client.force_login(owner)
    seen = seen_token(poll(client, updates.token(timezone.now())).content.decode())
    owner.set_password("a-whole-new-password-42")
    owner.save()
    with django_capture_on_commit_callbacks(execute=True):
        gen.mark_running(progress=50, next_poll_at=timezone.now())
    response = poll(client, updates.token(timezone.now() - timedelta(minutes=1)), seen=seen)
    assert response.status_code == 204 and response["HX-Redirect"] == reverse("login")


def test_poll_sends_changed_cards_and_a_poller_that_stops_when_all_are_done(client, owner, media):
    before = updates.token(timezone.now() - timedelta(seconds=5))
    running = make_generation(owner, prompt="Still going")
    done = make_completed(owner, prompt="All finished")
    client.force_login(owner)

    html = poll(client, before, have=[running.pk, done.pk]).content.decode()
    assert f'id="generation-{running.pk}"' in html and f'id="generation-{done.pk}"' in html
    assert 'hx-swap-oob="outerHTML"' in html
    assert 'hx-trigger="every 1s"' in html  # one is still running
    assert "<video" in html and 'data-just-finished="completed"' in html

    Generation.objects.filter(pk=running.pk).update(status=Generation.Status.FAILED, updated_at=timezone.now())
    html = poll(client, updates.token(done.updated_at), have=[running.pk, done.pk]).content.decode()
    assert "every 1s" not in html  # nothing in flight: no more polling
    assert f'id="generation-{done.pk}"' not in html  # unchanged since the last look


def test_poll_inserts_cards_the_page_does_not_have(client, owner):
    before = updates.token(timezone.now() - timedelta(seconds=5))
    make_generation(owner, prompt="Made in another tab")
    client.force_login(owner)
    html = poll(client, before, have=[]).content.decode()
    assert 'hx-swap-oob="afterbegin:#cards"' in html and "Made in another tab" in html


def test_poll_query_count_is_the_same_for_one_card_and_fifty(client, owner, media):
    client.force_login(owner)
    before = updates.token(timezone.now() - timedelta(seconds=5))
    make_generation(owner)
    poll(client, before)  # the session and the mark in the cache, as for any page that has polled
    with CaptureQueriesContext(connection) as one:
        assert poll(client, before).status_code == 200
    for i in range(49):
        make_generation(owner, prompt=f"Scene {i}")
    with CaptureQueriesContext(connection) as fifty:
        assert poll(client, before).status_code == 200
    assert len(studio_queries(one)) == len(studio_queries(fifty)) <= 5
    assert not any(q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE")) for q in fifty)


def test_poll_with_an_expired_session_redirects_the_whole_page(client):
    response = client.get(reverse("generation_poll"), {"since": "1"}, headers={"hx-request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("login")


def test_poll_with_a_nonsense_token_is_harmless(client, owner):
    make_generation(owner, prompt="Made just now")
    client.force_login(owner)
    for since, seen in [("yesterday", ""), ("", "not-a-mark"), ("99999999999999999999999", "")]:
        response = poll(client, since, seen=seen)
        assert response.status_code == 200 and "Made just now" not in response.content.decode()


def test_unknown_generation_is_404_not_500(client, owner):
    client.force_login(owner)
    assert client.get(reverse("generation_card", args=[uuid.uuid4()])).status_code == 404
