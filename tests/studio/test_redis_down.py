"""Redis down: pages still answer. The cache (sessions, change marks) turns into misses and no-ops,
sessions come from the database (cached_db), the poller does its full check, and a video started
while the broker is away is handed out later by the housekeeping."""

import logging
import uuid
from datetime import timedelta

import pytest
import redis
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from generations import updates
from generations.models import Generation
from worker import sweeper

CLOSED_PORT = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "lib.redis_cache.RedisCache",
            "LOCATION": CLOSED_PORT,
            "KEY_PREFIX": "down",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


def create(client):
    data = {
        "prompt": "A paper plane over a city",
        "model": "wan",
        "duration": "3",
        "size": "1280x720",
        "style": "",
        "camera": "",
        "client_token": str(uuid.uuid4()),
    }
    return client.post(reverse("create"), data, headers={"hx-request": "true"})


def poll(client, since):
    return client.get(reverse("generation_poll"), {"since": since}, headers={"hx-request": "true"})


def test_logging_in_and_the_pages_answer_while_redis_is_down(client, owner, redis_down, queue):
    response = client.post(reverse("login"), {"username": owner.email, "password": "pw-owner-123"})
    assert response.status_code == 302
    assert Session.objects.count() == 1  # the session is in the database

    assert client.get(reverse("dashboard")).status_code == 200
    since = updates.token(timezone.now())
    assert poll(client, since).status_code == 204

    assert create(client).status_code == 200
    gen = Generation.objects.get(user=owner)
    answer = poll(client, since)  # no change mark to read: the full check finds the new card
    assert answer.status_code == 200
    assert f"generation-{gen.pk}" in answer.content.decode()


def test_the_cache_says_so_once_and_answers_as_empty(redis_down, caplog):
    with caplog.at_level(logging.WARNING, logger="lib.redis_cache"):
        assert cache.get("a") is None and cache.get("a", "fallback") == "fallback"
        cache.set("a", 1)
        assert cache.add("a", 1) is False
        assert cache.get_many(["a", "b"]) == {}
        assert cache.set_many({"a": 1}) == ["a"]
        assert "a" not in cache
        cache.delete("a")
        with pytest.raises(ValueError):
            cache.incr("a")
    warnings = [r for r in caplog.records if r.name == "lib.redis_cache"]
    assert len(warnings) == 1 and "cannot be reached" in warnings[0].getMessage()


@pytest.mark.django_db
def test_a_video_started_while_the_broker_is_down_is_handed_out_later(
    client, owner, redis_down, monkeypatch, django_capture_on_commit_callbacks
):
    from django_q import tasks

    def broker_down(*args, **kwargs):
        raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:1. Connection refused.")

    monkeypatch.setattr(tasks, "async_task", broker_down)
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = create(client)
    assert response.status_code == 200
    gen = Generation.objects.get(user=owner)
    assert gen.status == Generation.Status.QUEUED

    sent = []
    monkeypatch.setattr(tasks, "async_task", lambda func, *args, **kwargs: sent.append((func, args)))
    two_minutes_ago = timezone.now() - timedelta(minutes=2)
    Generation.objects.filter(pk=gen.pk).update(created_at=two_minutes_ago, queued_at=two_minutes_ago)
    with django_capture_on_commit_callbacks(execute=True):
        sweeper.housekeeping()
    assert sent == [("worker.tasks.submit_generation", (str(gen.pk),))]
