"""The sweeper: how a round's answers and messages are recorded, and that nothing but its cluster
stops it (manage.py cluster runs it for as long as the cluster lives)."""

import logging
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from catalog.models import CatalogModel
from generations.models import Generation
from pixapi.client import Task
from worker import lifecycle, sweeper

pytestmark = pytest.mark.django_db


def in_flight(user, **extra):
    wan = CatalogModel.objects.get(slug="wan")
    return Generation.objects.create(
        user=user,
        model=wan,
        prompt="A heron",
        full_prompt="A heron",
        duration=2,
        size="1280x720",
        status=Generation.Status.RUNNING,
        pixapi_task_id=f"task_{Generation.objects.count()}",
        submitted_at=timezone.now() - timedelta(seconds=20),
        next_poll_at=timezone.now(),
        **extra,
    )


class InLine:
    """A pool that runs each call in this thread."""

    def map(self, func, items):
        return map(func, items)


def test_a_round_records_every_answer_and_sends_download_messages_after_its_commit(owner, monkeypatch):
    sent = []
    monkeypatch.setattr("django_q.tasks.async_task", lambda name, *args, **options: sent.append((name, args)))
    gens = [in_flight(owner) for _ in range(3)]
    answers = {
        gens[0].pixapi_task_id: Task(gens[0].pixapi_task_id, "running", 40, None, None, None, "in_progress"),
        gens[1].pixapi_task_id: Task(
            gens[1].pixapi_task_id, "completed", 100, "https://cdn.example/1.mp4", None, None, "completed"
        ),
        gens[2].pixapi_task_id: Task(
            gens[2].pixapi_task_id, "completed", 100, "https://cdn.example/2.mp4", None, None, "completed"
        ),
    }
    monkeypatch.setattr(lifecycle, "fetch_task", answers.get)

    assert sweeper.poll_once(InLine(), 10) == 3
    statuses = dict(Generation.objects.values_list("pk", "status"))
    assert statuses == {gens[0].pk: "running", gens[1].pk: "downloading", gens[2].pk: "downloading"}
    assert sorted(sent) == sorted(
        [
            ("worker.tasks.download_result", (str(gens[1].pk),)),
            ("worker.tasks.download_result", (str(gens[2].pk),)),
        ]
    )
    assert all(polls == 1 for polls in Generation.objects.values_list("polls", flat=True))


def test_each_status_call_writes_a_timing_line_for_the_benchmark(owner, monkeypatch, caplog):
    gen = in_flight(owner)
    due = Generation.objects.get(pk=gen.pk).next_poll_at
    monkeypatch.setattr(lifecycle, "fetch_task", lambda task_id: Task(task_id, "running", 40, None, None, None, "x"))
    with caplog.at_level(logging.DEBUG, logger="studio.timing"):
        sweeper.poll_once(InLine(), 10)
    (line,) = [r.getMessage() for r in caplog.records if r.name == "studio.timing"]
    fields = dict(part.split("=") for part in line.split()[1:])
    assert fields["generation"] == str(gen.pk)
    assert float(fields["due"]) == pytest.approx(due.timestamp())
    assert float(fields["due"]) <= float(fields["at"])


def test_a_failing_round_does_not_stop_the_sweeper_only_its_cluster_does(monkeypatch):
    rounds = []

    def poll_once(pool, limit):
        rounds.append(limit)
        if len(rounds) == 1:
            raise RuntimeError("the database went away for a moment")
        return 1

    monkeypatch.setattr(sweeper, "poll_once", poll_once)
    monkeypatch.setattr(sweeper, "housekeeping", lambda: None)
    monkeypatch.setattr(sweeper.time, "sleep", lambda seconds: None)
    sweeper.run(keep_going=lambda: len(rounds) < 5)
    assert len(rounds) == 5  # it went on after the failure, and stopped when told


@pytest.mark.django_db(transaction=True)
def test_the_sweeper_tracks_a_generation_in_flight_until_it_is_told_to_stop(owner, monkeypatch):
    gen = in_flight(owner)
    monkeypatch.setattr(lifecycle, "fetch_task", lambda task_id: Task(task_id, "running", 50, None, None, None, "x"))
    stop = threading.Event()

    def sweep():
        sweeper.run(keep_going=lambda: not stop.is_set())
        connection.close()

    thread = threading.Thread(target=sweep)
    thread.start()
    try:
        for _ in range(100):
            gen.refresh_from_db()
            if gen.polls:
                break
            stop.wait(0.05)
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    assert gen.polls == 1 and gen.progress == 50 and gen.next_poll_at > timezone.now()
