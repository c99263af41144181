"""Takes: picking the keeper of a comparison, setting the others aside and back, the creator's default
model, a draft made final (1080p or another model), and the keeper figures (what was kept, per model).

State changes are conditional UPDATEs: a take is kept only while it is ready, whatever a worker does."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, F, Q, Sum

from accounts.models import Plan, User
from accounts.offer import nearest_duration, offer_for
from catalog.models import CatalogModel
from catalog.sizes import VideoSize, is_hd, label
from generations import estimates, health
from generations.models import Comparison, Generation, ModelSample

Status = Generation.Status
KEEPER_RATE_MIN = 10  # ready takes of a model, in comparisons with a keeper, before its keeper rate is shown


class NotReady(Exception):
    """Only a ready take can be kept: one still being made (or failed) cannot."""


# The keeper


def keep(comparison, take):
    """Marks `take` as the comparison's keeper and sets aside its other finished takes (ones still being
    made are left alone). The keeper itself comes back from being set aside. Raises NotReady unless the
    take is ready."""
    with transaction.atomic():
        ready = Generation.objects.filter(pk=take.pk, comparison=comparison, status=Status.COMPLETED)
        if not ready.update(set_aside=False):
            raise NotReady
        Comparison.objects.filter(pk=comparison.pk).update(keeper=take)
        comparison.takes.filter(status__in=Generation.FINISHED).exclude(pk=take.pk).update(set_aside=True)
    comparison.keeper, comparison.keeper_id = take, take.pk
    take.set_aside = False


def restore(take):
    """A set-aside take back in the library's default view. The comparison's keeper stays as it is."""
    Generation.objects.filter(pk=take.pk).update(set_aside=False)
    take.set_aside = False


def restore_many(user, ids):
    """Brings the creator's set-aside videos among `ids` back; returns how many."""
    return Generation.objects.for_user(user).filter(pk__in=ids, set_aside=True).update(set_aside=False)


def use_as_default(user, model):
    """Makes `model` the one the creator's create form starts with, when their plan makes it. Returns
    whether it did."""
    if not offer_for(user).makes(model):
        return False
    User.objects.filter(pk=user.pk).update(default_model=model)
    user.default_model = model
    return True


# Draft, then final


@dataclass(frozen=True)
class FinalChoice:
    model: CatalogModel
    duration: int
    size: str
    cost: Decimal | None  # None when the plan does not make it
    difference: Decimal  # against the draft's cost
    locked_by: Plan | None = None  # the plan that makes it, when the creator's does not

    @property
    def key(self):
        return f"{self.model.slug}:{self.size}"

    @property
    def size_label(self):
        return VideoSize.parse(self.size).label

    @property
    def abs_difference(self):
        return abs(self.difference)

    @property
    def is_hd(self):
        return VideoSize.parse(self.size).is_hd


def final_choices(user, draft):
    """What the draft can be made final as: every model that starts the way the draft did, at each size of
    the draft's shape it makes (the draft itself left out), its length the nearest to the draft's. The
    plan's locked ones are listed too, with the plan that makes them; the 1080p ones first."""
    offer = offer_for(user)
    portrait = VideoSize.parse(draft.size).is_portrait
    choices = []
    for model in offer.video_models(from_picture=draft.start == Generation.Start.IMAGE, every=True):
        duration = nearest_duration(offer.durations(model) or list(model.durations), draft.duration)
        if duration is None:
            continue
        for size in model.sizes:
            if VideoSize.parse(size).is_portrait != portrait or (model.pk == draft.model_id and size == draft.size):
                continue
            cost = offer.cost(model, duration, size)
            locked = offer.unlocking(model, duration, size) if cost is None else None
            price = cost if cost is not None else model.price(duration, size)
            choices.append(FinalChoice(model, duration, size, cost, price - draft.cost, locked))
    return sorted(choices, key=lambda c: (c.cost is None, not c.is_hd, c.model.pk != draft.model_id))


def choice_for(choices, key):
    """The one of `choices` the creator picked (by its key) that the plan makes, or None."""
    return next((c for c in choices if c.key == key and c.cost is not None), None)


# Keeper figures


@dataclass
class KeeperRow:
    model_id: int | None  # None for the row of every model
    name: str
    ready: int  # ready takes, in comparisons with a keeper
    kept: int
    set_aside: int
    spent: Decimal  # credits spent on those ready takes
    kept_seconds: int

    @property
    def per_kept_second(self):
        return (self.spent / self.kept_seconds).quantize(Decimal("0.1")) if self.kept_seconds else None

    @property
    def keeper_rate(self):
        """Percent of its ready takes that were kept, once there are enough of them."""
        return round(100 * self.kept / self.ready) if self.ready >= KEEPER_RATE_MIN else None


