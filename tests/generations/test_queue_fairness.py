"""The valve is fair across creators: one creator with fifty waiting never delays another's single video by
more than one slot. Slots are freed the way the worker frees them (a video saved: mark_completed, which
refills its creator's turns) and handed out by the dispatcher the task then runs."""

import pytest

from accounts.models import User
from catalog.models import CatalogModel
from generations import queue as studio_queue
from generations.models import Generation, StudioQueue
from generations.starting import start_generation
from tests.conftest import verified, with_credits

Status = Generation.Status
pytestmark = pytest.mark.django_db
CAP = 3


def creator(name):
    user = User.objects.create_user(username=name, email=f"{name}@example.com", password=f"pw-{name}-123", **verified())
    return with_credits(user, amount=100_000)  # Pro: ten places at once, so the valve is what holds them back


def ask(user, prompt):
    return start_generation(
        user, model=CatalogModel.objects.get(slug="wan"), prompt=prompt, duration=2, size="1280x720"
    )[0]


def free_one_slot():
    """The oldest video at Pixapi is made and saved: its slot (and its creator's place) is free."""
    gen = Generation.objects.filter(status__in=Generation.AT_PIXAPI).order_by("queued_at", "pk").first()
    Generation.objects.filter(pk=gen.pk).update(status=Status.DOWNLOADING)
    gen.refresh_from_db()
    assert gen.mark_completed("videos/x.mp4", "posters/x.jpg", {"bytes": 1, "width": 1, "height": 1, "seconds": 2})


def hand_out(slots):
    """Frees `slots` slots one at a time, each followed by the dispatcher; the owners of the videos it sent."""
    order = []
    for _ in range(slots):
        free_one_slot()
        sent = studio_queue.dispatch()
        assert len(sent) == 1  # one slot freed, one handed out: the valve stays full
        order.append(sent[0].user_id)
    return order


@pytest.fixture
def valve():
    StudioQueue.objects.update_or_create(pk=1, defaults={"max_in_flight": CAP})


def test_a_single_video_starts_at_the_next_slot_behind_a_creator_with_fifty_waiting(valve, queue):
    a, b = creator("anna"), creator("bruno")
    a_videos = [ask(a, f"Anna's shot {i}") for i in range(50)]
    assert Generation.objects.filter(status__in=Generation.AT_PIXAPI).count() == CAP  # the valve is full
    assert Generation.objects.filter(user=a, status=Status.WAITING).count() == 50 - CAP

    b_video = ask(b, "Bruno's one shot")
    assert b_video.status == Status.WAITING

    order = hand_out(3)

    assert order[0] == b.pk  # within one slot: the very next one
    assert order[1:] == [a.pk, a.pk]  # then Anna's line goes on, nobody else waiting
    b_video.refresh_from_db()
    assert b_video.status == Status.QUEUED
    # Her own videos started in her order.
    started = list(Generation.objects.filter(user=a).exclude(status=Status.WAITING).order_by("queued_at", "pk"))
    assert [g.pk for g in started] == [g.pk for g in a_videos[: len(started)]]


def test_several_late_creators_each_start_within_one_round(valve, queue):
    a = creator("anna")
    for i in range(50):
        ask(a, f"Anna's shot {i}")
    late = [creator(name) for name in ("bruno", "chloe", "dara")]
    for user in late:
        ask(user, f"{user.username}'s one shot")

    order = hand_out(6)

    # Each late creator's video goes before Anna gets a second slot: one round, each of them once.
    assert set(order[:3]) == {user.pk for user in late}
    assert order[3:] == [a.pk] * 3
