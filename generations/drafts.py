"""A wizard draft's settings: the choices it may take, filled from the draft (or the form changing it),
kept valid and within the creator's plan, with what the plan leaves out named by the plan that has it.
The wizard's settings step and a comparison started from the wizard's review both read them here."""

from accounts import words
from accounts.offer import offer_for
from catalog.sizes import VideoSize
from generations.models import Generation


def settings_for(user, draft, data=None):
    """The settings step's choices, filled from the draft (or the form being changed), kept valid and
    within the creator's plan. What the plan leaves out is listed too, disabled, with the plan that has it."""
    data = data or {}
    offer = offer_for(user)
    every = offer.video_models(from_picture=True, every=True)
    allowed = [m for m in every if offer.makes(m)]
    wanted = data.get("model") or draft.model
    model = next((m for m in allowed if m.slug == wanted), allowed[0] if allowed else None)
    if model is None:
        return None
    durations, sizes = offer.durations(model), offer.sizes(model)
    natural = draft.picture.natural_size() if draft.picture else sizes[0]
    size = data.get("size") or draft.size or natural
    if size not in sizes:
        size = natural if natural in sizes else sizes[0]
    try:
        duration = int(data.get("duration") or draft.duration or 0)
    except ValueError:
        duration = 0
    if duration not in durations:
        duration = 5 if 5 in durations else durations[0]
    changes = plan_changes(offer, every, wanted, model, data.get("duration") or draft.duration, duration)
    fit = data.get("fit") or draft.fit
    fit = fit if fit in Generation.Fit.values else Generation.Fit.CROP
    shape = VideoSize.parse(size)
    return {
        "models": [(m, "" if m in allowed else locked(offer, m)) for m in every],
        "durations": [(d, "" if d in durations else locked(offer, model, duration=d)) for d in model.durations],
        "sizes": [
            (value, label, "" if value in sizes else locked(offer, model, size=value))
            for value, label in model.size_choices()
        ],
        "model": model,
        "size": size,
        "duration": duration,
        "fit": fit,
        "portrait": shape.is_portrait,
        "cost": offer.cost(model, duration, size),
        "size_label": shape.label,
        "mismatch": draft.picture is not None and draft.picture.is_portrait != shape.is_portrait,
        "plan_changes": changes,
    }


def plan_changes(offer, every, wanted, model, wanted_duration, duration):
    """What the plan made us change of what the draft (or the form) asked for, in words: a model or a
    length it leaves out is never swapped for another silently."""
    changes = []
    locked = next((m for m in every if m.slug == wanted and m != model), None)
    if locked is not None and not offer.makes(locked):
        changes.append(f"{locked.name} {comes_with(offer, locked)}, so {model.name} is chosen.")
    try:
        wanted_duration = int(wanted_duration or 0)
    except ValueError:
        wanted_duration = 0
    if wanted_duration in model.durations and wanted_duration != duration:
        changes.append(
            f"{wanted_duration} seconds {comes_with(offer, model, duration=wanted_duration)}, "
            f"so {duration} seconds is chosen."
        )
    return changes


def comes_with(offer, model, **choice):
    plan = offer.unlocking(model, **choice)
    return f"comes with the {plan.name} plan" if plan else "is not offered on any plan"


def locked(offer, model, **choice):
    """What a choice the plan leaves out says: the plan that has it."""
    return words.locked_by(offer.unlocking(model, **choice))
