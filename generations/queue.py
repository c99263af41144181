"""The studio's own queue: videos wait here, held and editable, until the valve gives them a slot.

Two gates stand between a waiting video and Pixapi:
- its creator's plan: a waiting video gets a turn (`Generation.turn`) when one of their places
  ("at once") is free, first come in their own order (`models.refill`, on every change that frees
  or takes a place);
- the studio's valve: at most StudioQueue.cap() videos at Pixapi at once, and a model's own cap,
  maintenance pause and circuit breaker (catalog). `dispatch` hands each free slot to the video
  with the lowest turn among the open models: a turn is when its creator was last served, so the
  creator served longest ago goes first (round-robin by creator), then their own order.

Every step is a conditional UPDATE on status WAITING: a click (edit, cancel) and the dispatcher race
in the database, and exactly one wins. Used by the web side and the worker alike; it never calls Pixapi.
"""

import logging
from functools import partial
from operator import attrgetter

from django.db import transaction
from django.db.models import Case, Count, Max, Sum, Value, When
from django.utils import timezone

from accounts import credits, plans
from accounts.offer import offer_for
from catalog import presets
from catalog.models import CatalogModel
from generations import changes, taskqueue
from generations.models import CreatorQueue, Generation, StudioQueue, now_micros, places_free, refill

log = logging.getLogger(__name__)

Status = Generation.Status
POSITION_STEP = 1024  # room between neighbours; renumbered when a creator reorders


class NotWaiting(Exception):
    """The video has already left the queue (a worker took it, or it ended): it can no longer be changed."""


def next_position(user_id):
    last = Generation.objects.filter(user_id=user_id, status=Status.WAITING).aggregate(m=Max("queue_position"))["m"]
    return max(last or 0, now_micros()) + POSITION_STEP


# Handing out slots


def in_flight_by_model():
    rows = Generation.objects.filter(status__in=Generation.AT_PIXAPI).values("model").annotate(n=Count("pk"))
    return {row["model"]: row["n"] for row in rows}


def _next_for(model_id):
    return (
        Generation.objects.filter(model_id=model_id, turn__isnull=False, status=Status.WAITING)
        .order_by("turn", "queue_position")
        .only("pk", "user_id", "turn", "queue_position", "batch_id", "cost", "model_id", "status", "updated_at")
        .first()
    )


def dispatch(limit=None):
    """Hands every free slot of the valve to the next video in line; returns the videos sent on.

    One index lookup per open model per slot handed out (gen_ready), whatever the number waiting."""
    started: list[Generation] = []
    capped: set[int | None] = set()
    if not Generation.objects.filter(turn__isnull=False, status=Status.WAITING).exists():
        return started  # nothing has a turn: no need to take the valve
    with transaction.atomic():
        valve = StudioQueue.lock()
        if valve.paused:
            return started
        flying = in_flight_by_model()
        free = valve.cap() - sum(flying.values())
        if limit is not None:
            free = min(free, limit)
        models = [m for m in CatalogModel.objects.filter(kind=CatalogModel.Kind.VIDEO) if m.is_open()]
        heads: dict[int, Generation | None] = {}
        while free > 0:
            for model in models:
                room = model.max_in_flight is None or flying.get(model.pk, 0) < model.max_in_flight
                if model.pk not in heads:
                    heads[model.pk] = _next_for(model.pk) if room else None
            candidates = [gen for gen in heads.values() if gen is not None]
            if not candidates:
                break
            gen = min(candidates, key=attrgetter("turn", "queue_position"))
            CreatorQueue.lock(gen.user_id)
            room = _room_for(gen)
            if room is not True:
                if room == "capped":
                    capped.add(gen.batch_id)
                heads.clear()
                continue
            if gen.mark_dispatched():
                taskqueue.enqueue(taskqueue.SUBMIT, str(gen.pk))
                started.append(gen)
                free -= 1
                flying[gen.model_id] = flying.get(gen.model_id, 0) + 1
                _served(gen.user_id)
                heads.clear()  # the creator's other turns moved back; every head may have changed
            else:
                heads.pop(gen.model_id)  # edited or canceled a moment ago: ask again
    # Outside the valve's lock: canceling takes the creators' credit accounts, which come first.
    for batch_id in capped:
        transaction.on_commit(partial(stop_batch, batch_id), robust=True)
    return started


def _room_for(gen):
    """True when the creator still has a place free (the turn could be stale) and the batch is under its
    cap. Otherwise the video loses its turn ("full"), or, past the cap, the whole batch's does ("capped")."""
    if places_free(gen.user_id, plans.plan_for(gen.user)) == 0:
        Generation.objects.filter(pk=gen.pk, status=Status.WAITING).update(turn=None)
        return "full"
    if gen.batch_id and gen.batch.spending_cap is not None:
        if batch_committed(gen.batch) + gen.cost > gen.batch.spending_cap:
            gen.batch.generations.filter(status=Status.WAITING).update(turn=None)
            return "capped"
    return True


def _served(user_id):
    """The creator just got a slot: their other turns go to the back of the round, and each of their waiting
    cards moves up a place (updated_at, in the same UPDATE, so the dashboard's poller shows it)."""
    now = now_micros()
    CreatorQueue.objects.filter(user_id=user_id).update(last_served=now)
    Generation.objects.filter(user_id=user_id, status=Status.WAITING).update(
        turn=Case(When(turn__isnull=False, then=Value(now)), default=None), updated_at=timezone.now()
    )


