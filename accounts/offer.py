"""What a creator may make: the models, lengths and sizes their plan allows, with prices, and for what it
leaves out, the plan that has it. The one answer for the create form, the wizard, the API and the
server-side check (check() before anything is held)."""

from decimal import Decimal

from accounts.models import Plan, User
from accounts.plans import PlanLimit, plan_for, plans_in_order
from catalog.models import CatalogModel
from catalog.sizes import VideoSize, is_hd


def offer_for(user: User) -> "Offer":
    return Offer(plan_for(user))


class Offer:
    def __init__(self, plan: Plan | None) -> None:
        self.plan = plan  # None when no plans exist at all: everything is offered
        self._ids: set[int] | None = None
        self._plans: list[Plan] | None = None

    # The catalog, as the plan sees it

    def lists_models(self) -> bool:
        """Whether the plan names its models (else it has every model)."""
        return bool(self._listed())

    def includes(self, model: CatalogModel) -> bool:
        """Whether the plan includes this model (an empty model list means every model)."""
        listed = self._listed()
        return not listed or model.pk in listed

    def _listed(self) -> set[int]:
        """The ids of the models the plan names (read once); none when it names none."""
        if self._ids is None:
            self._ids = set() if self.plan is None else {m.pk for m in self.plan.allowed_models.all()}
        return self._ids

    def durations(self, model: CatalogModel) -> list[int]:
        """The lengths of this model the plan makes."""
        if self.plan is None or self.plan.max_duration is None:
            return list(model.durations)
        return [d for d in model.durations if d <= self.plan.max_duration]

    def sizes(self, model: CatalogModel) -> list[str]:
        """The sizes of this model the plan makes."""
        if self.plan is None or self.plan.allow_hd:
            return list(model.sizes)
        return [s for s in model.sizes if not is_hd(s)]

    def makes(self, model: CatalogModel) -> bool:
        """Whether the plan makes anything with this model: included, and (for video) a length and a size."""
        if not self.includes(model):
            return False
        return model.kind == CatalogModel.Kind.IMAGE or bool(self.durations(model) and self.sizes(model))

    def video_models(self, from_picture: bool = False, every: bool = False) -> list[CatalogModel]:
        """The enabled video models that start from text (or animate a picture) that the plan makes; `every`:
        all of them, locked ones too."""
        start = {"image_to_video" if from_picture else "text_to_video": True}
        models = CatalogModel.objects.filter(kind=CatalogModel.Kind.VIDEO, enabled=True, **start)
        return list(models) if every else [m for m in models if self.makes(m)]

    def image_models(self, every: bool = False) -> list[CatalogModel]:
        models = CatalogModel.objects.filter(kind=CatalogModel.Kind.IMAGE, enabled=True)
        return list(models) if every else [m for m in models if self.makes(m)]

    def nearest(self, model: CatalogModel, duration: int, size: str) -> tuple[int, str] | tuple[None, None]:
        """The length and size of this model the plan makes that are nearest the ones asked for
        (nearest_duration, nearest_size). (None, None) when it makes nothing of the model."""
        near_duration = nearest_duration(self.durations(model), duration)
        near_size = nearest_size(self.sizes(model), size)
        if near_duration is None or near_size is None:
            return None, None
        return near_duration, near_size

    def cost(self, model: CatalogModel, duration: int, size: str) -> Decimal | None:
        """The price of this video when the plan makes it, else None."""
        if duration in self.durations(model) and size in self.sizes(model) and self.includes(model):
            return model.price(duration, size)
        return None

    # What the plan leaves out

    def unlocking(self, model: CatalogModel, duration: int | None = None, size: str | None = None) -> Plan | None:
        """The first plan, cheapest first, that makes this model (at this length and size), or None. Reads the
        plans once, and only when something is locked."""
        if self._plans is None:
            self._plans = plans_in_order()
        for plan in self._plans:
            if not Offer(plan).includes(model):
                continue
            if duration is not None and plan.max_duration is not None and duration > plan.max_duration:
                continue
            if size is not None and not plan.allow_hd and is_hd(size):
                continue
            return plan
        return None

    # The server-side check

    def check(self, model: CatalogModel, duration: int | None = None, size: str | None = None) -> None:
        """Raises PlanLimit when the plan does not include this model, or this length or size of it."""
        plan = self.plan
        if plan is None:
            return
        if not self.includes(model):
            same_kind = [m.name for m in plan.allowed_models.all() if m.kind == model.kind]
            raise PlanLimit("model", plan=plan.name, model=model.name, included=same_kind)
        if duration is not None and plan.max_duration is not None and duration > plan.max_duration:
            raise PlanLimit("duration", plan=plan.name, max_duration=plan.max_duration)
        if size is not None and not plan.allow_hd and is_hd(size):
            raise PlanLimit("hd", plan=plan.name)


def nearest_duration(durations: list[int], wanted: int) -> int | None:
    """The length of `durations` nearest the one wanted: the shorter of two as near. None when there is none."""
    return min(durations, key=lambda d: (abs(d - wanted), d)) if durations else None


def nearest_size(sizes: list[str], wanted: str) -> str | None:
    """The size wanted when `sizes` has it, else the one of the same shape nearest in pixels (else of the
    other shape). None when there is none."""
    if not sizes:
        return None
    if wanted in sizes:
        return wanted
    asked = VideoSize.parse(wanted)

    def distance(candidate: str) -> tuple[bool, int]:
        other = VideoSize.parse(candidate)
        return other.is_portrait != asked.is_portrait, abs(other.width * other.height - asked.width * asked.height)

    return min(sizes, key=distance)
