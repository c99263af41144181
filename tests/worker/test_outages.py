"""Outages lose nothing and waste nothing: the lifecycle after the cluster was down past a model's
time limit, downloads that cannot finish, and one row's surprise in a sweep round. Against the
sandbox over real HTTP, with the task functions driven step by step (tests/worker/test_lifecycle.py)."""

import errno
import io
import os
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from django.core.files.storage import FileSystemStorage, default_storage
from django.utils import timezone

from accounts import credits
from accounts.models import CreditEntry, OperatorAlert
from catalog.models import BUSY_MAX_SECONDS, CatalogModel
from generations import taskqueue
from generations.models import Generation
from pixapi import client as pixapi
from sandbox import stats
from tests.worker.test_lifecycle import drive, make, run_queue
from worker import lifecycle, sweeper


@pytest.fixture
def fast_sandbox(sandbox_url, settings, tmp_path):
    settings.PIXAPI_SANDBOX_SECONDS = 0.3
    settings.POLL_FIRST_SECONDS = 0.3  # the first look finds it done
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    settings.DOWNLOAD_TEMP_DIR = str(tmp_path / "staging")
    os.makedirs(settings.DOWNLOAD_TEMP_DIR)
    stats.reset()
    return sandbox_url


def entries(gen):
    return sorted(CreditEntry.objects.filter(reference=gen.ledger_reference).values_list("kind", flat=True))


def files_under(path):
    return [os.path.join(d, f) for d, _, names in os.walk(path) for f in names]


def past_its_limit(*gens, limit=60):
    """The cluster was down longer than the model's time limit."""
    CatalogModel.objects.filter(slug="wan").update(time_limit_seconds=limit)
    long_ago = timezone.now() - timedelta(seconds=limit * 3)
    Generation.objects.filter(pk__in=[g.pk for g in gens]).update(created_at=long_ago, queued_at=long_ago)


# After an outage longer than the time limit


@pytest.mark.django_db(transaction=True)
def test_after_an_outage_a_video_pixapi_finished_is_saved_and_charged(owner, fast_sandbox, queue):
    before = credits.balance_of(owner)
    done = make(owner, prompt="Finished while the studio was away")
    stuck = make(owner, prompt="Never done [sandbox:never-finish]")
    run_queue(queue)  # both submitted, then the cluster goes down: nobody polls
    time.sleep(0.5)  # the sandbox finishes the first meanwhile
    past_its_limit(done, stuck)

    done = drive(done, queue)
    stuck = drive(stuck, queue)

    assert done.status == Generation.Status.COMPLETED, done.error_detail
    assert default_storage.exists(done.video.name)
    assert entries(done) == ["charge", "hold", "release"]
    assert stuck.status == Generation.Status.FAILED and stuck.error_code == "timed_out"
    assert "took far longer than it should" in stuck.error_message
    assert entries(stuck) == ["hold", "release"]
    assert credits.balance_of(owner) == before - done.cost


@pytest.mark.django_db(transaction=True)
def test_an_unfinished_task_past_its_limit_is_polled_then_failed_and_refunded_once(owner, fast_sandbox, queue):
    before = credits.balance_of(owner)
    gen = make(owner, prompt="A clock that never stops [sandbox:never-finish]")
    run_queue(queue)
    past_its_limit(gen)
    Generation.objects.filter(pk=gen.pk).update(next_poll_at=timezone.now())
    polls_before = stats.snapshot()["routes"]["get_task"]

    sweeper.housekeeping()
    gen.refresh_from_db()
    assert gen.status == Generation.Status.SUBMITTED  # not failed unseen

    with ThreadPoolExecutor(2) as pool:
        assert sweeper.poll_once(pool, 10) == 1
        sweeper.housekeeping()
        sweeper.poll_once(pool, 10)
    gen.refresh_from_db()
    assert stats.snapshot()["routes"]["get_task"] == polls_before + 1  # asked Pixapi first
    assert gen.status == Generation.Status.FAILED and gen.error_code == "timed_out"
    assert entries(gen) == ["hold", "release"]
    assert credits.balance_of(owner) == before


