"""What a creator's plan lets them make: checked on the server for every request, whatever the form showed."""

from accounts.models import Plan


class Refused(Exception):
    """Why the studio will not start something, in plain words for the creator."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class PlanLimit(Refused):
    pass


def plan_for(user):
    """The creator's plan: their own, else the default one. None when no plans exist at all."""
    if getattr(user, "plan_id", None):
        return user.plan
    return Plan.default()


def is_hd(size):
    try:
        return max(int(side) for side in size.split("x")) > 1280
    except ValueError:
        return False


def allowed_model_ids(plan):
    """The catalog ids the plan may use, or None for every model."""
    if plan is None:
        return None
    ids = set(plan.allowed_models.values_list("pk", flat=True))
    return ids or None


def allowed_durations(plan, model):
    if plan is None or plan.max_duration is None:
        return list(model.durations)
    return [d for d in model.durations if d <= plan.max_duration]


def allowed_sizes(plan, model):
    if plan is None or plan.allow_hd:
        return list(model.sizes)
    return [s for s in model.sizes if not is_hd(s)]


def check_model(user, model):
    """Raises PlanLimit when the creator's plan does not include this model (a video or an image model)."""
    plan = plan_for(user)
    ids = allowed_model_ids(plan)
    if ids is not None and model.pk not in ids:
        names = list(plan.allowed_models.filter(kind=model.kind).values_list("name", flat=True))
        if not names:
            raise PlanLimit(f"{model.name} is not part of your {plan.name} plan. Ask the studio team about a plan "
                            "with more models.")
        pick = f"Pick {names[0]}" if len(names) == 1 else "Pick one of those"
        raise PlanLimit(
            f"{model.name} is not part of your {plan.name} plan, which includes {_and(names)}. "
            f"{pick}, or ask the studio team about a plan with more models."
        )


def check_request(user, model, duration, size):
    """Raises PlanLimit when the creator's plan does not include this model, length or size."""
    plan = plan_for(user)
    if plan is None:
        return
    check_model(user, model)
    if plan.max_duration is not None and duration > plan.max_duration:
        raise PlanLimit(
            f"Your {plan.name} plan makes videos of up to {plan.max_duration} seconds. Pick a shorter length."
        )
    if not plan.allow_hd and is_hd(size):
        raise PlanLimit(f"Your {plan.name} plan makes 720p videos. Pick a 720p shape.")


def check_running(user, running, pictures=0):
    """Raises PlanLimit when `running` videos and `pictures` picture requests in progress are already as
    many as the plan allows at once (both take one of its places)."""
    plan = plan_for(user)
    if plan is None or plan.max_running is None or running + pictures < plan.max_running:
        return
    counts = [(running, "video"), (pictures, "picture request")]
    many = [f"{n} {word}{'' if n == 1 else 's'}" for n, word in counts if n]
    raise PlanLimit(
        f"You have {_and(many)} in progress, as many as your {plan.name} plan makes at once. "
        "Wait for one to finish, then try again."
    )


def plans_in_order():
    """Every plan, cheapest first, with its models: for unlocking() over one page's options."""
    return list(Plan.objects.order_by("position", "name").prefetch_related("allowed_models"))


def unlocking(plans, model, duration=None, size=None):
    """The first of `plans` that makes this model (at this length and size), or None."""
    for plan in plans:
        ids = {m.pk for m in plan.allowed_models.all()}
        if ids and model.pk not in ids:
            continue
        if duration is not None and plan.max_duration is not None and duration > plan.max_duration:
            continue
        if size is not None and not plan.allow_hd and is_hd(size):
            continue
        return plan
    return None


# The plans the studio starts with: seeded by a migration (and the tests), then edited in admin.
PLANS = [
    dict(slug="free", name="Free", position=1, monthly_credits=100, max_duration=8, allow_hd=False, max_running=2,
         is_default=True, models=["wan", "gemini-2.5-flash-image"]),
    dict(slug="creator", name="Creator", position=2, monthly_credits=1000, max_duration=10, allow_hd=True,
         max_running=5, models=["wan", "kling", "gemini-2.5-flash-image", "gpt-image-2"]),
    dict(slug="pro", name="Pro", position=3, monthly_credits=5000, max_duration=None, allow_hd=True, max_running=10,
         models=[]),
]


def seed_plans(plan_model, catalog_model):
    """Adds the plans that are missing; leaves the ones an operator edited alone."""
    for entry in PLANS:
        fields = {k: v for k, v in entry.items() if k != "models"}
        plan, created = plan_model.objects.get_or_create(slug=entry["slug"], defaults=fields)
        if created and entry["models"]:
            plan.allowed_models.set(catalog_model.objects.filter(slug__in=entry["models"]))


def _and(names):
    names = list(names)
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)


def note(plan, offered):
    """One line for the create form when the plan leaves something out, e.g. "Your Free plan makes Wan
    videos up to 8 seconds at 720p; Veo and Kling come with other plans." Empty when it leaves out nothing."""
    if plan is None:
        return ""
    from generations.models import CatalogModel

    offered = list(offered)
    left_out = CatalogModel.objects.filter(kind=CatalogModel.VIDEO, enabled=True, text_to_video=True).exclude(
        pk__in=[m.pk for m in offered]
    )
    limits = []
    if plan.max_duration is not None:
        limits.append(f"up to {plan.max_duration} seconds")
    if not plan.allow_hd:
        limits.append("at 720p")
    if not limits and not left_out:
        return ""
    text = f"Your {plan.name} plan makes {_and(m.name for m in offered)} videos"
    text += f" {' '.join(limits)}" if limits else ""
    if left_out:
        text += f"; {_and(m.name for m in left_out)} {'comes' if len(left_out) == 1 else 'come'} with other plans"
    return text + "."


def describe(plan):
    """What a plan gives, in a few words: ["100 credits each month", "Wan and Nano Banana", ...]."""
    if plan is None:
        return []
    from accounts.credits import words

    models = _and(m.name for m in plan.allowed_models.all()) or "Every model"
    parts = [f"{words(plan.monthly_credits)} each month" if plan.monthly_credits else "No monthly credits", models]
    parts.append(f"Videos up to {plan.max_duration} seconds" if plan.max_duration else "Any length")
    parts.append("Up to 1080p" if plan.allow_hd else "720p")
    if plan.max_running:
        parts.append("1 video at a time" if plan.max_running == 1 else f"{plan.max_running} videos at once")
    else:
        parts.append("As many videos at once as you like")
    return parts
