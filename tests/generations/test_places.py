"""A plan's places ("at once") are taken by videos past the queue and by picture requests in progress,
counted the same way wherever the studio asks: starting, giving turns, and handing out slots."""

import pytest

from accounts.models import User
from catalog.models import CatalogModel
from generations import queue as studio_queue
from generations.models import Generation, ImageRequest, StudioQueue
from generations.starting import request_pictures, start_generation
from tests.conftest import with_credits

Status = Generation.Status


@pytest.fixture
def fern(db):
    """A creator on the Free plan: two things in progress at once."""
    user = User.objects.create_user(username="fern", email="fern@example.com", password="x")
    return with_credits(user, 100, plan="free")


def video(user, prompt):
    gen, _ = start_generation(
        user, model=CatalogModel.objects.get(slug="wan"), prompt=prompt, duration=4, size="1280x720"
    )
    gen.refresh_from_db()
    return gen


def pictures(user):
    return request_pictures(
        user, model=CatalogModel.objects.get(slug="gemini-2.5-flash-image"), prompt="A red kite", n=3
    )


def valve(cap):
    StudioQueue.lock()
    StudioQueue.objects.filter(pk=1).update(max_in_flight=cap)


def test_a_picture_request_takes_the_last_place_from_a_waiting_video(fern, queue):
    valve(1)
    first = video(fern, "Running")
    second = video(fern, "Waiting for a slot")
    assert first.status == Status.QUEUED
    assert second.status == Status.WAITING and second.turn is not None  # a place free, no slot

    req = pictures(fern)  # one video and these pictures: the plan's two places are taken
    second.refresh_from_db()
    assert second.turn is None

    valve(5)
    assert studio_queue.dispatch() == []  # the pictures hold the place the second video would take
    second.refresh_from_db()
    assert second.status == Status.WAITING

    assert req.claim(60) and req.mark_completed()  # the pictures are made: their place comes back
    assert [g.pk for g in studio_queue.dispatch()] == [second.pk]


def test_a_stale_turn_does_not_start_a_video_while_pictures_hold_the_place(fern, queue):
    valve(1)
    video(fern, "Running")
    second = video(fern, "Waiting for a slot")
    req = pictures(fern)
    Generation.objects.filter(pk=second.pk).update(turn=1)  # a turn given before the pictures were asked for

    valve(5)
    assert studio_queue.dispatch() == []
    second.refresh_from_db()
    assert second.status == Status.WAITING and second.turn is None

    assert req.claim(60) and req.mark_failed("lost", "Lost")
    assert [g.pk for g in studio_queue.dispatch()] == [second.pk]
    assert ImageRequest.objects.get(pk=req.pk).status == ImageRequest.Status.FAILED