@pytest.mark.django_db(transaction=True)
def test_past_its_limit_while_pixapi_does_not_answer_a_task_is_asked_a_few_times_then_failed(
    owner, fast_sandbox, queue, settings
):
    gen = make(owner, prompt="Pixapi is away too")
    run_queue(queue)
    past_its_limit(gen)
    settings.PIXAPI_SANDBOX_FAULTS = "poll:unavailable"
    with ThreadPoolExecutor(2) as pool:
        for _ in range(lifecycle.PAST_DEADLINE_POLL_ERRORS - 1):
            Generation.objects.filter(pk=gen.pk).update(next_poll_at=timezone.now())
            sweeper.housekeeping()
            assert sweeper.poll_once(pool, 10) == 1
        gen.refresh_from_db()
        assert gen.status == Generation.Status.SUBMITTED  # a passing error does not end it

        Generation.objects.filter(pk=gen.pk).update(next_poll_at=timezone.now())
        sweeper.poll_once(pool, 10)
    gen.refresh_from_db()
    assert gen.status == Generation.Status.FAILED and gen.error_code == "timed_out"  # nothing polls for ever
    assert entries(gen) == ["hold", "release"]


@pytest.mark.django_db(transaction=True)
def test_a_queued_video_past_its_limit_is_never_submitted(owner, fast_sandbox, queue):
    before = credits.balance_of(owner)
    late = make(owner, prompt="Its message arrives after the outage")
    lost = make(owner, prompt="Its message was lost in the outage")
    queue[:] = queue[:1]
    past_its_limit(late, lost)

    run_queue(queue)  # the late message
    sweeper.housekeeping()  # and the lost one's
    run_queue(queue)

    for gen in (late, lost):
        gen.refresh_from_db()
        assert gen.status == Generation.Status.FAILED and gen.error_code == "not_started"
        assert "waited longer than its model's time limit" in gen.error_message
        assert "Nothing was charged" in gen.error_message
        assert entries(gen) == ["hold", "release"]
    assert stats.snapshot()["routes"]["submit_video"] == 0
    assert credits.balance_of(owner) == before


# Downloads


def hurry():
    """Time passes: a download put off for a while is handed out again now."""
    Generation.objects.filter(status=Generation.Status.DOWNLOADING, lease_until__isnull=True).update(
        next_poll_at=timezone.now() - timedelta(hours=1)
    )


def drive_downloads(gen, queue, timeout=40):
    deadline = time.monotonic() + timeout
    with ThreadPoolExecutor(4) as pool:
        while time.monotonic() < deadline:
            run_queue(queue)
            hurry()
            sweeper.housekeeping()
            sweeper.poll_once(pool, 10)
            run_queue(queue)
            gen.refresh_from_db()
            if gen.status in Generation.FINISHED:
                return gen
            time.sleep(0.05)
    raise AssertionError(f"Generation stayed {gen.status} for {timeout} s")


def assert_failed_refunded_and_clean(owner, gen, before, code, settings):
    assert gen.status == Generation.Status.FAILED and gen.error_code == code, gen.error_detail
    assert "Nothing was charged" in gen.error_message
    assert entries(gen) == ["hold", "release"]
    assert credits.balance_of(owner) == before
    assert not gen.video and not gen.poster
    assert files_under(settings.MEDIA_ROOT) == []
    assert files_under(settings.DOWNLOAD_TEMP_DIR) == []


class FullDisk(io.FileIO):
    """A file on a disk that fills up part-way through the first write."""

    def write(self, data):
        super().write(bytes(data[:1000]))
        raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("where", ["staging", "storage"])
