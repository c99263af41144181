"""Starting a generation: the one way a creator's request becomes a queued row."""

from django.db import IntegrityError, transaction

from accounts import credits, plans
from generations import tracking
from generations.models import Generation, ImageRequest
from catalog import presets


def start_generation(
    user, *, model, prompt, duration, size, style="", camera="", client_token=None, source=None,
    input_picture=None, fit="crop", full_prompt=None, confirm_budget=False,
):
    """Queues a generation, holding its cost, and hands it to the cluster once the row is committed.

    The same form token twice (a double click, a resent form) gives back the first generation.
    Returns (generation, created). Raises credits.Refused, with words for the creator and nothing
    created, when their plan, their budget (unless `confirm_budget`) or their balance does not allow it.
    """
    if client_token:
        existing = Generation.objects.filter(user=user, client_token=client_token).first()
        if existing:
            return existing, False
    try:
        with transaction.atomic():
            # The creator's account row is locked until commit, so their requests go one at a time
            # and the checks below still hold when the hold is written.
            credits.lock_account(user)
            plans.check_request(user, model, duration, size)
            plans.check_running(user, *in_progress(user))
            cost = model.price(duration, size)
            if not confirm_budget:
                credits.check_budget(user, cost)
            gen = Generation.objects.create(
                user=user, model=model, prompt=prompt, style=style, camera=camera,
                full_prompt=full_prompt or presets.full_prompt(prompt, style, camera), duration=duration,
                size=size, cost=cost, client_token=client_token, source=source,
                input_picture=input_picture, fit=fit,
                start=Generation.IMAGE if input_picture else Generation.TEXT,
            )
            credits.hold(user, cost, reference=credits.reference_for(gen), description=prompt, model=model)
            tracking.enqueue("submit_generation", str(gen.pk))
    except IntegrityError:
        return Generation.objects.get(user=user, client_token=client_token), False
    return gen, True


def in_progress(user):
    """What the creator has being made now, as their plan's "at once" counts it: (videos, picture requests)."""
    pictures = ImageRequest.objects.filter(user=user, status__in=[ImageRequest.QUEUED, ImageRequest.RUNNING])
    return Generation.objects.for_user(user).active().count(), pictures.count()
