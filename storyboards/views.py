"""Storyboards: the creator's boards, one board's shots in order, making them, shaping them, exporting them.

Every action is a plain form POST (CSRF) on a board looked up by its owner (someone else's is not found).
A change answers with a redirect back to the board; a refusal renders the board again with the words
beside the button that caused it and the form as it was sent (409). The board's one poller swaps in the
shot cards whose takes changed, the Make section and the exports (storyboards.boards does the work).
"""

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts import credits, words
from accounts.decorators import login_required_htmx
from accounts.offer import offer_for
from accounts.plans import Refused
from catalog.sizes import label as size_label
from generations import updates
from generations.models import Generation, Picture, Shot, Storyboard, StoryboardExport
from lib.ids import parse_uuid
from storyboards import boards as storyboards

MAX_PROMPT = 2000
LISTED = 100
PICTURES = 60
EXPORTS_SHOWN = 10


def _board(request, pk):
    """Every lookup goes through here: someone else's storyboard is simply not found."""
    return get_object_or_404(Storyboard, pk=pk, user=request.user)


def _shot(board, shot_pk):
    return get_object_or_404(Shot.objects.select_related("model"), pk=shot_pk, storyboard=board)


def _shape(board):
    return dict(Storyboard.SHAPES).get(board.size) or size_label(board.size)


def _float(value, default=None):
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        return default
    return number if number == number and abs(number) != float("inf") else default


# The list, and a new board


@require_GET
@login_required_htmx
def storyboard_list(request):
    return render(request, "storyboards/list.html", _list_context(request))


def _list_context(request, **extra):
    boards = list(Storyboard.objects.filter(user=request.user).order_by("-updated_at")[:LISTED])
    latest = {}
    for export in StoryboardExport.objects.filter(storyboard__in=boards).order_by("storyboard", "-version"):
        latest.setdefault(export.storyboard_id, export)
    counts = {}
    for shot in Shot.objects.filter(storyboard__in=boards).values_list("storyboard", flat=True):
        counts[shot] = counts.get(shot, 0) + 1
    for board in boards:
        board.shape = _shape(board)
        board.shot_count = counts.get(board.pk, 0)
        board.last_export = latest.get(board.pk)
    return {"boards": boards, "shapes": Storyboard.SHAPES, "asked": {}, **extra}


@require_POST
@login_required_htmx
def storyboard_new(request):
    title = " ".join(request.POST.get("title", "").split())
    size = request.POST.get("size", "")
    error = _title_error(title)
    if not error and size not in dict(Storyboard.SHAPES):
        error = "Pick one of the four shapes."
    cap = settings.STORYBOARDS_PER_ACCOUNT
    if not error and Storyboard.objects.filter(user=request.user).count() >= cap:
        error = f"You have {cap} storyboards, the most an account may keep. Delete one you no longer need first."
    if error:
        context = _list_context(request, error=error, asked=request.POST)
        return render(request, "storyboards/list.html", context, status=409)
    board = Storyboard.objects.create(user=request.user, title=title, size=size)
    return redirect("storyboard", pk=board.pk)


def _title_error(title):
    if not title:
        return "Give the storyboard a title: a few words are enough."
    if len(title) > 80:
        return "Keep the title under 80 characters."
    return ""


# The board


@require_POST
@login_required_htmx
def board_rename(request, pk):
    board = _board(request, pk)
    title = " ".join(request.POST.get("title", "").split())
    if error := _title_error(title):
        return _refused(request, board, "rename", error)
    Storyboard.objects.filter(pk=board.pk).update(title=title, updated_at=timezone.now())
    return _back(board)


