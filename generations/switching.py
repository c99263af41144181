"""Making a video again, or on another model: whether its model still makes it for its creator, and if
not (or if they would rather), the nearest settings on each model their plan makes, with the price.

Used by the retry page of a failed video and the switch page of a waiting one (generations.retry_views).
"""

from dataclasses import dataclass, field
from decimal import Decimal

from accounts.models import Plan
from catalog.models import CatalogModel
from catalog.sizes import label
from generations.models import Generation


@dataclass(frozen=True)
class Unavailable:
    words: str  # why, in one plain sentence
    blocks: bool  # True: it cannot be asked for as it was; False: it can, but would wait (maintenance)
    plan: Plan | None = None  # when the creator's plan is why: the plan that makes it, if any
    plan_limit: bool = False  # the creator's plan is why


@dataclass(frozen=True)
class Choice:
    model: CatalogModel
    duration: int
    size: str
    cost: Decimal
    was: Decimal  # what the video cost (or holds now)
    changed: list[str] = field(default_factory=list)  # "4 s instead of 5 s", "Landscape 720p instead of ..."

    @property
    def key(self):
        return f"{self.model.slug}:{self.duration}:{self.size}"

    @property
    def difference(self):
        return self.cost - self.was

    @property
    def difference_words(self):
        """ "2 fewer", "3 more", "the same"."""
        difference = self.difference.normalize()
        if difference == difference.to_integral():
            difference = difference.quantize(Decimal("1"))
        if difference > 0:
            return f"{difference} more"
        if difference < 0:
            return f"{-difference} fewer"
        return "the same"

    @property
    def compared(self):
        """ "2 fewer than before", "the same as before"."""
        return "the same as before" if not self.difference else f"{self.difference_words} than before"


def _from_picture(gen):
    return gen.start == Generation.Start.IMAGE


def unavailable(gen, offer):
    """Why the video's model cannot make it again as it was, for its creator now, or None when it can."""
    model, plan = gen.model, offer.plan
    plan_name = plan.name if plan else ""
    if not model.enabled:
        return Unavailable(f"{model.name} is no longer offered by the studio.", True)
    if not offer.includes(model):
        return Unavailable(f"{model.name} is not part of your {plan_name} plan.", True, offer.unlocking(model), True)
    if _from_picture(gen) and not model.image_to_video:
        return Unavailable(f"{model.name} no longer animates pictures.", True)
    if gen.duration not in model.durations:
        return Unavailable(f"{model.name} no longer makes videos of {gen.duration} seconds.", True)
    if gen.duration not in offer.durations(model):
        return Unavailable(
            f"Your {plan_name} plan makes videos of up to {plan.max_duration} seconds.",
            True,
            offer.unlocking(model, duration=gen.duration),
            True,
        )
    if gen.size not in model.sizes:
        return Unavailable(f"{model.name} no longer makes this shape.", True)
    if gen.size not in offer.sizes(model):
        return Unavailable(
            f"Your {plan_name} plan makes 720p videos.", True, offer.unlocking(model, size=gen.size), True
        )
    if model.queue_paused:
        return Unavailable(
            f"{model.name} is paused by the studio for maintenance: a video on it waits until it is back.", False
        )
    return None


def locked_models(gen, offer):
    """The models the creator's plan leaves out for this video, each with the plan that makes them (or None)."""
    models = offer.video_models(from_picture=_from_picture(gen), every=True)
    return [(m, offer.unlocking(m)) for m in models if not offer.makes(m) and not m.queue_paused]


def alternatives(gen, offer):
    """The other ways to make it the creator's plan allows now, in the catalog's order: each model
    they may use (not paused for maintenance) at its nearest length and size. Its own model is one of
    them only when its settings had to change."""
    choices = []
    for model in offer.video_models(from_picture=_from_picture(gen)):
        if model.queue_paused:
            continue
        duration, size = offer.nearest(model, gen.duration, gen.size)
        if duration is None:
            continue
        if model.pk == gen.model_id and (duration, size) == (gen.duration, gen.size):
            continue  # the same video: not another way
        changed = []
        if duration != gen.duration:
            changed.append(f"{duration} s instead of {gen.duration} s")
        if size != gen.size:
            changed.append(f"{label(size)} instead of {label(gen.size)}")
        choices.append(Choice(model, duration, size, model.price(duration, size), gen.cost, changed))
    return choices
