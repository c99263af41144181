"""How long a video takes, from the studio's own history: the time left of one being made, and when a
waiting one should start and be ready. Shown as a range ("about 2-4 minutes"), never a promise.

A model's figures come from its last finished videos (from leaving the queue to being stored), of the
same length when there are enough of them, else of any length, else the catalog's expected time. They
are kept in the cache for a minute, so a page of cards asks the database once per model at most.

A waiting video's start is worked out by playing its creator's line forward twice, once with every
video quick (the 20th percentile of its model's times) and once with every video slow (the 80th):
their running videos free their plan's places, the videos ahead of it take them in their order, and
the studio's valve, when full, adds its own line (the videos with a turn before it) on top.
"""

import heapq
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from accounts import plans
from catalog.models import CatalogModel
from generations import changes, queue
from generations.models import CreatorQueue, Generation, ImageRequest, StudioQueue

Status = Generation.Status

HISTORY = 50  # the last this many finished videos of a model (and length) make its figures
SCAN = 400  # the model's finished videos read to find them
MIN_SAMPLES = 3  # fewer of one length than this: the model's videos of any length
LOW, HIGH = 0.2, 0.8  # the range shown: from the 20th to the 80th percentile
GUESS_LOW, GUESS_HIGH = 0.75, 1.5  # no history at all: around the catalog's expected time
FIGURES_SECONDS = 60  # how long a model's figures are kept
LINE_SECONDS = 5  # how long a creator's line and the valve are kept (a change of theirs starts afresh)


@dataclass(frozen=True)
class Durations:
    """Seconds a video takes, from leaving the queue to being ready: the median and the usual range."""

    median: float
    low: float
    high: float
    samples: int  # 0: no history, a guess from the catalog


def percentile(values: Iterable[float], q: float) -> float:
    """The q-th quantile (0..1) of the values, between neighbours where it falls between them."""
    ordered = sorted(values)
    at = (len(ordered) - 1) * q
    below = math.floor(at)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (at - below)


def figures(seconds: Iterable[float]) -> Durations:
    seconds = list(seconds)
    return Durations(percentile(seconds, 0.5), percentile(seconds, LOW), percentile(seconds, HIGH), len(seconds))


def _history(model_id: int) -> dict[int, list[float]]:
    """{length: [seconds, ...]} of the model's last finished videos, newest first (one query)."""
    rows = (
        Generation.objects.filter(model_id=model_id, status=Status.COMPLETED, finished_at__isnull=False)
        .filter(Q(queued_at__isnull=False) | Q(submitted_at__isnull=False))
        .order_by("-finished_at")
        .values_list("duration", "queued_at", "submitted_at", "finished_at")[:SCAN]
    )
    by_length: dict[int, list[float]] = {}
    for duration, queued_at, submitted_at, finished_at in rows:
        started = queued_at or submitted_at
        if started is None or finished_at is None:  # the filters above leave none such
            continue
        seconds = (finished_at - started).total_seconds()
        if seconds > 0:
            by_length.setdefault(duration, []).append(seconds)
    return by_length


def _figures_of(model_id: int) -> dict[int | None, Durations]:
    """{length: Durations, None: Durations of any length} for a model, from the cache when fresh."""
    key = f"estimates:durations:{model_id}"
    found = cache.get(key)
    if found is None:
        by_length = _history(model_id)
        every = [s for seconds in by_length.values() for s in seconds]
        found = {d: figures(s[:HISTORY]) for d, s in by_length.items() if len(s) >= MIN_SAMPLES}
        if len(every) >= MIN_SAMPLES:
            found[None] = figures(every)  # any length: every one read counts (at most SCAN)
        cache.set(key, found, FIGURES_SECONDS)
    return found


def durations(model: CatalogModel, duration: int) -> Durations:
    """How long a video of this model and length takes: its own history, else the model's, else a guess."""
    found = _figures_of(model.pk)
    if duration in found:
        return found[duration]
    if None in found:
        return found[None]
    expected = float(model.expected_seconds)
    return Durations(expected, expected * GUESS_LOW, expected * GUESS_HIGH, 0)


# Words


def _round(value: float) -> int:
    return int(math.floor(value + 0.5))


def span_words(low: float, high: float) -> str:
    """ "less than a minute", "about a minute", "about 3 minutes", "about 2-4 minutes", "about 1-2 hours"."""
    low, high = max(low, 0), max(high, 0)
    if high >= 90 * 60:
        lo, hi = max(_round(low / 3600), 1), max(_round(high / 3600), 1)
        unit = "hour"
    else:
        lo, hi = _round(low / 60), _round(high / 60)
        unit = "minute"
        if hi == 0:
            return "less than a minute"
        if lo == 0:
            return "about a minute" if hi == 1 else f"less than {hi} minutes"
    if lo >= hi:
        return f"about a {unit}" if hi == 1 else f"about {hi} {unit}s"
    return f"about {lo}-{hi} {unit}s"