@require_POST
@login_required_htmx
def board_delete(request, pk):
    """The board goes, while none of its shots is being made; its takes and exports stay in the library."""
    board = _board(request, pk)
    with transaction.atomic():
        board = Storyboard.objects.select_for_update().get(pk=board.pk)
        if Generation.objects.filter(shot__storyboard=board, status__in=Generation.ACTIVE).exists():
            return _refused(
                request, board, "rename", "Some of its shots are being made: delete it once they are finished."
            )
        board.delete()
    messages.success(request, f"“{board.title}” is deleted. Its videos stay in your library.")
    return redirect("storyboard_list")


@require_GET
@login_required_htmx
def storyboard(request, pk):
    board = _board(request, pk)
    return _render_board(request, board, updates.seen_token(request))


def _render_board(request, board, seen="", status=200, errors=None, asked=None):
    context = _board_context(request, board, seen)
    errors, asked = errors or {}, asked or {}
    for shot in context["shots"]:  # a shot's own words ("retake-12" is the Re-take of shot 12) on its card
        shot.errors = {k.rpartition("-")[0]: v for k, v in errors.items() if k.endswith(f"-{shot.pk}")}
        if errors.get("ask") == f"retake-{shot.pk}":
            shot.errors["ask"] = True
        shot.asked = asked if f"cut-{shot.pk}" in errors else {}
    context.update(errors=errors, asked=asked)
    return render(request, "storyboards/storyboard.html", context, status=status)


def _refused(request, board, place, message, asked=None):
    """The board again, the words beside the button at `place`, what was sent kept."""
    return _render_board(request, board, status=409, errors={place: message}, asked=asked)


def _board_context(request, board, seen=""):
    """The board as the creator sees it: each shot with its number, start, current take and takes; what
    Make would make and cost; the exports. Read with the poller's token taken first."""
    user = request.user
    shots, takes, making = storyboards.to_make(board)
    numbers = {}
    for number, shot in enumerate(shots, start=1):
        shot.number = number
        for take in takes.get(shot.pk, []):
            numbers[take.pk] = number
    for shot in shots:
        _dress_shot(board, shot, takes, numbers, user)
        shot.problem = ""
        if shot in making:
            try:
                storyboards.check_shot(user, board, shot, first=shot.number == 1)
            except storyboards.ShotRefused as refusal:
                shot.problem = str(refusal)
            except Refused as refusal:
                shot.problem = words.refusal(refusal, user)
    exports = list(board.exports.select_related("video")[:EXPORTS_SHOWN])
    return {
        "board": board,
        "shape": _shape(board),
        "shots": shots,
        "make": _make_plan(user, board, shots, making),
        "exports": exports,
        "playing": next((e for e in exports if e.status == StoryboardExport.Status.READY and e.video_id), None),
        "poller": _poller(board, shots, exports, seen=seen),
        "add": _add_choices(user, board, shots, takes),
        "transitions": Shot.Transition.choices,
        "max_trim": storyboards.MAX_TRIM,
    }


def _dress_shot(board, shot, takes, numbers, user):
    own = takes.get(shot.pk, [])
    shot.take_list = own
    shot.current = storyboards.current_take(shot, takes)
    shot.active = any(t.is_active for t in own)
    shot.ready_takes = [t for t in own if t.is_completed]
    shot.retake_cost = shot.model.price(shot.duration, board.size)
    shot.start_words = _start_words(shot)
    for take in own:
        take.before_number = numbers.get(take.after_id)
    shot.latest = own[0] if own else None  # a failed take says what happened when nothing stands for the shot
    current = shot.current
    shot.waits_for = current.before_number if current is not None and current.is_waiting else None


def _start_words(shot):
    if shot.start == Shot.Start.CONTINUE:
        at = f", frame at {shot.frame_at:g} s" if shot.frame_at is not None else ", its last frame"
        return f"Continues from the previous shot{at}"
    if shot.start == Shot.Start.PICTURE:
        return f"From a picture: {shot.picture.name}" if shot.picture else "From a picture (none chosen)"
    return "From the prompt alone"


