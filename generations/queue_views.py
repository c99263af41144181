"""The creator's queue: what waits, in their order, and changing it before a video starts.

Every change is a POST (CSRF), scoped to the owner (someone else's video is not found), and decided in
the database by generations.queue: a video a worker has already taken answers NOT_WAITING. Each action
answers htmx with the part of the page it changed (the queue, or the dashboard's card) and a plain
form post with a redirect back.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import credits, words
from accounts.decorators import login_required_htmx
from accounts.offer import offer_for
from generations import queue, waiting
from generations.forms import EditForm
from generations.models import Generation
from generations.views import get_generation_for_user, safe_next

NOT_WAITING = "A worker has already started this video, so it can no longer be changed."


def _queue_context(request, notice=None):
    line = waiting.line(request.user)
    making = waiting.running(request.user)
    return {
        "line": line,
        "making": making,
        "queue_paused": waiting.queue_paused(request.user),
        "notice": notice,
        "poll": bool(line or making),
    }


@require_GET
@login_required_htmx
def queue_page(request):
    context = _queue_context(request)
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "generations/queue.html#queue", context)  # the page asks every few seconds
    return render(request, "generations/queue.html", context)


def _answer(request, gen, done=None, notice=None):
    """What an action answers: the queue (from the queue page), the video's card (from the dashboard),
    or, without htmx, a redirect back with the words as a message."""
    if request.htmx:
        if request.POST.get("from") == "queue":
            return render(request, "generations/queue_answer.html", _queue_context(request, notice))
        if gen is not None:
            gen = Generation.objects.select_related("model").get(pk=gen.pk)
        return render(request, "generations/queue_card.html", {"gen": gen, "notice": notice})
    if notice:
        messages.error(request, notice)
    elif done:
        messages.success(request, done)
    return redirect(safe_next(request, "queue"))


@require_POST
@login_required_htmx
def move(request, pk):
    gen = get_generation_for_user(request, pk)
    steps = {"up": -1, "down": 1, "first": -(10**6), "last": 10**6}.get(request.POST.get("steps", ""), 0)
    try:
        if steps:
            queue.move(request.user, gen.pk, steps)
    except queue.NotWaiting:
        return _answer(request, gen, notice=NOT_WAITING)
    queue.dispatch()  # the video now first in line may have a free place
    return _answer(request, gen, done="Moved.")


@require_POST
@login_required_htmx
def reorder(request):
    """The new order of the creator's waiting videos, from a drag (ids in order; others' are ignored)."""
    ids = [gen.pk for gen in queue.line_of(request.user)]
    by_text = {str(pk): pk for pk in ids}
    wanted = [by_text[value] for value in request.POST.getlist("ids") if value in by_text]
    queue.reorder(request.user, wanted)
    queue.dispatch()
    return _answer(request, None, done="Your queue is in its new order.")


@require_POST
@login_required_htmx
def pause(request, pk):
    gen = get_generation_for_user(request, pk)
    paused = request.POST.get("paused") == "1"
    try:
        queue.pause(request.user, gen.pk, paused=paused)
    except queue.NotWaiting:
        return _answer(request, gen, notice=NOT_WAITING)
    if not paused:
        queue.dispatch()  # a place may be free for it now
    return _answer(request, gen, done="Paused: it waits until you resume it." if paused else "Resumed.")


@require_POST
@login_required_htmx
def pause_all(request):
    paused = request.POST.get("paused") == "1"
    queue.pause_all(request.user, paused=paused)
    if not paused:
        queue.dispatch()
    done = "Your queue is paused: nothing new starts until you resume it." if paused else "Your queue is running again."
    return _answer(request, None, done=done)


@require_POST
@login_required_htmx
def cancel(request, pk):
    gen = get_generation_for_user(request, pk)
    try:
        queue.cancel(request.user, gen.pk)
    except queue.NotWaiting:
        return _answer(request, gen, notice=NOT_WAITING)
    return _answer(request, gen, done=f"Canceled. Its {words.amount(gen.cost)} are back in your balance.")


# Editing a waiting video


def _initial(gen):
    return {
        "prompt": gen.prompt,
        "model": gen.model.slug,
        "duration": gen.duration,
        "size": gen.size,
        "style": gen.style,
        "camera": gen.camera,
    }


def cost_change(old, new):
    """ "This costs 2 credits more: 10 instead of 8." """
    if new is None:
        return "Pick a length and a shape to see the cost."
    difference = new - old
    if difference > 0:
        return f"This costs {words.amount(difference)} more: {_number(new)} instead of {_number(old)}."
    if difference < 0:
        return f"This costs {words.amount(-difference)} less: {_number(new)} instead of {_number(old)}."
    return f"This costs the same: {words.amount(new)}."


def _number(value):
    return words.amount(value).rsplit(" ", 1)[0]


def _edit_context(request, gen, form, problem=None):
    return {
        "gen": gen,
        "form": form,
        "change": cost_change(gen.cost, form.cost()),
        "problem": problem,
        "next": safe_next(request, "queue"),
        "balance": credits.balance_of(request.user),
    }


@require_http_methods(["GET", "POST"])
@login_required_htmx
def edit(request, pk):
    gen = get_generation_for_user(request, pk)
    if not gen.is_waiting:
        messages.error(request, NOT_WAITING)
        return redirect(safe_next(request, "queue"))
    offer = offer_for(request.user)
    if request.method == "GET":
        if request.htmx and request.GET.get("model"):  # a setting changed: its choices and the cost again
            form = EditForm(gen=gen, offer=offer, initial=request.GET.dict())
            return render(request, "generations/queue_edit.html#settings", _edit_context(request, gen, form))
        form = EditForm(gen=gen, offer=offer, initial=_initial(gen))
        return render(request, "generations/queue_edit.html", _edit_context(request, gen, form))
    form = EditForm(request.POST, gen=gen, offer=offer)
    if request.POST.get("preview") or not form.is_valid():  # the page again, with the cost of the new settings
        return render(request, "generations/queue_edit.html", _edit_context(request, gen, form))
    data = form.cleaned_data
    try:
        edited = queue.edit(
            request.user,
            gen.pk,
            model=data["model"],
            prompt=data["prompt"],
            duration=data["duration"],
            size=data["size"],
            style=data["style"],
            camera=data["camera"],
        )
    except queue.NotWaiting:
        messages.error(request, NOT_WAITING)
        return redirect(safe_next(request, "queue"))
    except credits.Refused as refusal:
        problem = words.refusal(refusal, request.user)
        return render(request, "generations/queue_edit.html", _edit_context(request, gen, form, problem=problem))
    messages.success(
        request, f"Changed. It costs {words.amount(edited.cost)} now, and it keeps its place in your line."
    )
    return redirect(safe_next(request, "queue"))


# Mounted at /queue/ by studio/urls.py (include("generations.queue_views")).
