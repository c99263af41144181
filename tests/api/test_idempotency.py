"""Idempotency-Key on creates: one video and one hold per key and body, decided by the database."""

import threading
import uuid

import httpx
import pytest

from accounts import credits
from accounts.models import CreditEntry
from api.models import IdempotencyKey
from generations.models import Generation
from tests.api.helpers import create, token_for


def holds(user):
    return CreditEntry.objects.filter(user=user, kind=CreditEntry.Kind.HOLD).count()


def test_the_same_key_and_body_give_the_same_video_and_one_hold(client, owner, queue):
    secret, key = token_for(owner), str(uuid.uuid4())
    first, again = create(client, secret, key=key), create(client, secret, key=key)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Generation.objects.count() == 1 and holds(owner) == 1 and len(queue) == 1
    # Another key is another video.
    assert create(client, secret, key=str(uuid.uuid4())).json()["id"] != first.json()["id"]


def test_the_same_key_with_another_body_is_422(client, owner, queue):
    secret, key = token_for(owner), "order-1234"
    create(client, secret, key=key)
    refused = create(client, secret, key=key, prompt="Something else entirely")
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "idempotency_key_reused"
    assert Generation.objects.count() == 1 and holds(owner) == 1


def test_keys_belong_to_their_creator(client, owner, outsider, queue):
    key = "shared-key"
    mine, theirs = create(client, token_for(owner), key=key), create(client, token_for(outsider), key=key)
    assert mine.status_code == theirs.status_code == 201 and mine.json()["id"] != theirs.json()["id"]
    assert Generation.objects.get(pk=theirs.json()["id"]).user == outsider


def test_a_refused_request_keeps_no_key_so_it_can_be_sent_again(client, owner, queue):
    secret, key = token_for(owner), str(uuid.uuid4())
    balance = credits.balance_of(owner)
    credits.adjust(owner, -balance, reason="test")
    assert create(client, secret, key=key).status_code == 402
    assert not IdempotencyKey.objects.exists()
    credits.grant(owner, 100)
    assert create(client, secret, key=key).status_code == 201


def test_a_key_too_long_is_refused_in_words(client, owner, queue):
    answer = create(client, token_for(owner), key="k" * 300)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "idempotency_key"
    assert not Generation.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_creates_with_one_key_make_one_video_and_one_hold(live_server, owner, queue):
    """Real concurrent requests through the live server's threads (run on SQLite and on PostgreSQL)."""
    secret, key = token_for(owner), str(uuid.uuid4())
    body = {"prompt": "A red fox in fresh snow", "model": "veo", "duration": 5, "size": "1280x720"}
    before = credits.balance_of(owner)
    start, answers = threading.Barrier(20), []

    def send():
        start.wait()
        with httpx.Client(timeout=60) as http:
            answers.append(
                http.post(
                    f"{live_server.url}/api/v1/videos",
                    json=body,
                    headers={"Authorization": f"Bearer {secret}", "Idempotency-Key": key},
                )
            )

    threads = [threading.Thread(target=send) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    assert [a.status_code for a in answers] == [201] * 20, [a.text for a in answers if a.status_code != 201]
    assert len({a.json()["id"] for a in answers}) == 1
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 19
    assert Generation.objects.count() == 1 and holds(owner) == 1
    assert credits.balance_of(owner) == before - Generation.objects.get().cost