def _make_plan(user, board, shots, making):
    """What "Make" would do, before the click: how many shots, their cost and the balance after them."""
    total = storyboards.cost_of(board, making)
    balance = credits.balance_of(user)
    made_some = any(getattr(s, "current", None) is not None for s in shots)
    on_the_way = any(getattr(s, "active", False) for s in shots)
    return {
        "shots": making,
        "count": len(making),
        "total": total,
        "balance": balance,
        "balance_after": balance - total,
        "not_enough": _not_enough(user, len(making), total, balance) if making and balance < total else "",
        "label": "Make the rest" if made_some and making else f"Make {_shots(len(making))}",
        "on_the_way": on_the_way,
        "budget_warning": words.budget_warning(user, total, subject=_what(len(making)))
        if making and balance >= total
        else "",
    }


def _not_enough(user, count, total, balance):
    return (
        f"{'This shot costs' if count == 1 else f'These {count} shots cost'} {words.amount(total)} "
        f"and you have {words.amount(balance)}. {words.what_to_do(user)}"
    )


def _what(count):
    return "This shot" if count == 1 else f"These {count} shots"


def _shots(n):
    return f"{n} shot{'' if n == 1 else 's'}"


def _add_choices(user, board, shots, takes=None):
    """What the Add a shot form offers: the video models the creator's plan makes, each with its lengths,
    and (given the board's `takes`) the last shot's ready take, to pick a frame of on a scrubber."""
    offer = offer_for(user)
    models = {m.pk: m for m in offer.video_models() + offer.video_models(from_picture=True)}
    models = sorted(models.values(), key=lambda m: (m.position, m.name))
    for model in models:
        model.offered_durations = [d for d in offer.durations(model) if d in model.durations]
    lengths = sorted({d for m in models for d in m.offered_durations})
    last = shots[-1] if shots else None
    previous = storyboards.current_take(last, takes) if last and takes is not None else None
    return {
        "previous": previous if previous is not None and previous.is_completed else None,
        "models": models,
        "lengths": lengths,
        "model": last.model.slug if last else (models[0].slug if models else ""),
        "length": last.duration if last else 5,
        "pictures": list(Picture.objects.for_user(user).order_by("-created_at")[:PICTURES]),
        "starts": Shot.Start.choices,
        "first": not shots,
    }


# The poller


def _export_mark(exports):
    return ",".join(f"{e.version}:{e.status}" for e in exports)


def _poller(board, shots, exports, since=None, seen=""):
    exporting = any(e.status == StoryboardExport.Status.MAKING for e in exports)
    # An export ends without touching a video of the creator's when it fails: while one is being made
    # the poller asks the database each time, rather than trusting the change mark.
    poller = updates.group_poller(
        reverse("storyboard_poll", args=[board.pk]),
        exporting or any(s.active for s in shots),
        since,
        "" if exporting else seen,
    )
    return {**poller, "exports": _export_mark(exports)}


@require_GET
def storyboard_poll(request, pk):
    """The board's one poller: 204 while nothing of the creator's changed (decided from the cache, as
    the dashboard's is), else the shot cards whose takes changed, the Make section and the exports."""
    return updates.answer_poll(request, _changed, pk)


@login_required_htmx
def _changed(request, pk):
    board = _board(request, pk)
    seen, since = updates.look(request)
    context = _board_context(request, board, seen)
    takes, since = updates.changed_among([t for s in context["shots"] for t in s.take_list], since)
    changed = [s for s in context["shots"] if any(t in takes for t in s.take_list)]
    exports_changed = _export_mark(context["exports"]) != request.GET.get("exports", "")
    poller = _poller(board, context["shots"], context["exports"], since, seen)
    if not changed and not exports_changed and updates.seen_already(request, poller["seen"]):
        return HttpResponse(status=204)
    context["poller"] = poller
    context.update(changed=changed, exports_changed=exports_changed, errors={}, asked={})
    return render(request, "storyboards/poll.html", context)


# Shots: adding, making, shaping


def _back(board, anchor=""):
    return redirect(reverse("storyboard", args=[board.pk]) + (f"#{anchor}" if anchor else ""))


