"""Starting a generation: the one way a creator's request becomes a queued row."""

from django.db import IntegrityError, transaction

from generations import tracking
from generations.models import Generation
from studio import presets


def start_generation(
    user, *, model, prompt, duration, size, style="", camera="", client_token=None, source=None,
    input_picture=None, fit="crop", full_prompt=None,
):
    """Queues a generation and hands it to the cluster once the row is committed.

    The same form token twice (a double click, a resent form) gives back the first generation.
    Returns (generation, created).
    """
    if client_token:
        existing = Generation.objects.filter(user=user, client_token=client_token).first()
        if existing:
            return existing, False
    try:
        with transaction.atomic():
            gen = Generation.objects.create(
                user=user, model=model, prompt=prompt, style=style, camera=camera,
                full_prompt=full_prompt or presets.full_prompt(prompt, style, camera), duration=duration,
                size=size, cost=model.price(duration, size), client_token=client_token, source=source,
                input_picture=input_picture, fit=fit,
                start=Generation.IMAGE if input_picture else Generation.TEXT,
            )
            tracking.enqueue("submit_generation", str(gen.pk))
    except IntegrityError:
        return Generation.objects.get(user=user, client_token=client_token), False
    return gen, True
