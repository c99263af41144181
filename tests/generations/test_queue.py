"""The studio's own queue (generations.queue): waiting instead of refusing, the creator's places, the
studio's valve, the breaker, and changes made while a video waits, raced against the dispatcher."""

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections
from django.utils import timezone

from accounts import credits
from accounts.models import CreditEntry, Plan
from catalog.models import CatalogModel
from generations import queue as studio_queue
from generations.models import CreatorQueue, Generation, StudioQueue, refill
from generations.starting import start_generation

Status = Generation.Status


def ask(user, prompt="A fox in the snow", model="wan", duration=4, size="1280x720"):
    gen, created = start_generation(
        user, model=CatalogModel.objects.get(slug=model), prompt=prompt, duration=duration, size=size
    )
    assert created
    gen.refresh_from_db()
    return gen


def on_plan(user, slug):
    user.plan = Plan.objects.get(slug=slug)
    user.save(update_fields=["plan"])
    return user


def finish(gen):
    """The video is made and stored, as the worker's steps would leave it."""
    gen.refresh_from_db()
    Generation.objects.filter(pk=gen.pk).update(status=Status.DOWNLOADING)
    gen.refresh_from_db()
    assert gen.mark_completed("videos/x.mp4", "posters/x.jpg", {"bytes": 1, "width": 1, "height": 1, "seconds": 4})


def statuses(user):
    return list(Generation.objects.for_user(user).order_by("queue_position").values_list("status", flat=True))


def ledger_balances(user):
    total = sum(CreditEntry.objects.filter(user=user).values_list("amount", flat=True))
    return total == credits.balance_of(user)


def test_beyond_the_plans_places_a_video_waits_held_instead_of_being_refused(owner, queue):
    on_plan(owner, "free")
    before = credits.balance_of(owner)
    gens = [ask(owner, prompt=f"Shot {i}") for i in range(5)]

    assert [g.status for g in gens] == [Status.QUEUED] * 2 + [Status.WAITING] * 3
    assert [name for name, _ in queue] == ["submit_generation"] * 2
    assert credits.balance_of(owner) == before - sum(g.cost for g in gens)  # all five held
    assert all(g.turn is None for g in gens[2:])  # no place free: no turn


def test_a_freed_place_goes_to_the_creators_next_video_in_their_order(owner, queue):
    on_plan(owner, "free")
    first, second, *waiting = [ask(owner, prompt=f"Shot {i}") for i in range(5)]
    studio_queue.move(owner, waiting[2].pk, -2)  # the last one goes to the front of the line
    queue.clear()

    finish(first)
    started = studio_queue.dispatch()

    assert [g.pk for g in started] == [waiting[2].pk]
    assert queue == [("submit_generation", (str(waiting[2].pk),))]
    assert statuses(owner).count(Status.WAITING) == 2


def test_a_video_that_could_never_run_is_refused_at_once(owner, queue):
    on_plan(owner, "free")
    with pytest.raises(credits.Refused) as refused:
        start_generation(
            owner, model=CatalogModel.objects.get(slug="veo"), prompt="Not on Free", duration=4, size="1280x720"
        )
    assert refused.value.reason == "model"
    assert not Generation.objects.for_user(owner).exists()


def test_the_studio_valve_holds_videos_back_when_full_and_releases_them_in_turn(owner, outsider, queue):
    StudioQueue.lock()
    StudioQueue.objects.filter(pk=1).update(max_in_flight=1)
    mine = ask(owner)
    theirs = ask(outsider)

    assert mine.status == Status.QUEUED
    assert theirs.status == Status.WAITING and theirs.turn is not None  # a place, but no slot
    finish(mine)
    assert [g.pk for g in studio_queue.dispatch()] == [theirs.pk]


def test_slots_go_round_robin_by_creator(owner, outsider, queue):
    StudioQueue.lock()
    StudioQueue.objects.filter(pk=1).update(max_in_flight=1)
    first = ask(owner, prompt="Mine 0")
    for i in range(1, 6):
        ask(owner, prompt=f"Mine {i}")
    theirs = ask(outsider, prompt="Theirs")

    finish(first)
    handed = studio_queue.dispatch()
    assert [g.pk for g in handed] == [theirs.pk]  # one creator's long line never goes first twice