@require_POST
@login_required_htmx
def shot_add(request, pk):
    board = _board(request, pk)
    data, user = request.POST, request.user
    prompt = " ".join(data.get("prompt", "").split())
    add = _add_choices(user, board, list(board.shots.all()))
    model = next((m for m in add["models"] if m.slug == data.get("model")), None)
    duration = int(_float(data.get("duration"), 0) or 0)
    start = data.get("start", Shot.Start.TEXT)
    picture = None
    if start == Shot.Start.PICTURE:
        picture = Picture.objects.for_user(user).filter(pk=parse_uuid(data.get("picture"))).first()
    frame_at = _float(data.get("frame_at")) if data.get("frame_at", "").strip() else None
    error = ""
    if not prompt:
        error = "Describe the shot: a few words are enough."
    elif len(prompt) > MAX_PROMPT:
        error = f"That prompt is too long: keep it under {MAX_PROMPT:,} characters."
    elif model is None:
        error = "Pick one of the models your plan offers."
    elif duration not in model.offered_durations:
        lengths = ", ".join(str(d) for d in model.offered_durations)
        error = f"{model.name} makes {lengths} seconds on your plan. Pick one of those lengths."
    elif start not in Shot.Start.values:
        error = "Choose how the shot starts."
    else:  # the rules Make applies, said now: a first shot that continues, no picture, a model that cannot
        shot = Shot(storyboard=board, prompt=prompt, model=model, duration=duration, start=start, picture=picture)
        try:
            storyboards.check_shot(user, board, shot, first=add["first"])
        except storyboards.ShotRefused as refusal:
            error = str(refusal)
        except Refused as refusal:
            error = words.refusal(refusal, user)
    if not error and start == Shot.Start.CONTINUE and data.get("frame_at", "").strip():
        before = board.shots.last()
        if frame_at is None or frame_at < 0:
            error = "The frame to continue from is a number of seconds, 0 or more (empty for the last frame)."
        elif before is not None and frame_at > before.duration:
            error = f"The shot before is {before.duration} seconds long: pick a frame within it, or leave it empty."
    if not error:
        try:
            storyboards.add_shot(
                board,
                prompt=prompt,
                model=model,
                duration=duration,
                start=start,
                picture=picture,
                frame_at=frame_at if start == Shot.Start.CONTINUE else None,
            )
        except storyboards.ShotRefused as refusal:
            error = str(refusal)
    if error:
        return _refused(request, board, "add", error, asked=data)
    return _back(board, "add-shot")


@require_POST
@login_required_htmx
def board_make(request, pk):
    """The one confirmation: every shot not made yet held in one transaction, or none."""
    board = _board(request, pk)
    shots, takes, making = storyboards.to_make(board)
    if not making and any(t.is_active for own in takes.values() for t in own):
        return _back(board, "make")  # a second click while the first's takes are on their way
    return _make(request, board, "make", confirm=request.POST.get("confirm_budget") == "1")


@require_POST
@login_required_htmx
def shot_retake(request, pk, shot_pk):
    """One more take of one shot (its previous takes stay; one is chosen for the export)."""
    board = _board(request, pk)
    shot = _shot(board, shot_pk)
    return _make(request, board, f"retake-{shot.pk}", only=shot, confirm=request.POST.get("confirm_budget") == "1")


def _make(request, board, place, only=None, confirm=False):
    user = request.user
    try:
        storyboards.make(user, board, only=only, confirm_budget=confirm)
    except storyboards.ShotRefused as refusal:
        return _refused(request, board, place, str(refusal))
    except credits.NotEnoughCredits as short:
        making = [only] if only is not None else storyboards.to_make(board)[2]
        return _refused(
            request, board, place, _not_enough(user, len(making), short.facts["cost"], short.facts["balance"])
        )
    except credits.OverBudget as question:
        count = 1 if only is not None else len(storyboards.to_make(board)[2])
        ask = (
            words.over_budget(question.facts, _what(count))
            + " Make it anyway, or change your budget on your usage page."
        )
        return _render_board(request, board, status=409, errors={place: ask, "ask": place})
    except Refused as refusal:  # credits.Refused and the plan's PlanLimit
        return _refused(request, board, place, words.refusal(refusal, user))
    return _back(board, place if only is None else f"shot-{only.pk}")


