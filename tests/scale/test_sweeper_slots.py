"""Sweeper slots: how many sweepers run, who asks for one, and how the round's messages are sent."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from generations import tracking
from catalog.models import CatalogModel
from generations.models import Generation, SweeperSlot
from pixapi.client import Task

pytestmark = pytest.mark.django_db


def in_flight(user, **extra):
    wan = CatalogModel.objects.get(slug="wan")
    return Generation.objects.create(
        user=user, model=wan, prompt="A heron", full_prompt="A heron", duration=2, size="1280x720",
        status=Generation.RUNNING, pixapi_task_id=f"task_{Generation.objects.count()}",
        submitted_at=timezone.now() - timedelta(seconds=20), next_poll_at=timezone.now(), **extra,
    )


def test_a_burst_of_submits_asks_for_one_sweeper_not_one_each(queue, settings):
    settings.SWEEPERS = 1
    for _ in range(50):
        tracking.ensure_sweeper()
    assert queue == [("sweep", ())]
    assert SweeperSlot.objects.get(number=0).holder == tracking.SLOT_REQUESTED


def test_the_requested_sweeper_takes_the_slot_kept_for_it(queue, settings):
    settings.SWEEPERS = 1
    tracking.ensure_sweeper()
    number, holder = tracking.claim_slot(wait_seconds=0)
    assert number == 0 and holder.count(":") == 2  # machine:process:id, for operators and tests
    assert SweeperSlot.objects.get(number=0).holder == holder


def test_a_sweeper_leaves_at_once_when_every_slot_is_beating(settings):
    settings.SWEEPERS = 2
    first, second = tracking.claim_slot(), tracking.claim_slot()
    assert {first[0], second[0]} == {0, 1}
    began = time.monotonic()
    assert tracking.claim_slot() is None
    assert time.monotonic() - began < 1


def test_a_request_lost_with_its_message_is_made_again_once_the_slot_goes_stale(queue, settings, owner):
    settings.SWEEPERS = 1
    in_flight(owner)
    assert tracking.keep_sweepers() == 1
    assert tracking.keep_sweepers() == 0  # kept for the requested sweeper: no second request
    SweeperSlot.objects.update(heartbeat_at=timezone.now() - timedelta(seconds=tracking.HEARTBEAT_STALE_SECONDS + 1))
    assert tracking.keep_sweepers() == 1
    assert queue == [("sweep", ()), ("sweep", ())]


def test_a_dead_sweepers_slot_is_refilled_while_work_is_in_flight_only(queue, settings, owner):
    settings.SWEEPERS = 2
    tracking.claim_slot()
    tracking.claim_slot()
    SweeperSlot.objects.filter(number=1).update(heartbeat_at=timezone.now() - timedelta(seconds=30))
    assert tracking.keep_sweepers() == 0  # nothing in flight: nothing to sweep
    in_flight(owner)
    assert tracking.keep_sweepers() == 1
    assert SweeperSlot.objects.get(number=1).holder == tracking.SLOT_REQUESTED
    assert SweeperSlot.objects.get(number=0).holder != tracking.SLOT_REQUESTED


def test_a_round_records_every_answer_and_sends_download_messages_after_its_commit(owner, monkeypatch):
    sent = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda name, *args, **options: sent.append((name, args)))
    gens = [in_flight(owner) for _ in range(3)]
    answers = {
        gens[0].pixapi_task_id: Task(gens[0].pixapi_task_id, "running", 40, None, None, None, "in_progress"),
        gens[1].pixapi_task_id: Task(gens[1].pixapi_task_id, "completed", 100, "https://cdn.example/1.mp4", None,
                                     None, "completed"),
        gens[2].pixapi_task_id: Task(gens[2].pixapi_task_id, "completed", 100, "https://cdn.example/2.mp4", None,
                                     None, "completed"),
    }
    monkeypatch.setattr(tracking, "fetch_task", answers.get)

    class Pool:
        def map(self, func, items):
            return map(func, items)

    assert tracking.poll_once(Pool(), 10) == 3
    statuses = dict(Generation.objects.values_list("pk", "status"))
    assert statuses == {gens[0].pk: "running", gens[1].pk: "downloading", gens[2].pk: "downloading"}
    assert sorted(sent) == sorted([("generations.tasks.download_result", (str(gens[1].pk),)),
                                   ("generations.tasks.download_result", (str(gens[2].pk),))])
    assert all(polls == 1 for polls in Generation.objects.values_list("polls", flat=True))