def keeper_figures(queryset):
    """Per model, over the takes in `queryset` (Generations): kept, set aside, and of the comparisons with
    a keeper, the ready takes, the credits they cost and the seconds kept (so a kept second's price counts
    the takes left aside). Returns (rows, the total of every model) in one query."""
    kept = Q(comparison__keeper_id=F("pk"))
    ready = Q(status=Status.COMPLETED, comparison__keeper__isnull=False)  # in a comparison with a keeper
    rows = [
        KeeperRow(
            r["model_id"],
            r["model__name"],
            r["ready"],
            r["kept"],
            r["set_aside_count"],
            r["spent"] or Decimal(0),
            r["kept_seconds"] or 0,
        )
        for r in queryset.filter(comparison__isnull=False)
        .values("model_id", "model__name")
        .annotate(
            ready=Count("pk", filter=ready),
            kept=Count("pk", filter=kept),
            set_aside_count=Count("pk", filter=Q(set_aside=True)),
            spent=Sum("cost", filter=ready),
            kept_seconds=Sum("duration", filter=kept),
        )
        .order_by("model__position", "model__name")
    ]
    total = KeeperRow(
        None,
        "Every model",
        sum(r.ready for r in rows),
        sum(r.kept for r in rows),
        sum(r.set_aside for r in rows),
        sum((r.spent for r in rows), Decimal(0)),
        sum(r.kept_seconds for r in rows),
    )
    return rows, total


# The Models page


@dataclass
class ModelGuide:
    model: CatalogModel
    lengths: str  # "2 to 15 seconds", "5 or 10 seconds"
    size_labels: list[str]
    per_second: Decimal
    per_second_hd: Decimal | None  # None when 1080p costs the same, or it makes none
    typical: str  # words: "about 2-4 minutes"
    measured: bool  # from this studio's history (else the catalog's guess)
    keeper: KeeperRow | None  # None when none of its takes were in a decided comparison
    samples: list  # ModelSample rows, their ready videos
    health: object  # generations.health.ModelHealth: its last hour here, as the status page shows it


def models_guide():
    """Each enabled video model for the Models page: what it is good at, its lengths, sizes, prices,
    typical time here, how often its takes were kept, and the sample clips an operator picked."""
    models = list(CatalogModel.objects.filter(kind=CatalogModel.Kind.VIDEO, enabled=True))
    rows, _ = keeper_figures(Generation.objects.all())
    by_model = {r.model_id: r for r in rows}
    samples: dict[int, list[ModelSample]] = {}
    for sample in (
        ModelSample.objects.filter(model__in=models, generation__status=Status.COMPLETED)
        .select_related("generation")
        .order_by("position", "pk")
    ):
        samples.setdefault(sample.model_id, []).append(sample)
    snapshot = health.current()
    guides = []
    for m in models:
        took = estimates.durations(m, m.durations[0] if m.durations else 0)
        hd = m.credits_per_second_hd if any(is_hd(s) for s in m.sizes) else None
        guides.append(
            ModelGuide(
                model=m,
                lengths=_lengths(m.durations),
                size_labels=[label(s) for s in m.sizes],
                per_second=m.credits_per_second,
                per_second_hd=hd if hd is not None and hd != m.credits_per_second else None,
                typical=estimates.span_words(took.low, took.high),
                measured=bool(took.samples),
                keeper=by_model.get(m.pk),
                samples=samples.get(m.pk, [])[:3],
                health=snapshot.of(m.slug),
            )
        )
    return guides


def _lengths(durations):
    durations = sorted(durations)
    if len(durations) > 2 and durations == list(range(durations[0], durations[-1] + 1)):
        return f"{durations[0]} to {durations[-1]} seconds"
    if len(durations) > 1:
        return f"{', '.join(map(str, durations[:-1]))} or {durations[-1]} seconds"
    return f"{durations[0]} seconds" if durations else "none"


def sample_video(pk):
    """The ready video of sample `pk` (a ModelSample), or None: the only videos the Models page serves,
    named by the sample's number, never the video's own id."""
    found = (
        ModelSample.objects.filter(pk=pk, generation__status=Status.COMPLETED, model__enabled=True)
        .select_related("generation")
        .first()
    )
    return found.generation if found else None
