"""The generation lifecycle against the sandbox over real HTTP, with the task functions driven
directly (in this process, one step at a time). tests/worker/test_cluster.py runs the same
lifecycle through a real django-q2 cluster."""

import os
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import default_storage
from django.utils import timezone

from catalog.models import CatalogModel
from generations import queue as studio_queue
from generations.models import Generation
from generations.starting import start_generation
from lib import media
from sandbox import stats
from worker import lifecycle, sweeper


@pytest.fixture
def fast_sandbox(sandbox_url, settings, tmp_path):
    settings.PIXAPI_SANDBOX_SECONDS = 0.3
    settings.POLL_FIRST_SECONDS = 0.3  # the first look finds it done
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    stats.reset()
    return sandbox_url


def run_queue(queue):
    """Runs what was enqueued, like a worker would."""
    while queue:
        name, args = queue.pop(0)
        if name == "submit_generation":
            lifecycle.submit(*args)
        elif name == "download_result":
            lifecycle.download(*args)
        # "sweep" is driven by drive() below, one round at a time.


def drive(gen, queue, until=Generation.FINISHED, timeout=30):
    """Runs submits, sweeper rounds (the queue's free slots handed out, then a poll) and downloads until
    the generation reaches one of `until`."""
    deadline = time.monotonic() + timeout
    with ThreadPoolExecutor(4) as pool:
        while time.monotonic() < deadline:
            run_queue(queue)
            sweeper.housekeeping()
            studio_queue.dispatch()
            sweeper.poll_once(pool, 10)
            run_queue(queue)
            gen.refresh_from_db()
            if gen.status in until:
                return gen
            time.sleep(0.05)
    raise AssertionError(f"Generation stayed {gen.status} for {timeout} s")


def make(user, prompt="A lighthouse at dusk, waves rolling in", model="wan", duration=2, size="720x1280"):
    gen, created = start_generation(
        user,
        model=CatalogModel.objects.get(slug=model),
        prompt=prompt,
        duration=duration,
        size=size,
    )
    assert created
    return gen


@pytest.mark.django_db(transaction=True)
def test_text_to_video_ends_with_a_stored_playable_video(owner, fast_sandbox, queue):
    gen = make(owner)
    assert gen.status == Generation.Status.QUEUED
    assert queue == [("submit_generation", (str(gen.pk),))]

    gen = drive(gen, queue)

    assert gen.status == Generation.Status.COMPLETED, gen.error_detail
    assert gen.pixapi_task_id.startswith("task_")
    assert gen.progress == 100
    assert default_storage.exists(gen.video.name) and default_storage.exists(gen.poster.name)
    info, _ = media.probe_video(default_storage.path(gen.video.name))
    assert (info["width"], info["height"]) == (720, 1280)
    assert abs(info["seconds"] - 2) <= 0.2
    assert gen.video_bytes == os.path.getsize(default_storage.path(gen.video.name))
    assert gen.submitted_at <= gen.pixapi_done_at <= gen.finished_at
    counts = stats.snapshot()["routes"]
    assert counts["submit_video"] == 1
    assert counts["get_task"] == gen.polls
    assert gen.result_url not in gen.error_detail


@pytest.mark.django_db(transaction=True)
def test_the_model_learns_how_long_it_takes(owner, fast_sandbox, queue, settings):
    settings.PIXAPI_SANDBOX_SECONDS = 1.5  # long enough to tell from the time the first look takes
    gen = drive(make(owner), queue)
    assert gen.status == Generation.Status.COMPLETED
    learned = CatalogModel.objects.get(slug="wan").learned_seconds
    assert 1.0 <= learned <= 10


@pytest.mark.parametrize(
    "marker, code, words",
    [
        ("prompt-rejected", "prompt_rejected", "The model turned this prompt down"),
        ("insufficient-credits", "studio_unavailable", "The studio cannot start videos right now"),
        ("unauthorized", "studio_unavailable", "The studio cannot start videos right now"),
        ("model-not-found", "model_not_found", "This model is not available right now"),
        ("internal-error", "outcome_unknown", "we cannot tell whether it started"),
        ("drop", "outcome_unknown", "we cannot tell whether it started"),
        ("malformed-json", "outcome_unknown", "we cannot tell whether it started"),
        ("fail-rejected", "prompt_rejected", "The model turned this prompt down"),
        ("fail-internal", "service_error", "ran into a problem while making this video"),
        ("expire-url", "expired", "expired at the video service before we could save it"),
    ],
)
@pytest.mark.django_db(transaction=True)
def test_every_pixapi_fault_ends_failed_in_plain_words(owner, fast_sandbox, queue, marker, code, words):
    gen = drive(make(owner, prompt=f"A quiet harbour [sandbox:{marker}]"), queue)
    assert gen.status == Generation.Status.FAILED
    assert gen.error_code == code
    assert words in gen.error_message
    assert "Nothing was charged" in gen.error_message
    assert "sandbox" not in gen.error_message and "HTTP" not in gen.error_message
    assert stats.snapshot()["routes"].get("submit_video", 0) == 1  # never submitted twice


@pytest.mark.django_db(transaction=True)
def test_rate_limited_submit_waits_and_goes_through(owner, fast_sandbox, queue, settings):
    settings.PIXAPI_SANDBOX_FAULTS = "submit:rate-limited*1"
    gen = make(owner)
    run_queue(queue)
    gen.refresh_from_db()
    assert gen.status == Generation.Status.WAITING and gen.turn is not None  # back at the front of the line
    assert gen.model.is_busy()  # the breaker holds the model's videos back for a while
    assert studio_queue.dispatch() == []
    CatalogModel.objects.filter(pk=gen.model_id).update(busy_until=timezone.now())  # its wait is over
    assert [g.pk for g in studio_queue.dispatch()] == [gen.pk]
    gen = drive(gen, queue)
    assert gen.status == Generation.Status.COMPLETED
    assert stats.snapshot()["routes"]["submit_video"] == 2