def test_a_model_paused_for_maintenance_or_busy_at_pixapi_holds_only_its_own_videos(owner, queue):
    kling = CatalogModel.objects.get(slug="kling")
    CatalogModel.objects.filter(pk=kling.pk).update(queue_paused=True)
    paused = ask(owner, model="kling", duration=5)
    going = ask(owner, model="wan")
    assert paused.status == Status.WAITING and going.status == Status.QUEUED

    CatalogModel.objects.filter(pk=kling.pk).update(queue_paused=False)
    kling.refresh_from_db()
    kling.note_busy(retry_after=30)
    assert studio_queue.dispatch() == []
    CatalogModel.objects.filter(pk=kling.pk).update(busy_until=timezone.now() - timedelta(seconds=1))
    assert [g.pk for g in studio_queue.dispatch()] == [paused.pk]


def test_the_breaker_stays_closed_longer_for_each_busy_answer_in_a_row(db):
    wan = CatalogModel.objects.get(slug="wan")
    now = timezone.now()
    waits = []
    for _ in range(4):
        wan.note_busy(now=now)
        waits.append((wan.busy_until - now).total_seconds())
        CatalogModel.objects.filter(pk=wan.pk).update(busy_until=None)
        wan.busy_until = None
    assert waits == [5, 10, 20, 40]
    wan.note_recovered()
    wan.refresh_from_db()
    assert wan.busy_strikes == 0 and not wan.is_busy()


def test_a_models_own_cap_holds_its_videos_while_others_go(owner, outsider, queue):
    CatalogModel.objects.filter(slug="wan").update(max_in_flight=1)
    first = ask(owner, model="wan")
    second = ask(outsider, model="wan")
    other = ask(outsider, model="kling", duration=5)
    assert (first.status, second.status, other.status) == (Status.QUEUED, Status.WAITING, Status.QUEUED)


def test_editing_a_waiting_video_moves_its_hold_to_the_new_cost(owner, queue):
    on_plan(owner, "free")
    for i in range(2):
        ask(owner, prompt=f"Running {i}")
    gen = ask(owner, prompt="A fox", duration=4)
    before = credits.balance_of(owner)
    wan = CatalogModel.objects.get(slug="wan")

    old, new = gen.cost, wan.price(8, "1280x720")
    difference = new - old
    edited = studio_queue.edit(owner, gen.pk, model=wan, prompt="A red fox", duration=8, size="1280x720")

    assert edited.prompt == "A red fox" and edited.duration == 8 and edited.cost == new
    assert credits.balance_of(owner) == before - difference
    assert CreditEntry.objects.filter(user=owner, reference=f"generation:{gen.pk}", kind="release").exists()
    assert CreditEntry.objects.get(user=owner, reference=f"generation:{gen.pk}#1", kind="hold").amount == -new
    assert ledger_balances(owner)


def test_an_edit_the_plan_refuses_changes_nothing(owner, queue):
    on_plan(owner, "free")
    for i in range(3):
        gen = ask(owner, prompt=f"Shot {i}")
    before = credits.balance_of(owner)
    with pytest.raises(credits.Refused):
        studio_queue.edit(
            owner, gen.pk, model=CatalogModel.objects.get(slug="veo"), prompt="x", duration=4, size="1280x720"
        )
    gen.refresh_from_db()
    assert gen.prompt == "Shot 2" and gen.hold_version == 0 and credits.balance_of(owner) == before


def test_canceling_a_waiting_video_returns_its_hold_at_once_and_a_started_one_cannot_be(owner, outsider, queue):
    on_plan(owner, "free")
    running = [ask(owner, prompt=f"Running {i}") for i in range(2)]
    waiting = ask(owner, prompt="Waiting")
    before = credits.balance_of(owner)

    studio_queue.cancel(owner, waiting.pk)

    waiting.refresh_from_db()
    assert waiting.status == Status.CANCELED
    assert credits.balance_of(owner) == before + waiting.cost
    with pytest.raises(studio_queue.NotWaiting):
        studio_queue.cancel(owner, running[0].pk)
    with pytest.raises(studio_queue.NotWaiting):
        studio_queue.cancel(outsider, running[0].pk)  # not theirs: as if it did not exist
    assert ledger_balances(owner)


def test_a_paused_video_and_a_paused_queue_keep_their_place_but_do_not_start(owner, queue):
    on_plan(owner, "free")
    running = [ask(owner, prompt=f"Running {i}") for i in range(2)]
    held, after = ask(owner, prompt="Held back"), ask(owner, prompt="After")
    studio_queue.pause(owner, held.pk)

    finish(running[0])
    assert [g.pk for g in studio_queue.dispatch()] == [after.pk]

    studio_queue.pause_all(owner)
    studio_queue.pause(owner, held.pk, paused=False)
    finish(running[1])
    assert studio_queue.dispatch() == []
    studio_queue.pause_all(owner, paused=False)
    assert [g.pk for g in studio_queue.dispatch()] == [held.pk]


