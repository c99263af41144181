"""The poller's change marks, on the scale-out path: each web process answers "nothing new" from its
own copy of the marks, which Redis pub/sub keeps true (studio/redis_cache.py). A mark moved by another
process (the worker's cluster, another web server) reaches this one's poller within a poll; and while
the copy cannot be vouched for (its subscriber stuck, its connection gone) the poll reads Redis."""

import os
import re
import subprocess
import sys
import time

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from generations import changes
from lib import redis_cache
from tests.conftest import ROOT, cache_env, database_url, wait_for
from tests.generations.videos import make_generation

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

POLL_SECONDS = 1.0  # the dashboard's poller asks every second (templates/studio/dashboard.html)

ELSEWHERE = """
import sys

import django

django.setup()
from django.db import transaction
from django.utils import timezone

from generations.models import Generation

with transaction.atomic():
    Generation.objects.get(pk=sys.argv[1]).mark_running(progress=int(sys.argv[2]), next_poll_at=timezone.now())
"""


def change_elsewhere(gen, progress):
    """What the worker does: a change to the video committed in a process of its own."""
    env = {**os.environ, "DATABASE_URL": database_url(), **cache_env(), "DJANGO_SETTINGS_MODULE": "config.settings"}
    subprocess.run([sys.executable, "-c", ELSEWHERE, str(gen.pk), str(progress)], cwd=ROOT, env=env, check=True)


def poll(client, since, seen):
    return client.get(
        reverse("generation_poll"), {"since": since}, headers={"hx-request": "true", "x-poller-seen": seen}
    )


def trusted(copy):
    return time.monotonic() - copy.true_as_of < redis_cache.TRUSTED_SECONDS


def first_answer_with_the_card(client, since, seen, gen, within):
    """Polls as fast as it can until an answer shows the card; how long that took."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        response = poll(client, since, seen)
        if response.status_code == 200 and f"generation-{gen.pk}" in response.content.decode():
            return time.monotonic() - started, response.content.decode()
        time.sleep(0.02)
    raise AssertionError(f"the poll did not show the change within {within} s")


@pytest.fixture
def watching(client, owner):
    """A creator's dashboard polling a video in flight, answered from this process's copy."""
    gen = make_generation(owner)
    client.force_login(owner)
    page = client.get(reverse("dashboard")).content.decode()
    since = re.search(r'name="since" value="(\d+)"', page).group(1)
    seen = re.search(r'"X-Poller-Seen": "([^"]*)"', page).group(1)
    copy = cache._copy
    assert poll(client, since, seen).status_code == 204  # starts the subscriber
    wait_for(lambda: trusted(copy), timeout=10, every=0.05, message="the subscription")
    assert poll(client, since, seen).status_code == 204
    assert cache.make_key(changes._key(owner.pk)) in copy.values
    return gen, since, seen, copy


def test_nothing_new_is_answered_without_asking_redis(client, watching, monkeypatch):
    gen, since, seen, copy = watching
    asked = []
    real_get = redis_cache.RedisCache.get
    monkeypatch.setattr(redis_cache.RedisCache, "get", lambda self, *a, **k: asked.append(a) or real_get(self, *a, **k))
    for _ in range(20):
        assert poll(client, since, seen).status_code == 204
    assert asked == []


def test_a_change_made_in_another_process_reaches_this_ones_poller_within_a_poll(client, watching):
    gen, since, seen, copy = watching
    change_elsewhere(gen, progress=70)
    took, html = first_answer_with_the_card(client, since, seen, gen, within=POLL_SECONDS)
    assert "70%" in html and took < POLL_SECONDS
    new_seen = re.search(r'"X-Poller-Seen": "([^"]*)"', html).group(1)
    assert new_seen != seen
    assert poll(client, since, new_seen).status_code == 204  # the new mark, back in the copy


def test_while_the_subscriber_is_stuck_the_poll_reads_redis_and_sees_the_change(client, watching):
    gen, since, seen, copy = watching
    with copy.lock:  # the subscriber cannot drop the moved mark from the copy, nor hear Redis's answers
        change_elsewhere(gen, progress=80)
        took, html = first_answer_with_the_card(client, since, seen, gen, within=POLL_SECONDS)
        assert "80%" in html and not trusted(copy)


def test_with_the_subscriber_cut_off_the_poll_still_sees_changes_and_the_copy_comes_back(client, watching):
    gen, since, seen, copy = watching
    server = redis.Redis.from_url(settings.REDIS_URL)
    ours = [c for c in server.client_list() if c["name"] == f"{redis_cache.CHANNEL}-{os.getpid()}"]
    assert ours
    for connection in ours:
        server.client_kill_filter(_id=connection["id"])
    change_elsewhere(gen, progress=90)  # published while nobody here listens
    took, html = first_answer_with_the_card(client, since, seen, gen, within=POLL_SECONDS)
    assert "90%" in html

    wait_for(lambda: trusted(copy), timeout=10, every=0.05, message="the subscription made again")
    new_seen = re.search(r'"X-Poller-Seen": "([^"]*)"', html).group(1)
    assert poll(client, since, new_seen).status_code == 204
    assert cache.make_key(changes._key(gen.user_id)) in copy.values
    change_elsewhere(gen, progress=95)
    took, html = first_answer_with_the_card(client, since, new_seen, gen, within=POLL_SECONDS)
    assert "95%" in html


def test_clearing_the_cache_empties_this_process_copy_at_once(client, watching, owner):
    gen, since, seen, copy = watching
    cache.clear()
    assert copy.values == {}
    assert changes.peek(owner.pk) is None


CLEAR_ELSEWHERE = """
import django

django.setup()
from django.core.cache import cache

cache.clear()
"""


def test_a_clear_in_another_process_empties_this_ones_copy(client, watching, owner):
    gen, since, seen, copy = watching
    env = {**os.environ, "DATABASE_URL": database_url(), **cache_env(), "DJANGO_SETTINGS_MODULE": "config.settings"}
    subprocess.run([sys.executable, "-c", CLEAR_ELSEWHERE], cwd=ROOT, env=env, check=True)
    wait_for(lambda: copy.values == {}, timeout=POLL_SECONDS, every=0.02, message="the copy emptied")
    assert changes.peek(owner.pk) is None
