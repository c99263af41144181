"""How each model is doing, from the studio's own traffic: in the last hour, how many of its videos
came out and how long they took to be ready; how many wait; and whether its valve is open, slowed down
(the breaker, after Pixapi said busy) or paused by an operator.

The sweeper works the figures out once a minute (`refresh`) and keeps them in the cache; the status
page, the Models page and admin read them from there (`current`), and work them out only when they
are missing (a fresh start, a cleared cache), so no visitor costs more than one cache read.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.cache import cache
from django.db.models import Count, Q
from django.utils import timezone

from catalog.models import CatalogModel
from generations.estimates import percentile
from generations.models import Generation

Status = Generation.Status

WINDOW = timedelta(hours=1)
KEY = "health:models"
KEEP_SECONDS = 180  # three refreshes: a sweeper that stops for a moment leaves the figures in place
MOST_TIMINGS = 2000  # of a model's ready videos in the window, at most this many make its times

# Failures that say nothing about the model's health: the creator's prompt, their settings, a person.
NOT_THE_MODELS_FAULT = ("prompt_rejected", "invalid_request", "operator", "canceled", "too_large")

OPEN, SLOWED, PAUSED = "open", "slowed", "paused"
STATE_WORDS = {OPEN: "Working", SLOWED: "Slowed down", PAUSED: "Paused"}


@dataclass(frozen=True)
class ModelHealth:
    slug: str
    name: str
    kind: str
    state: str  # OPEN, SLOWED or PAUSED
    ready: int  # made in the last hour
    failed: int  # failed in the last hour through no fault of the creator
    waiting: int  # waiting in the studio's queue now
    p50_seconds: float | None  # from leaving the queue to ready, over the last hour's ready videos
    p95_seconds: float | None

    @property
    def success_rate(self) -> float | None:
        finished = self.ready + self.failed
        return self.ready / finished if finished else None

    @property
    def state_words(self) -> str:
        return STATE_WORDS[self.state]


@dataclass(frozen=True)
class Snapshot:
    at: datetime
    models: list[ModelHealth]

    def of(self, slug: str) -> ModelHealth | None:
        return next((m for m in self.models if m.slug == slug), None)


def state_of(model: CatalogModel, now: datetime) -> str:
    if model.queue_paused:
        return PAUSED
    if model.is_busy(now):
        return SLOWED
    return OPEN


def work_out(now: datetime | None = None) -> Snapshot:
    """The figures of every offered model, from four queries whatever the traffic."""
    now = now or timezone.now()
    since = now - WINDOW
    models = list(CatalogModel.objects.filter(enabled=True).order_by("kind", "name"))
    finished = {
        row["model_id"]: row
        for row in Generation.objects.filter(finished_at__gte=since, status__in=[Status.COMPLETED, Status.FAILED])
        .values("model_id")
        .annotate(
            ready=Count("pk", filter=Q(status=Status.COMPLETED)),
            failed=Count("pk", filter=Q(status=Status.FAILED) & ~Q(error_code__in=NOT_THE_MODELS_FAULT)),
        )
    }
    waiting = dict(
        Generation.objects.filter(status=Status.WAITING)
        .values("model_id")
        .annotate(n=Count("pk"))
        .values_list("model_id", "n")
    )
    timings: dict[int, list[float]] = {}
    rows = (
        Generation.objects.filter(status=Status.COMPLETED, finished_at__gte=since)
        .filter(Q(queued_at__isnull=False) | Q(submitted_at__isnull=False))
        .order_by("-finished_at")
        .values_list("model_id", "queued_at", "submitted_at", "finished_at")[: MOST_TIMINGS * max(len(models), 1)]
    )
    for model_id, queued_at, submitted_at, finished_at in rows:
        left_queue = queued_at or submitted_at
        if finished_at is None or left_queue is None:  # the query asks for both; the types cannot tell
            continue
        seconds = (finished_at - left_queue).total_seconds()
        if seconds > 0 and len(timings.setdefault(model_id, [])) < MOST_TIMINGS:
            timings[model_id].append(seconds)
    result = []
    for model in models:
        ready, failed = (finished[model.pk]["ready"], finished[model.pk]["failed"]) if model.pk in finished else (0, 0)
        times = timings.get(model.pk)
        result.append(
            ModelHealth(
                slug=model.slug,
                name=model.name,
                kind=model.kind,
                state=state_of(model, now),
                ready=ready,
                failed=failed,
                waiting=waiting.get(model.pk, 0),
                p50_seconds=percentile(times, 0.5) if times else None,
                p95_seconds=percentile(times, 0.95) if times else None,
            )
        )
    return Snapshot(at=now, models=result)


def refresh(now: datetime | None = None) -> Snapshot:
    """Works the figures out and keeps them for the pages (the sweeper calls this once a minute)."""
    snapshot = work_out(now)
    cache.set(KEY, snapshot, KEEP_SECONDS)
    return snapshot


def current() -> Snapshot:
    """The kept figures, or fresh ones when none are kept."""
    snapshot = cache.get(KEY)
    return snapshot if isinstance(snapshot, Snapshot) else refresh()


# The cluster's heartbeat: each sweeper beats at every housekeeping, so /healthz/ can tell whether any
# cluster is tracking videos.

BEAT_KEY = "health:cluster-beat"
BEAT_KEEP_SECONDS = 600


def beat(now: datetime | None = None) -> None:
    cache.set(BEAT_KEY, (now or timezone.now()).timestamp(), BEAT_KEEP_SECONDS)


def last_beat() -> datetime | None:
    stamp = cache.get(BEAT_KEY)
    return datetime.fromtimestamp(stamp, tz=UTC) if isinstance(stamp, float) else None