@pytest.mark.django_db(transaction=True)
def test_a_full_disk_ends_the_video_failed_refunded_with_an_alert_and_no_partial_file(
    owner, fast_sandbox, queue, settings, monkeypatch, where
):
    if where == "staging":
        monkeypatch.setattr(pixapi, "open", lambda path, mode="r": FullDisk(path, "wb"), raising=False)
    else:  # the video is stored, then the poster finds the disk full
        real_save = FileSystemStorage._save

        def save(self, name, content):
            if name.startswith("posters/"):
                os.makedirs(os.path.dirname(self.path(name)), exist_ok=True)
                with open(self.path(name), "wb") as f:
                    f.write(b"\xff\xd8 half a poster")
                raise OSError(errno.ENOSPC, "No space left on device")
            return real_save(self, name, content)

        monkeypatch.setattr(FileSystemStorage, "_save", save)
    before = credits.balance_of(owner)

    gen = drive_downloads(make(owner), queue)

    assert_failed_refunded_and_clean(owner, gen, before, "storage_full", settings)
    assert "ran out of room" in gen.error_message
    alert = OperatorAlert.objects.get(code="storage_full", resolved_at=None)
    assert "disk space" in alert.message and str(gen.pk) in alert.detail


@pytest.mark.django_db(transaction=True)
def test_a_corrupt_result_ends_failed_refunded_with_an_alert(owner, fast_sandbox, queue, settings):
    settings.PIXAPI_SANDBOX_FAULTS = "file:malformed-json"  # an HTML page where the MP4 should be
    before = credits.balance_of(owner)

    gen = drive_downloads(make(owner), queue)

    assert_failed_refunded_and_clean(owner, gen, before, "damaged", settings)
    alert = OperatorAlert.objects.get(code="downloads", resolved_at=None)
    assert str(gen.pk) in alert.detail


@pytest.mark.django_db(transaction=True)
def test_a_result_that_keeps_failing_ends_after_its_tries(owner, fast_sandbox, queue, settings):
    settings.PIXAPI_SANDBOX_FAULTS = "file:unavailable"
    settings.DOWNLOAD_ATTEMPTS = 3
    before = credits.balance_of(owner)

    gen = drive_downloads(make(owner), queue)

    assert_failed_refunded_and_clean(owner, gen, before, "download_failed", settings)
    assert "could not save it" in gen.error_message
    assert stats.snapshot()["routes"]["file"] == 3
    assert gen.download_attempts == 3
    assert OperatorAlert.objects.filter(code="downloads", resolved_at=None).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_download_that_worked_after_a_failure_completes(owner, fast_sandbox, queue, settings):
    settings.PIXAPI_SANDBOX_FAULTS = "file:unavailable*1"
    gen = drive_downloads(make(owner), queue)
    assert gen.status == Generation.Status.COMPLETED
    assert gen.download_attempts == 2
    assert not OperatorAlert.objects.exists()


@pytest.mark.django_db
def test_a_download_runs_with_a_time_out_of_its_own(settings, monkeypatch):
    """The cluster's time-out suits a submit; a download of a big video takes longer."""
    from django_q import tasks

    sent = []
    monkeypatch.setattr(tasks, "async_task", lambda func, *args, **kwargs: sent.append((func, kwargs)))
    settings.DOWNLOAD_SECONDS = 900
    taskqueue.send([(taskqueue.DOWNLOAD, ("some-id",)), (taskqueue.SUBMIT, ("other-id",))])
    (download, options), (submit, submit_options) = sent
    assert download == "worker.tasks.download_result"
    assert options["timeout"] > settings.DOWNLOAD_SECONDS > settings.Q_CLUSTER["timeout"]
    assert lifecycle.download_lease_seconds() > options["timeout"]  # no second try while the first runs
    assert submit == "worker.tasks.submit_generation" and submit_options == {}  # the cluster's


# One row's surprise in a sweep round


class Router:
    """The shared client, except for one task id, whose answers come from `hostile`."""

    def __init__(self, real, hostile, task_id):
        self.real, self.hostile, self.task_id = real, hostile, task_id

    def get_task(self, task_id, **kwargs):
        return (self.hostile if task_id == self.task_id else self.real).get_task(task_id, **kwargs)

    def submit_video(self, **kwargs):
        return self.hostile.submit_video(**kwargs)


def hostile_client(answer):
    return pixapi.PixapiClient("https://pixapi.test", "sk_test", transport=httpx.MockTransport(answer))