def so_far_words(seconds: float) -> str:
    """ "40 s", "4 min", "1 h 5 min"."""
    seconds = max(int(seconds), 0)
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min" if minutes % 60 else f"{minutes // 60} h"


def _unix(moment: datetime) -> int:
    return int(moment.timestamp())


# A video being made


@dataclass(frozen=True)
class TimeLeft:
    since: datetime  # when it left the queue: its time so far counts from here
    ready_low: datetime
    ready_high: datetime
    now: datetime

    @property
    def so_far(self) -> float:
        return max((self.now - self.since).total_seconds(), 0)

    @property
    def late(self) -> bool:
        """Past the slow end of its usual range."""
        return self.now > self.ready_high

    @property
    def words(self) -> str:
        if self.late:
            return f"Taking longer than usual: {so_far_words(self.so_far)} so far"
        left = span_words((self.ready_low - self.now).total_seconds(), (self.ready_high - self.now).total_seconds())
        return f"{left[0].upper()}{left[1:]} left"

    def data(self) -> dict[str, int]:
        """For the page's clock (static/js/time_left.js), which says the same words as time goes by."""
        return {"since": _unix(self.since), "low": _unix(self.ready_low), "high": _unix(self.ready_high)}

    def __str__(self) -> str:
        return self.words


def for_active(gen: Generation, now: datetime | None = None) -> TimeLeft | None:
    """The time left of a video given a slot (queued, being made or saved), or None for any other."""
    if gen.status not in Generation.SLOT_HOLDERS:
        return None
    return _time_left(gen, now or timezone.now())


def _time_left(gen: Generation, now: datetime) -> TimeLeft:
    since = gen.queued_at or gen.submitted_at or gen.created_at
    usual = durations(gen.model, gen.duration)
    return TimeLeft(since, since + timedelta(seconds=usual.low), since + timedelta(seconds=usual.high), now)


# A waiting video


@dataclass(frozen=True)
class WaitEstimate:
    start_low: datetime
    start_high: datetime
    ready_low: datetime
    ready_high: datetime
    now: datetime

    def _span(self, low: datetime, high: datetime) -> str:
        return span_words((low - self.now).total_seconds(), (high - self.now).total_seconds())

    @property
    def start_words(self) -> str:
        """ "starts in about 1-3 minutes", or "starts in a moment"."""
        if (self.start_high - self.now).total_seconds() < 30:
            return "starts in a moment"
        return f"starts in {self._span(self.start_low, self.start_high)}"

    @property
    def ready_words(self) -> str:
        """ "ready in about 2-4 minutes"."""
        return f"ready in {self._span(self.ready_low, self.ready_high)}"

    @property
    def words(self) -> str:
        start = self.start_words
        return f"{start[0].upper()}{start[1:]}, {self.ready_words}."

    def data(self) -> dict[str, int]:
        return {
            "start-low": _unix(self.start_low),
            "start-high": _unix(self.start_high),
            "low": _unix(self.ready_low),
            "high": _unix(self.ready_high),
        }

    def __str__(self) -> str:
        return self.words


def _elapsed(since: datetime | None, now: datetime) -> float:
    return max((now - since).total_seconds(), 0) if since else 0


def _line_facts(user_id: int, now: datetime) -> dict[str, Any]:
    """What a creator's waiting videos are estimated from, read once for all their cards: their plan's
    places, what holds them now (seconds left, low and high), and their line in order."""
    key = f"estimates:line:{user_id}:{changes.peek(user_id) or '-'}"
    found = cache.get(key)
    if found is not None and (now - found["at"]).total_seconds() < LINE_SECONDS:
        return found
    plan = plans.plan_for(get_user_model().objects.only("plan_id").get(pk=user_id))
    holding = []
    making = Generation.objects.filter(user_id=user_id, status__in=Generation.SLOT_HOLDERS).select_related("model")
    for gen in making:
        left = _time_left(gen, now)
        usual = durations(gen.model, gen.duration)
        if left.late:  # it may end any moment; slow, it takes another quarter of its usual time
            holding.append((0.0, usual.median / 4))
        else:
            holding.append(
                (max((left.ready_low - now).total_seconds(), 0), max((left.ready_high - now).total_seconds(), 0))
            )
    pictures = ImageRequest.objects.filter(user_id=user_id, status__in=ImageRequest.IN_PROGRESS).select_related("model")
    for req in pictures:
        holding.append((0.0, max(req.model.expected_seconds - _elapsed(req.created_at, now), 0)))
    line = []  # (pk, paused, quick seconds, slow seconds) in their order
    for waiting in (
        Generation.objects.filter(user_id=user_id, status=Status.WAITING)
        .select_related("model")
        .order_by("queue_position")
        .only("pk", "paused", "duration", "model")
    ):
        usual = durations(waiting.model, waiting.duration)
        line.append((waiting.pk, waiting.paused, usual.low, usual.high))
    found = {
        "at": now,
        "places": None if plan is None else plan.max_running,
        "holding": holding,
        "line": line,
        "paused": CreatorQueue.objects.filter(user_id=user_id, paused=True).exists(),
    }
    cache.set(key, found, LINE_SECONDS)
    return found


def _valve_facts(now: datetime) -> dict[str, Any]:
    """The studio's valve: its cap, whether it is paused, and what is at Pixapi per model."""
    found = cache.get("estimates:valve")
    if found is not None and (now - found["at"]).total_seconds() < LINE_SECONDS:
        return found
    valve = StudioQueue.objects.filter(pk=1).first() or StudioQueue(pk=1)
    found = {"at": now, "cap": valve.cap(), "paused": valve.paused, "flying": queue.in_flight_by_model()}
    cache.set("estimates:valve", found, LINE_SECONDS)
    return found


def _first_free(
    places: int | None, holding: Sequence[tuple[float, float]], ahead: Iterable[tuple[float, float]], pick: int
) -> float:
    """Seconds until a place of the creator's is free for this video, once `ahead` (their durations) took
    theirs: the plan's places free up as `holding` (seconds left) end; `pick` is 0 quick, 1 slow."""
    if places is None:
        return 0.0
    left = sorted(h[pick] for h in holding)
    over = max(len(left) - places, 0)  # beyond the plan's places (it changed): they free none
    free_at = [0.0] * max(places - len(left), 0) + left[over:]
    heapq.heapify(free_at)
    for seconds in ahead:
        heapq.heappush(free_at, heapq.heappop(free_at) + seconds[pick])
    return free_at[0]


def for_waiting(gen: Generation, now: datetime | None = None) -> WaitEstimate | None:
    """When a waiting video should start and be ready (WaitEstimate), or None when nothing will start it
    by itself (paused, its model off or paused, a plan with no places)."""
    if gen.status != Status.WAITING or gen.paused:
        return None
    model = gen.model
    if not model.enabled or model.queue_paused:
        return None
    now = now or timezone.now()
    facts = _line_facts(gen.user_id, now)
    if facts["paused"] or facts["places"] == 0 or _valve_facts(now)["paused"]:
        return None
    now = facts["at"]  # what its running videos have left was read then
    ahead = []
    for pk, paused, low, high in facts["line"]:
        if pk == gen.pk:
            break
        if not paused:
            ahead.append((low, high))
    usual = durations(model, gen.duration)
    own = (usual.low, usual.high)
    starts = [_first_free(facts["places"], facts["holding"], ahead, pick) for pick in (0, 1)]
    starts = [max(s, w) for s, w in zip(starts, _valve_wait(gen, now), strict=True)]
    if model.busy_until is not None and model.is_busy(now):
        starts = [max(s, (model.busy_until - now).total_seconds()) for s in starts]
    return WaitEstimate(
        start_low=now + timedelta(seconds=starts[0]),
        start_high=now + timedelta(seconds=starts[1]),
        ready_low=now + timedelta(seconds=starts[0] + own[0]),
        ready_high=now + timedelta(seconds=starts[1] + own[1]),
        now=now,
    )


def _valve_wait(gen: Generation, now: datetime) -> tuple[float, float]:
    """(quick, slow) seconds the studio's valve keeps it back once its creator has a place for it: none while
    the valve has room for its model, else its line there (the videos with a turn before it) served as
    the model's videos at Pixapi finish."""
    valve = _valve_facts(now)
    model = gen.model
    flying = valve["flying"]
    cap = valve["cap"] if model.max_in_flight is None else min(valve["cap"], model.max_in_flight)
    full = valve["paused"] or sum(flying.values()) >= valve["cap"] or flying.get(model.pk, 0) >= cap
    if not full or cap == 0:
        return (0.0, 0.0)
    ahead = Generation.objects.filter(model_id=model.pk, turn__isnull=False, status=Status.WAITING)
    if gen.turn is not None:
        ahead = ahead.filter(turn__lt=gen.turn)
    rounds = ahead.count() // cap + 1
    usual = durations(model, gen.duration)
    return (rounds * usual.low, rounds * usual.high)
