"""Failover the creator agreed to: a waiting video whose model is unavailable is made on the next model
they allow, at the nearest length and size their plan makes, for at most the extra credits they allowed.

A task Pixapi accepted and then failed with model_unavailable or internal_error goes back in line the
same way (worker.lifecycle), its model's breaker closed, and moves on at the next pass.

A model is unavailable when an operator paused it, when the studio no longer offers it, or when Pixapi
said it was busy and the breaker closed its valve for FAILOVER_BREAKER_SECONDS or more (5 s at the
first busy answer, twice as long at each one after in a row). Only waiting videos
move: never one whose submit had an unknown outcome (it may exist at Pixapi: the contract forbids a
blind resubmit), never past its limit, never to a model the creator's plan leaves out. The hold moves
with it in one transaction (generations.queue.change_waiting): the unused difference comes back.
"""

import logging
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts import credits
from accounts.offer import offer_for
from accounts.words import amount
from catalog.models import CatalogModel
from generations import queue
from generations.models import CreatorQueue, Generation, refill
from webhooks import events as webhook_events

log = logging.getLogger(__name__)
Status = Generation.Status

GONE, PAUSED, BUSY = "gone", "paused", "busy"
REASON_WORDS = {GONE: "is no longer offered", PAUSED: "was paused for maintenance", BUSY: "was unavailable"}
MOST_PER_ROUND = 100
# A task Pixapi accepted and then failed with one of these failed through its model, not the prompt: with
# failover allowed, the video goes back in line (nothing is left at Pixapi) and moves to the next model.
RETRY_CODES = ("model_unavailable", "internal_error")


def limit_for(user, cost, allowed=None):
    """The most a new video may cost once moved to another model: its cost plus the creator's extra. None
    (it waits for its model) when the creator has not allowed failover, or `allowed` is False for this one."""
    if allowed is False or user.failover_extra is None:
        return None
    return Decimal(cost) + user.failover_extra


def retries_elsewhere(gen, error_code):
    """Whether a task that failed with this code goes back in line for another model instead of failing."""
    return gen.failover_limit is not None and (error_code or "").lower() in RETRY_CODES


def why_unavailable(model, now=None):
    """GONE, PAUSED or BUSY when the model's videos cannot start for a while, else None."""
    now = now or timezone.now()
    if not model.enabled:
        return GONE
    if model.queue_paused:
        return PAUSED
    if model.is_busy(now) and model.closure_seconds(now) >= settings.FAILOVER_BREAKER_SECONDS:
        return BUSY
    return None


def models_in_order(user, offer, from_picture):
    """The models this creator falls back on, first choice first: their own list (kept to what their plan
    makes), else every model the plan makes, in the catalog's order."""
    makes = offer.video_models(from_picture=from_picture)
    if not user.failover_models:
        return makes
    by_slug = {m.slug: m for m in makes}
    return [by_slug[slug] for slug in user.failover_models if slug in by_slug]


def choose(gen, offer, now=None):
    """(model, duration, size, cost) of the first model the video may move to, or None."""
    for model in models_in_order(gen.user, offer, gen.start == Generation.Start.IMAGE):
        if model.pk == gen.model_id or why_unavailable(model, now):
            continue
        duration, size = offer.nearest(model, gen.duration, gen.size)
        if duration is None:
            continue
        cost = model.price(duration, size)
        if cost <= gen.failover_limit:
            return model, duration, size, cost
    return None


def words(was, now_on, reason, difference):
    sign = "+" if difference >= 0 else "-"
    return f"Made on {now_on.name} because {was.name} {REASON_WORDS[reason]} ({sign}{amount(abs(difference))})"


def reroute(gen, reason, now=None):
    """Moves a waiting video to the next model its creator allows. The rerouted video, or None when there is
    none to move to (it keeps waiting for its own), or it is no longer waiting."""
    user = get_user_model().objects.get(pk=gen.user_id)
    with transaction.atomic():
        credits.lock_account(user)
        CreatorQueue.lock(user.pk)
        gen = (
            Generation.objects.select_related("model", "user")
            .filter(pk=gen.pk, status=Status.WAITING, failover_limit__isnull=False)
            .first()
        )
        if gen is None:
            return None
        choice = choose(gen, offer_for(user), now)
        if choice is None:
            return None
        model, duration, size, cost = choice
        was = gen.model
        try:
            gen = queue.change_waiting(
                user,
                gen,
                model=model,
                duration=duration,
                size=size,
                cost=cost,
                rerouted_from=gen.rerouted_from or was,
                rerouted_note=words(was, model, reason, cost - gen.cost),
            )
        except queue.NotWaiting:
            return None
        refill(user.pk)  # back in line after a failed task it has no turn yet
        webhook_events.video_rerouted(gen)
    log.info("Video %s moved from %s to %s: %s", gen.pk, was.slug, model.slug, reason)
    return gen


def reroute_stuck(now=None):
    """The sweeper's pass: every waiting video that allows failover and whose model is unavailable moves to
    its next model (a few queries, then one transaction per video moved)."""
    now = now or timezone.now()
    reasons = {
        m.pk: why for m in CatalogModel.objects.filter(kind=CatalogModel.Kind.VIDEO) if (why := why_unavailable(m, now))
    }
    if not reasons:
        return []
    stuck = Generation.objects.filter(
        status=Status.WAITING, failover_limit__isnull=False, model_id__in=list(reasons)
    ).order_by("queue_position")[:MOST_PER_ROUND]
    moved = []
    for gen in stuck:
        try:
            if rerouted := reroute(gen, reasons[gen.model_id], now):
                moved.append(rerouted)
        except Exception:  # one video's trouble never stops the others
            log.exception("Moving video %s to another model failed; it keeps waiting", gen.pk)
    if moved:
        queue.dispatch()
    return moved