HOSTILE = {
    "huge retry-after": lambda r: httpx.Response(429, json={}, headers={"Retry-After": "99999999999999"}),
    "body that does not decode": lambda r: httpx.Response(
        200, content=b"not gzip at all", headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
    ),
    "redirect loop": lambda r: httpx.Response(302, headers={"Location": str(r.url)}),
}


class Surprising:
    def get_task(self, task_id, **kwargs):
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "something nobody expected")


@pytest.mark.parametrize("surprise", [*HOSTILE, "error while asking", "error while recording"])
@pytest.mark.django_db(transaction=True)
def test_one_rows_surprise_never_stops_the_round_or_undoes_the_others(
    owner, fast_sandbox, queue, monkeypatch, surprise
):
    gens = [make(owner, prompt=f"Scene {i} [sandbox:never-finish]") for i in range(3)]
    run_queue(queue)
    Generation.objects.update(next_poll_at=timezone.now())
    odd = Generation.objects.get(pk=gens[1].pk)
    if surprise in HOSTILE or surprise == "error while asking":
        hostile = Surprising() if surprise == "error while asking" else hostile_client(HOSTILE[surprise])
        router = Router(pixapi.get_client(), hostile, odd.pixapi_task_id)
        monkeypatch.setattr(pixapi, "get_client", lambda: router)
    else:
        real = Generation.mark_running

        def mark_running(self, *args, **kwargs):
            if self.pk == odd.pk:
                raise RuntimeError("something nobody expected")
            return real(self, *args, **kwargs)

        monkeypatch.setattr(Generation, "mark_running", mark_running)

    with ThreadPoolExecutor(4) as pool:
        assert sweeper.poll_once(pool, 10) == 3

    now = timezone.now()
    for gen in gens:
        gen.refresh_from_db()
        assert gen.polls == 1 and gen.lease_until is None
    others = [g for g in gens if g.pk != odd.pk]
    assert [g.poll_errors for g in others] == [0, 0]
    odd = gens[1]
    assert odd.status == Generation.Status.SUBMITTED and odd.poll_errors == 1  # backed off, not failed
    assert now < odd.next_poll_at <= now + timedelta(seconds=lifecycle.MAX_WAIT_SECONDS)


@pytest.mark.django_db(transaction=True)
def test_a_huge_retry_after_on_submit_puts_the_video_back_in_the_queue_for_a_sane_while(
    owner, fast_sandbox, queue, monkeypatch
):
    router = Router(None, hostile_client(HOSTILE["huge retry-after"]), None)
    monkeypatch.setattr(pixapi, "get_client", lambda: router)
    before = credits.balance_of(owner)
    gen = make(owner)

    assert lifecycle.submit(gen.pk) == "rate limited"

    gen.refresh_from_db()
    assert gen.status == Generation.Status.WAITING  # back at the front of its line, not failed
    assert timezone.now() < gen.model.busy_until <= timezone.now() + timedelta(seconds=BUSY_MAX_SECONDS)
    assert entries(gen) == ["hold"]
    assert credits.balance_of(owner) == before - gen.cost


@pytest.mark.django_db(transaction=True)
def test_a_model_outage_at_submit_holds_the_video_in_line_instead_of_failing_it(owner, fast_sandbox, queue, settings):
    settings.PIXAPI_SANDBOX_FAULTS = "submit:unavailable*1"  # a 503 with Pixapi's own model_unavailable
    before = credits.balance_of(owner)
    gen = make(owner)

    run_queue(queue)

    gen.refresh_from_db()
    assert gen.status == Generation.Status.WAITING and gen.turn is not None  # back at the front of its line
    assert not gen.error_code and gen.pixapi_task_id is None
    assert gen.model.is_busy()  # the breaker holds the model's videos back for a while
    assert entries(gen) == ["hold"] and credits.balance_of(owner) == before - gen.cost  # still held, not returned
    CatalogModel.objects.filter(pk=gen.model_id).update(busy_until=timezone.now())  # the outage is over
    gen = drive(gen, queue)
    assert gen.status == Generation.Status.COMPLETED
    assert stats.snapshot()["routes"]["submit_video"] == 2