def test_a_busy_answer_sends_the_video_back_to_the_front_of_its_line(owner, queue):
    on_plan(owner, "free")
    first = ask(owner, prompt="First")
    ask(owner, prompt="Second")
    third = ask(owner, prompt="Third")
    first.refresh_from_db()
    assert first.claim_for_submit(60)

    assert first.requeue()

    first.refresh_from_db()
    third.refresh_from_db()
    assert first.status == Status.WAITING and first.turn is not None  # its place is still free for it
    assert third.turn is None
    assert studio_queue.place_in_line(first) == 1


def test_refill_follows_a_plan_change(owner, queue):
    on_plan(owner, "free")
    gens = [ask(owner, prompt=f"Shot {i}") for i in range(4)]
    on_plan(owner, "creator")
    refill(owner.pk)
    started = studio_queue.dispatch()
    assert {g.pk for g in started} == {gens[2].pk, gens[3].pk}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("change", ["edit", "cancel"])
def test_a_change_and_the_dispatcher_race_and_exactly_one_wins(owner, change, monkeypatch):
    """Many rounds of a creator's click against the dispatcher, on two threads: each video is either
    changed and then sent with its new settings, or sent with its old ones and the change refused."""
    from generations import taskqueue

    sent_as = {}  # what the submit message would find, read when it is sent

    def enqueue(task, pk):
        sent_as.setdefault(pk, []).append(Generation.objects.values_list("prompt", "duration").get(pk=pk))

    monkeypatch.setattr(taskqueue, "enqueue", enqueue)
    on_plan(owner, "free")
    wan = CatalogModel.objects.get(slug="wan")
    for i in range(2):
        ask(owner, prompt=f"Running {i}")
    outcomes = []
    for round_ in range(12):
        gen = ask(owner, prompt=f"Round {round_}", duration=4)
        running = Generation.objects.for_user(owner).filter(status__in=Generation.SLOT_HOLDERS).first()
        finish(running)  # a place frees: the dispatcher and the click now race for `gen`
        barrier = threading.Barrier(2)
        result = {}

        def click(gen=gen, result=result, barrier=barrier):
            barrier.wait()
            try:
                if change == "edit":
                    studio_queue.edit(owner, gen.pk, model=wan, prompt=f"Edited {gen.pk}", duration=8, size="1280x720")
                else:
                    studio_queue.cancel(owner, gen.pk)
                result["click"] = "won"
            except studio_queue.NotWaiting:
                result["click"] = "refused"
            finally:
                close_old_connections()

        def dispatcher(barrier=barrier):
            barrier.wait()
            try:
                studio_queue.dispatch()
            finally:
                close_old_connections()

        threads = [threading.Thread(target=click), threading.Thread(target=dispatcher)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        studio_queue.dispatch()  # whatever the click left waiting goes now
        gen.refresh_from_db()
        sent = sent_as.get(str(gen.pk), [])
        if result["click"] == "won" and change == "edit":
            assert sent == [(f"Edited {gen.pk}", 8)] and (gen.prompt, gen.duration) == sent[0]
        elif result["click"] == "won":
            assert gen.status == Status.CANCELED and sent == []
        else:
            assert sent == [(f"Round {round_}", 4)] and (gen.prompt, gen.duration) == sent[0]
        outcomes.append(result["click"])
    assert ledger_balances(owner)
    held = CreditEntry.objects.filter(user=owner, kind="hold").count()
    settled = CreditEntry.objects.filter(user=owner, kind="release").count()
    charged = CreditEntry.objects.filter(user=owner, kind="charge").count()
    active = Generation.objects.for_user(owner).filter(status__in=Generation.ACTIVE).count()
    edits = Generation.objects.for_user(owner).filter(hold_version=1).count()
    assert held == settled + active  # every hold returned or still running, none twice
    assert held == Generation.objects.for_user(owner).count() + edits
    assert charged == Generation.objects.for_user(owner).filter(status=Status.COMPLETED).count()


def test_the_creator_queue_row_and_valve_row_are_made_on_demand(owner, queue, settings):
    assert not CreatorQueue.objects.filter(user=owner).exists()
    ask(owner)
    assert CreatorQueue.objects.filter(user=owner).exists()
    assert StudioQueue.objects.get(pk=1).cap() == settings.STUDIO_MAX_IN_FLIGHT
