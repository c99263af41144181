"""Try again and switch model.

A failed (or canceled) video's "Try again" shows its settings and the cost, and one confirmation asks
for it afresh: the same prompt, model, length, shape, style, camera and picture. When its model is not
available to its creator now (off, not in their plan, paused), the page offers each model they may use,
at the nearest length and shape, with the price difference. A waiting video whose model became
unavailable gets the same choice ("Switch model"), which edits it in the queue and moves its hold.

Scoped to the owner (someone else's video is not found); refusals are said next to the button pressed.
"""

import uuid

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts import credits, words
from accounts.decorators import login_required_htmx
from accounts.offer import offer_for
from accounts.plans import PlanLimit
from catalog import presets
from generations import queue, switching
from generations.starting import start_again
from generations.views import get_generation_for_user
from lib.ids import parse_uuid

NOT_WAITING = "A worker has already started this video, so it can no longer be changed."
PICTURE_GONE = "The picture it started from has been deleted, so it cannot be made again the same way."


def _labels(gen):
    """The names of its style and camera, as the create form offers them."""
    style = presets.STYLES.get(gen.style, (gen.style,))[0]
    camera = presets.CAMERAS.get(gen.camera, (gen.camera,))[0]
    return {"style_label": style, "camera_label": camera}


def _chosen(request, gen, same, choices):
    """The settings a confirmation names: the video's own (when allowed) or one of the choices offered."""
    key = request.POST.get("choice", "")
    if same is not None and key == same.key:
        return same
    return next((choice for choice in choices if choice.key == key), None)


def _retry_context(request, gen, **extra):
    offer = offer_for(request.user)
    why = switching.unavailable(gen, offer)
    picture_gone = gen.start == gen.Start.IMAGE and gen.input_picture_id is None
    same = None
    if not picture_gone and (why is None or not why.blocks):
        same = switching.Choice(gen.model, gen.duration, gen.size, gen.model.price(gen.duration, gen.size), gen.cost)
    choices = [] if picture_gone else switching.alternatives(gen, offer)
    balance = credits.balance_of(request.user)
    rows = [_row(same, balance, "Try again", same=True)] if same else []
    rows += [_row(choice, balance, f"Make it with {choice.model.name}") for choice in choices]
    if rows:
        rows[0]["primary"] = True  # the same video, or else the first other way
    return {
        "gen": gen,
        "why": why,
        "locked": [] if picture_gone else switching.locked_models(gen, offer),
        "picture_gone": PICTURE_GONE if picture_gone else "",
        "same": same,
        "choices": choices,
        "rows": rows,
        "balance": balance,
        "client_token": parse_uuid(request.POST.get("client_token")) or uuid.uuid4(),
        **_labels(gen),
        **extra,
    }


def _row(choice, balance, label, same=False, returned=0):
    """One confirmation on the page: its settings, the balance after it (with what comes back first)."""
    return {
        "choice": choice,
        "label": label,
        "same": same,
        "primary": same,
        "after": balance + returned - choice.cost,
        "id": choice.key.replace(":", "-"),
    }


def _asked(context, key):
    """Marks the row whose button was pressed, so its refusal is said next to it."""
    for row in context["rows"]:
        row["asked"] = row["choice"].key == key
    context["asked"] = key


@require_http_methods(["GET", "POST"])
@login_required_htmx
def retry(request, pk):
    gen = get_generation_for_user(request, pk)
    if gen.is_active:
        return redirect(reverse("dashboard") + f"#generation-{gen.pk}")
    if not gen.is_failed:  # a finished video is made again from the create form
        return redirect(reverse("dashboard") + f"?again={gen.pk}")
    context = _retry_context(request, gen)
    if request.method == "GET":
        return render(request, "generations/retry.html", context)
    chosen = _chosen(request, gen, context["same"], context["choices"])
    if chosen is None:
        context["problem"] = "That choice is not on offer any more. Pick one of these."
        return render(request, "generations/retry.html", context)
    try:
        new, _ = start_again(
            request.user,
            gen,
            model=chosen.model,
            duration=chosen.duration,
            size=chosen.size,
            client_token=parse_uuid(request.POST.get("client_token")),
            confirm_budget=request.POST.get("confirm_budget") == "1",
        )
    except credits.OverBudget as question:
        _asked(context, chosen.key)
        context["budget_question"] = words.refusal(question, request.user)
        return render(request, "generations/retry.html", context)
    except credits.Refused as refusal:
        _asked(context, chosen.key)
        context.update(problem=words.refusal(refusal, request.user), upgrade=isinstance(refusal, PlanLimit))
        return render(request, "generations/retry.html", context)
    messages.success(request, f"Asked for again with {chosen.model.name}: {words.amount(new.cost)} set aside for it.")
    return redirect(reverse("dashboard") + f"#generation-{new.pk}")


@require_http_methods(["GET", "POST"])
@login_required_htmx
def switch(request, pk):
    """Another model for a waiting video (its own is off, paused, or no longer in the creator's plan)."""
    gen = get_generation_for_user(request, pk)
    if not gen.is_waiting:
        messages.error(request, NOT_WAITING)
        return redirect(reverse("dashboard") + f"#generation-{gen.pk}")
    offer = offer_for(request.user)
    choices, balance = switching.alternatives(gen, offer), credits.balance_of(request.user)
    context = {
        "gen": gen,
        "why": switching.unavailable(gen, offer),
        "locked": switching.locked_models(gen, offer),
        "choices": choices,
        "rows": [_row(c, balance, f"Switch to {c.model.name}", returned=gen.cost) for c in choices],
        "balance": balance,
        **_labels(gen),
    }
    if context["rows"]:
        context["rows"][0]["primary"] = True
    if request.method == "GET":
        return render(request, "generations/switch.html", context)
    chosen = _chosen(request, gen, None, context["choices"])
    if chosen is None:
        context["problem"] = "That choice is not on offer any more. Pick one of these."
        return render(request, "generations/switch.html", context)
    try:
        edited = queue.edit(
            request.user, gen.pk, model=chosen.model, prompt=gen.prompt, duration=chosen.duration, size=chosen.size
        )
    except queue.NotWaiting:
        messages.error(request, NOT_WAITING)
        return redirect(reverse("dashboard") + f"#generation-{gen.pk}")
    except credits.Refused as refusal:
        _asked(context, chosen.key)
        context.update(problem=words.refusal(refusal, request.user), upgrade=isinstance(refusal, PlanLimit))
        return render(request, "generations/switch.html", context)
    messages.success(
        request,
        f"Switched to {chosen.model.name}. It costs {words.amount(edited.cost)} now "
        f"({chosen.compared}), and keeps its place in your line.",
    )
    return redirect(reverse("dashboard") + f"#generation-{gen.pk}")
