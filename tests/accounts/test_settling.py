"""Every way a generation ends settles its hold exactly once: charged when its video is stored, returned
on every failure path. Driven through the sandbox over real HTTP with its fault markers, the task
functions run one step at a time (as in tests/worker/test_lifecycle.py)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import alerts, credits
from accounts.models import CreditEntry, OperatorAlert
from catalog.models import CatalogModel
from generations.models import Generation
from tests.worker.test_lifecycle import drive, fast_sandbox, make, run_queue  # noqa: F401 (a fixture)
from worker import lifecycle, sweeper

START = 1000  # the owner's balance (tests/conftest.py)


def entries_of(gen):
    return sorted(CreditEntry.objects.filter(reference=f"generation:{gen.pk}").values_list("kind", "amount"))


@pytest.mark.django_db(transaction=True)
def test_a_stored_video_is_charged_once(owner, fast_sandbox, queue):
    gen = make(owner)
    assert credits.balance_of(owner) == START - 4

    gen = drive(gen, queue)

    assert gen.status == Generation.Status.COMPLETED
    assert entries_of(gen) == [("charge", -4), ("hold", -4), ("release", 4)]
    assert credits.balance_of(owner) == START - 4
    lifecycle.download(gen.pk)  # a download task run again changes nothing
    assert (
        gen.mark_completed("videos/x.mp4", "posters/x.jpg", {"bytes": 1, "width": 1, "height": 1, "seconds": 1})
        is False
    )
    assert len(entries_of(gen)) == 3


@pytest.mark.parametrize(
    "marker, code",
    [
        ("prompt-rejected", "prompt_rejected"),
        ("insufficient-credits", "studio_unavailable"),
        ("internal-error", "outcome_unknown"),
        ("drop", "outcome_unknown"),
        ("fail-rejected", "prompt_rejected"),
        ("fail-internal", "service_error"),
        ("expire-url", "expired"),
    ],
)
@pytest.mark.django_db(transaction=True)
def test_every_failure_returns_the_hold_once(owner, fast_sandbox, queue, marker, code):
    gen = drive(make(owner, prompt=f"A quiet harbour [sandbox:{marker}]"), queue)

    assert (gen.status, gen.error_code) == (Generation.Status.FAILED, code)
    assert entries_of(gen) == [("hold", -4), ("release", 4)]
    assert credits.balance_of(owner) == START
    sweeper.housekeeping()  # the sweeper passing again returns nothing more
    run_queue(queue)
    assert len(entries_of(gen)) == 2 and credits.balance_of(owner) == START


@pytest.mark.django_db(transaction=True)
def test_a_video_past_its_time_limit_returns_the_hold(owner, fast_sandbox, queue):
    gen = make(owner, prompt="A clock that never stops [sandbox:never-finish]")
    drive(gen, queue, until=[Generation.Status.RUNNING])
    CatalogModel.objects.filter(slug="wan").update(time_limit_seconds=60)
    Generation.objects.filter(pk=gen.pk).update(queued_at=timezone.now() - timedelta(seconds=61))

    gen = drive(gen, queue)

    assert gen.error_code == "timed_out"
    assert entries_of(gen) == [("hold", -4), ("release", 4)]


@pytest.mark.django_db(transaction=True)
def test_a_worker_dying_mid_submit_returns_the_hold(owner, fast_sandbox, queue):
    gen = make(owner)
    queue.clear()
    assert gen.claim_for_submit(lease_seconds=60)
    Generation.objects.filter(pk=gen.pk).update(lease_until=timezone.now() - timedelta(seconds=1))

    sweeper.housekeeping()
    sweeper.housekeeping()

    gen.refresh_from_db()
    assert gen.error_code == "outcome_unknown"
    assert entries_of(gen) == [("hold", -4), ("release", 4)]
    assert credits.balance_of(owner) == START


@pytest.mark.django_db(transaction=True)
def test_an_operator_stopping_a_video_returns_the_hold(owner, operator, fast_sandbox, queue, client):
    gen = make(owner, prompt="A clock that never stops [sandbox:never-finish]")
    drive(gen, queue, until=[Generation.Status.RUNNING])
    client.force_login(operator)
    for _ in range(2):  # an operator clicking twice
        client.post(
            reverse("admin:generations_generation_changelist"),
            {"action": "mark_failed", "_selected_action": [str(gen.pk)]},
        )
    assert Generation.objects.get(pk=gen.pk).status == Generation.Status.FAILED
    assert entries_of(gen) == [("hold", -4), ("release", 4)]


@pytest.mark.django_db(transaction=True)
def test_pixapis_402_tells_the_creator_plainly_and_alerts_operators(owner, operator, fast_sandbox, queue, client):
    first = drive(make(owner, prompt="Lanterns [sandbox:insufficient-credits]"), queue)
    drive(make(owner, prompt="Lanterns again [sandbox:insufficient-credits]"), queue)

    assert "The studio cannot start videos right now" in first.error_message
    assert credits.balance_of(owner) == START
    alert = OperatorAlert.objects.get()
    assert alert.code == alerts.PIXAPI_ACCOUNT and alert.times == 2 and alert.resolved_at is None
    assert "out of credits" in alert.message and "402" in alert.detail

    client.force_login(operator)
    page = client.get(reverse("admin:index")).content.decode()
    assert "Needs an operator:" in page and "Pixapi account is out of credits" in page

    drive(make(owner, prompt="Lanterns once topped up"), queue)  # Pixapi takes videos again
    alert.refresh_from_db()
    assert alert.resolved_at is not None
    assert "Needs an operator:" not in client.get(reverse("admin:index")).content.decode()


@pytest.mark.django_db(transaction=True)
def test_an_operator_refunds_a_ready_video_once(owner, operator, fast_sandbox, queue, client):
    gen = drive(make(owner), queue)
    client.force_login(operator)
    for _ in range(2):
        client.post(
            reverse("admin:generations_generation_changelist"), {"action": "refund", "_selected_action": [str(gen.pk)]}
        )
    assert entries_of(gen) == [("charge", -4), ("hold", -4), ("refund", 4), ("release", 4)]
    assert credits.balance_of(owner) == START
    refund = CreditEntry.objects.get(kind=CreditEntry.Kind.REFUND)
    assert refund.created_by == operator and refund.reason == f"Refunded by {operator}"


@pytest.mark.django_db
def test_an_operators_retry_for_a_creator_short_of_credits_says_why(owner, operator, client, queue):
    gen = Generation.objects.create(
        user=owner,
        model=CatalogModel.objects.get(slug="wan"),
        prompt="Retry me",
        full_prompt="Retry me",
        duration=2,
        size="1280x720",
        status=Generation.Status.FAILED,
    )
    credits.adjust(owner, -START, reason="Test")
    client.force_login(operator)
    html = client.post(
        reverse("admin:generations_generation_changelist"),
        {"action": "retry", "_selected_action": [str(gen.pk)]},
        follow=True,
    ).content.decode()
    assert "Not retried for Olive Owner: This video costs 4 credits and you have no credits left." in html
    assert Generation.objects.count() == 1