@pytest.mark.django_db(transaction=True)
def test_polls_that_fail_only_delay_the_video(owner, fast_sandbox, queue, settings):
    settings.PIXAPI_SANDBOX_FAULTS = "poll:unavailable*2"
    gen = drive(make(owner), queue)
    assert gen.status == Generation.Status.COMPLETED


@pytest.mark.django_db(transaction=True)
def test_submit_task_run_twice_submits_once(owner, fast_sandbox, queue):
    gen = make(owner)
    queue.clear()
    assert lifecycle.submit(gen.pk) == "submitted"
    assert lifecycle.submit(gen.pk) == "not queued"
    assert stats.snapshot()["routes"]["submit_video"] == 1


@pytest.mark.django_db(transaction=True)
def test_worker_dying_between_submit_and_save_ends_honestly(owner, fast_sandbox, queue):
    """The worker took the row and may have reached Pixapi, then died before saving the task id."""
    gen = make(owner)
    queue.clear()
    assert gen.claim_for_submit(lease_seconds=60)
    Generation.objects.filter(pk=gen.pk).update(lease_until=timezone.now() - timedelta(seconds=1))

    sweeper.housekeeping()
    run_queue(queue)

    gen.refresh_from_db()
    assert gen.status == Generation.Status.FAILED
    assert gen.error_code == "outcome_unknown"
    assert stats.snapshot()["routes"].get("submit_video", 0) == 0  # and never resubmitted blindly


@pytest.mark.django_db(transaction=True)
def test_a_lost_enqueue_is_picked_up_again(owner, fast_sandbox, queue):
    gen = make(owner)
    queue.clear()  # the broker lost the message
    two_minutes_ago = timezone.now() - timedelta(minutes=2)
    Generation.objects.filter(pk=gen.pk).update(created_at=two_minutes_ago, queued_at=two_minutes_ago)
    gen = drive(gen, queue)
    assert gen.status == Generation.Status.COMPLETED


@pytest.mark.django_db(transaction=True)
def test_nothing_polls_forever(owner, fast_sandbox, queue):
    gen = make(owner, prompt="A clock that never stops [sandbox:never-finish]")
    drive(gen, queue, until=[Generation.Status.RUNNING])
    CatalogModel.objects.filter(slug="wan").update(time_limit_seconds=60)
    Generation.objects.filter(pk=gen.pk).update(queued_at=timezone.now() - timedelta(seconds=61))

    gen = drive(gen, queue)

    assert gen.status == Generation.Status.FAILED and gen.error_code == "timed_out"
    assert "took far longer than it should" in gen.error_message


@pytest.mark.django_db(transaction=True)
def test_two_sweepers_never_hold_the_same_row(owner, fast_sandbox, queue):
    gens = [make(owner, prompt=f"Scene number {i}") for i in range(6)]
    run_queue(queue)
    Generation.objects.update(next_poll_at=timezone.now())
    first = sweeper.claim_due(limit=4)
    second = sweeper.claim_due(limit=10)
    assert len(first) == 4 and len(second) == 2
    assert not {g.pk for g in first} & {g.pk for g in second}
    assert sweeper.claim_due(limit=10) == []
    assert len(gens) == 6


@pytest.mark.django_db
def test_next_poll_comes_around_the_expected_finish(owner):
    wan = CatalogModel.objects.get(slug="wan")
    wan.learned_seconds = 60
    now = timezone.now()
    gen = Generation(user=owner, model=wan, submitted_at=now - timedelta(seconds=30), created_at=now)
    assert lifecycle.next_poll_delay(gen, 50, now) == pytest.approx(22.5)  # three quarters of the 30 s left
    assert lifecycle.next_poll_delay(gen, 97, now) == django_settings.POLL_MIN_SECONDS
    assert lifecycle.next_poll_delay(gen, 0, now) == pytest.approx(15)
    late = Generation(user=owner, model=wan, submitted_at=now - timedelta(seconds=300), created_at=now)
    assert lifecycle.next_poll_delay(late, 0, now) == lifecycle.MAX_POLL_SECONDS


def test_a_row_without_a_task_id_is_not_asked_about(monkeypatch):
    monkeypatch.setattr(lifecycle.pixapi, "get_client", lambda: pytest.fail("Pixapi was called"))
    assert isinstance(lifecycle.fetch_task(None), lifecycle.pixapi.NotFound)


def test_a_sixty_second_generation_takes_under_ten_polls(db, owner):
    """Simulates the schedule against a task whose progress grows linearly for 60 s."""
    wan = CatalogModel.objects.get(slug="wan")
    start = timezone.now()
    gen = Generation(user=owner, model=wan, submitted_at=start, created_at=start)
    t = django_settings.POLL_FIRST_SECONDS
    polls = 0
    while True:
        polls += 1
        if t >= 60:
            break
        progress = int(100 * t / 60)
        t += lifecycle.next_poll_delay(gen, progress, start + timedelta(seconds=t))
    assert polls < 10
    assert t - 60 <= 1.5  # seen finished within a second and a half


@pytest.mark.django_db(transaction=True)
def test_an_email_goes_out_when_the_creator_asked_for_one(owner, outsider, fast_sandbox, queue, mailoutbox):
    owner.notify_by_email = True
    owner.save()
    drive(make(owner, prompt="A dragonfly over a pond"), queue)
    drive(make(outsider, prompt="Not announced"), queue)
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [owner.email] and message.subject == "Your video is ready"
    assert "A dragonfly over a pond" in message.body
