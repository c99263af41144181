"""What a waiting video says to its creator: why it waits, and its place in their line.

One small module for the words, so the dashboard's cards and the queue page say the same thing.
"""

from dataclasses import dataclass
from typing import Any

from accounts import plans
from accounts.models import User
from generations import queue
from generations.models import CreatorQueue, Generation, StudioQueue


@dataclass(frozen=True)
class Waiting:
    badge: str  # "Waiting" or "Paused"
    reason: str  # why it waits and what starts it, in one sentence
    place: int  # 1 for the creator's next waiting video

    @property
    def paused(self) -> bool:
        return self.badge == "Paused"

    @property
    def place_words(self) -> str:
        """ "Next in your line", "2nd in your line"."""
        return "Next in your line" if self.place == 1 else f"{ordinal(self.place)} in your line"


def ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }"


def describe(gen: Generation, place: int | None = None, facts: dict[str, Any] | None = None) -> Waiting:
    """The words for a waiting video. `place` and `facts` (from `_facts`) may be given when many are
    described at once (the queue page), so each is read once."""
    facts = facts or facts_for(gen.user)
    place = place or queue.place_in_line(gen)
    model = gen.model
    if gen.paused:
        return Waiting("Paused", "It waits until you resume it.", place)
    if facts["queue_paused"]:
        return Waiting("Paused", "Your queue is paused, so nothing of yours starts until you resume it.", place)
    if model.queue_paused:
        return Waiting("Waiting", f"{model.name} is paused by the studio for maintenance; your video waits.", place)
    if model.is_busy():
        return Waiting("Waiting", f"{model.name} is busy at Pixapi; your video will start when it recovers.", place)
    if gen.turn is not None:  # one of the creator's places is free for it: only the studio's valve is left
        flying = facts["flying"]
        model_full = model.max_in_flight is not None and flying.get(model.pk, 0) >= model.max_in_flight
        if facts["valve_full"] or model_full:
            return Waiting("Waiting", "Waiting: the studio is busy; your video starts when a slot frees.", place)
        return Waiting("Waiting", "Waiting: starts in a moment.", place)
    running = facts["running"]
    if running == 1:
        return Waiting("Waiting", "Waiting: starts when your running video finishes.", place)
    if running > 1:
        return Waiting("Waiting", f"Waiting: starts when one of your {running} running videos finishes.", place)
    if facts["max_running"] == 0:
        return Waiting("Waiting", "Waiting: your plan makes no videos at the moment.", place)
    return Waiting("Waiting", "Waiting: starts after the videos ahead of it in your line.", place)


def facts_for(user: User) -> dict[str, Any]:
    """What every waiting video of one creator is described from: a handful of queries, read once."""
    user_id, plan = user.pk, plans.plan_for(user)
    valve = StudioQueue.objects.filter(pk=1).first() or StudioQueue(pk=1)
    flying = queue.in_flight_by_model()
    return {
        "queue_paused": CreatorQueue.objects.filter(user_id=user_id, paused=True).exists(),
        "running": Generation.objects.filter(user_id=user_id, status__in=Generation.SLOT_HOLDERS).count(),
        "max_running": None if plan is None else plan.max_running,
        "flying": flying,
        "valve_full": valve.paused or sum(flying.values()) >= valve.cap(),
    }


def line(user: User) -> list[tuple[Generation, Waiting]]:
    """The creator's waiting videos in their order, each with its words: [(gen, Waiting)]."""
    gens = queue.line_of(user)
    if not gens:
        return []
    facts = facts_for(user)
    return [(gen, describe(gen, place=i, facts=facts)) for i, gen in enumerate(gens, start=1)]


def running(user: User) -> list[Generation]:
    """The creator's videos holding a place now (given a slot, being made or saved), oldest first."""
    return list(
        Generation.objects.for_user(user)
        .filter(status__in=Generation.SLOT_HOLDERS)
        .select_related("model")
        .order_by("queued_at", "created_at")
    )


def queue_paused(user: User) -> bool:
    return CreatorQueue.objects.filter(user_id=user.pk, paused=True).exists()