def batch_committed(batch):
    """Credits a batch has spent or has at Pixapi now (failed videos gave theirs back)."""
    done = batch.generations.filter(status__in=(*Generation.SLOT_HOLDERS, Status.COMPLETED))
    return done.aggregate(total=Sum("cost"))["total"] or 0


def stop_batch(batch_id):
    """The batch reached its spending cap: what still waits is canceled, its credits returned."""
    for gen in Generation.objects.filter(batch_id=batch_id, status=Status.WAITING):
        with transaction.atomic():
            credits.lock_account(gen.user_id)
            CreatorQueue.lock(gen.user_id)
            gen.mark_canceled(
                code="batch_cap", message="Its batch reached its spending cap, so it was not made. Nothing was charged."
            )


# What a creator does while a video waits


def waiting_of(user, pk):
    gen = Generation.objects.for_user(user).select_related("model").filter(pk=pk).first()
    if gen is None or gen.status != Status.WAITING:
        raise NotWaiting
    return gen


def cancel(user, pk):
    """Cancels a waiting video; its hold comes back in the same transaction. Raises NotWaiting."""
    with transaction.atomic():
        credits.lock_account(user)
        CreatorQueue.lock(user.pk)
        gen = waiting_of(user, pk)
        if not gen.mark_canceled():
            raise NotWaiting
    return gen


def edit(user, pk, *, model, prompt, duration, size, style=None, camera=None):
    """Changes a waiting video: the plan's rules again, the old hold returned and the new cost held, in
    one transaction with the change; decided against the dispatcher by the row's status. Raises
    NotWaiting, credits.Refused (nothing changed then)."""
    with transaction.atomic():
        credits.lock_account(user)
        CreatorQueue.lock(user.pk)
        gen = waiting_of(user, pk)
        offer_for(user).check(model, duration, size)
        style = gen.style if style is None else style
        camera = gen.camera if camera is None else camera
        gen = change_waiting(
            user,
            gen,
            model=model,
            prompt=prompt,
            style=style,
            camera=camera,
            full_prompt=presets.full_prompt(prompt, style, camera),
            duration=duration,
            size=size,
            cost=model.price(duration, size),
        )
    return gen


def change_waiting(user, gen, *, model, cost, **fields):
    """Inside the caller's transaction, with the creator's credit account and queue locked: changes a waiting
    video and moves its hold (the old one returned, the new cost held). Decided against the dispatcher by the
    row's status and hold version. Raises NotWaiting."""
    old_reference = gen.ledger_reference
    changed = Generation.objects.filter(pk=gen.pk, status=Status.WAITING, hold_version=gen.hold_version).update(
        model=model,
        cost=cost,
        hold_version=gen.hold_version + 1,
        updated_at=timezone.now(),  # the card shows the change
        **fields,
    )
    if not changed:
        raise NotWaiting
    gen.refresh_from_db()
    credits.release(user, old_reference)
    credits.hold(user, cost, reference=gen.ledger_reference, description=gen.prompt, model=model)
    changes.note(user.pk)
    return gen


def move(user, pk, steps):
    """Moves a waiting video `steps` places in its creator's line (negative: earlier)."""
    order = list(
        Generation.objects.for_user(user)
        .filter(status=Status.WAITING)
        .order_by("queue_position")
        .values_list("pk", flat=True)
    )
    if pk not in order:
        raise NotWaiting
    at = order.index(pk)
    order.insert(min(max(at + steps, 0), len(order) - 1), order.pop(at))
    reorder(user, order)


def reorder(user, ordered_ids):
    """Puts the creator's waiting videos in this order (ids not waiting are ignored; missing ones keep
    their places after the named ones). Turns follow the new order."""
    with transaction.atomic():
        credits.lock_account(user)
        CreatorQueue.lock(user.pk)
        waiting = Generation.objects.for_user(user).filter(status=Status.WAITING)
        current = list(waiting.order_by("queue_position").values_list("pk", "queue_position"))
        known = {pk for pk, _ in current}
        wanted = [pk for pk in ordered_ids if pk in known]
        wanted += [pk for pk, _ in current if pk not in set(wanted)]
        base = current[0][1] if current else 0
        for i, pk in enumerate(wanted):
            waiting.filter(pk=pk).update(queue_position=base + i * POSITION_STEP)
        refill(user.pk)
        _touch(user.pk)


def pause(user, pk, paused=True):
    with transaction.atomic():
        credits.lock_account(user)
        CreatorQueue.lock(user.pk)
        if not Generation.objects.for_user(user).filter(pk=pk, status=Status.WAITING).update(paused=paused):
            raise NotWaiting
        refill(user.pk)
        _touch(user.pk, pk)


def pause_all(user, paused=True):
    with transaction.atomic():
        credits.lock_account(user)
        CreatorQueue.lock(user.pk)
        CreatorQueue.objects.filter(user=user).update(paused=paused)
        refill(user.pk)
        _touch(user.pk)


def _touch(user_id, pk=None):
    """The cards of the creator's waiting videos changed (place in line, paused): the poller shows them."""
    rows = Generation.objects.filter(user_id=user_id, status=Status.WAITING)
    if pk is not None:
        rows = rows.filter(pk=pk)
    rows.update(updated_at=timezone.now())
    changes.note(user_id)


# Reading the queue


def line_of(user):
    """The creator's waiting videos in their order."""
    return list(
        Generation.objects.for_user(user)
        .filter(status=Status.WAITING)
        .select_related("model")
        .order_by("queue_position")
    )


def place_in_line(gen):
    """1 for the creator's next waiting video."""
    earlier = Generation.objects.filter(
        user_id=gen.user_id, status=Status.WAITING, queue_position__lt=gen.queue_position
    ).count()
    return earlier + 1
