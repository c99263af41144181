"""A creator's plan: which one they are on, and how many things it lets run at once. What it lets them
make (models, lengths, sizes) is accounts.offer; the words for creators are accounts.words."""

from typing import Any

from accounts.models import Plan, User


class Refused(Exception):
    """Why the studio will not start something: a reason and the numbers behind it, nothing in words
    (accounts.words.refusal says it to the creator). Nothing was made or held."""

    def __init__(self, reason: str, **facts: Any) -> None:
        super().__init__(reason, facts)
        self.reason = reason
        self.facts = facts


class PlanLimit(Refused):
    """The creator's plan leaves it out: reason "model", "duration", "hd" (accounts.offer) or "running"."""


def plan_for(user: User) -> Plan | None:
    """The creator's plan: their own, else the default one. None when no plans exist at all."""
    if getattr(user, "plan_id", None):
        return user.plan
    return Plan.default()


def places_left(plan: Plan | None, taken: int) -> int | None:
    """How many more things the plan lets run at once with `taken` of its places taken; None when it sets
    no limit. generations.models.places_taken says what takes a place."""
    if plan is None or plan.max_running is None:
        return None
    return max(plan.max_running - taken, 0)


def check_running(user: User, running: int, pictures: int = 0) -> None:
    """Raises PlanLimit when `running` videos and `pictures` picture requests in progress are already as
    many as the plan allows at once (both take one of its places)."""
    plan = plan_for(user)
    if plan is None or places_left(plan, running + pictures) != 0:
        return
    raise PlanLimit("running", plan=plan.name, running=running, pictures=pictures)


def plans_in_order() -> list[Plan]:
    """Every plan, cheapest first, with its models."""
    return list(Plan.objects.order_by("position", "name").prefetch_related("allowed_models"))


# The plans the studio starts with: seeded by a migration (and the tests), then edited in admin.
PLANS = [
    dict(
        slug="free",
        name="Free",
        position=1,
        monthly_credits=100,
        max_duration=8,
        allow_hd=False,
        max_running=2,
        is_default=True,
        models=["wan", "gemini-2.5-flash-image"],
    ),
    dict(
        slug="creator",
        name="Creator",
        position=2,
        monthly_credits=1000,
        max_duration=10,
        allow_hd=True,
        max_running=5,
        models=["wan", "kling", "gemini-2.5-flash-image", "gpt-image-2"],
    ),
    dict(
        slug="pro",
        name="Pro",
        position=3,
        monthly_credits=5000,
        max_duration=None,
        allow_hd=True,
        max_running=10,
        models=[],
    ),
]


def seed_plans(plan_model: Any, catalog_model: Any) -> None:
    # The migration's historical models: classes made at run time, of no type mypy knows.
    """Adds the plans that are missing; leaves the ones an operator edited alone."""
    for entry in PLANS:
        fields = {k: v for k, v in entry.items() if k != "models"}
        plan, created = plan_model.objects.get_or_create(slug=entry["slug"], defaults=fields)
        if created and entry["models"]:
            plan.allowed_models.set(catalog_model.objects.filter(slug__in=entry["models"]))