@require_POST
@login_required_htmx
def shot_move(request, pk, shot_pk):
    board = _board(request, pk)
    shot = _shot(board, shot_pk)
    offset = {"up": -1, "down": 1}.get(request.POST.get("steps", ""), 0)
    if offset:
        storyboards.move_shot(board, shot, offset)
    return _back(board, f"shot-{shot.pk}")


@require_POST
@login_required_htmx
def board_order(request, pk):
    """The shots in a new order, from a drag (ids in order; ids not of this board are ignored)."""
    board = _board(request, pk)
    storyboards.put_in_order(board, request.POST.getlist("ids"))
    return _back(board, "shots")


@require_POST
@login_required_htmx
def shot_choose(request, pk, shot_pk):
    board = _board(request, pk)
    shot = _shot(board, shot_pk)
    take = Generation.objects.filter(pk=parse_uuid(request.POST.get("take")), user=request.user, shot=shot).first()
    if take is None:
        return _refused(request, board, f"takes-{shot.pk}", "Choose one of this shot's ready takes.")
    try:
        storyboards.choose(shot, take)
    except storyboards.ShotRefused as refusal:
        return _refused(request, board, f"takes-{shot.pk}", str(refusal))
    return _back(board, f"shot-{shot.pk}")


@require_POST
@login_required_htmx
def shot_cut(request, pk, shot_pk):
    """How the shot is cut into the piece: seconds off its head and tail, and the transition into it."""
    board = _board(request, pk)
    shot = _shot(board, shot_pk)
    data = request.POST
    head, tail = _float(data.get("trim_head") or 0), _float(data.get("trim_tail") or 0)
    transition = data.get("transition", shot.transition)
    limit = storyboards.MAX_TRIM
    error = ""
    if head is None or tail is None or not (0 <= head <= limit and 0 <= tail <= limit):
        error = f"Trim a number of seconds from 0 to {limit:g}, for the start and for the end."
    elif transition not in Shot.Transition.values:
        error = "Choose Cut or Crossfade."
    else:
        length = shot.chosen.video_seconds if shot.chosen and shot.chosen.video_seconds else shot.duration
        if head + tail >= length - 0.2:
            error = f"That trims the whole shot away: it is {length:g} seconds long. Trim less of it."
    if error:
        return _refused(request, board, f"cut-{shot.pk}", error, asked=data)
    Shot.objects.filter(pk=shot.pk).update(trim_head=round(head, 2), trim_tail=round(tail, 2), transition=transition)
    Storyboard.objects.filter(pk=board.pk).update(updated_at=timezone.now())
    return _back(board, f"shot-{shot.pk}")


@require_POST
@login_required_htmx
def shot_delete(request, pk, shot_pk):
    """A shot goes, while none of its takes is being made; its takes stay in the library."""
    board = _board(request, pk)
    shot = _shot(board, shot_pk)
    if shot.takes.filter(status__in=Generation.ACTIVE).exists():
        return _refused(
            request, board, f"delete-{shot.pk}", "A take of this shot is being made: delete it once it is finished."
        )
    shot.delete()
    storyboards.put_in_order(board, [])  # the others numbered from 1 again
    return _back(board, "shots")


# Exporting


@require_POST
@login_required_htmx
def board_export(request, pk):
    board = _board(request, pk)
    try:
        storyboards.request_export(request.user, board)
    except storyboards.ShotRefused as refusal:
        return _refused(request, board, "export", str(refusal))
    return _back(board, "export")
