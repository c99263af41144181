"""The image-to-video wizard: picture, motion, settings, review. Each step is its own URL and its
own HTMX-swapped panel; the draft lives on the server, so a reload, the back button or a closed
tab never loses anything."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts import credits, words
from accounts.decorators import login_required_htmx
from accounts.offer import offer_for
from accounts.plans import PlanLimit
from accounts.throttle import rate_limited
from catalog import presets
from generations import drafts, pictures
from generations.forms import MAX_PROMPT
from generations.models import Draft, Generation, Picture
from generations.starting import request_pictures, start_generation
from lib import media
from lib.ids import parse_uuid
from studio.forms import MakePicturesForm

STEPS = Draft.STEPS
TITLES = {"picture": "Picture", "motion": "Motion", "settings": "Settings", "review": "Review"}


def _get_draft(request, pk):
    return get_object_or_404(
        Draft.objects.select_related("picture", "image_request__model"),
        pk=pk,
        user=request.user,
        generation=None,
    )


def _image_model_choices(user):
    """The image models, each with the plan that has it when the creator's does not ("" when it does)."""
    offer = offer_for(user)
    return [(m, "" if offer.includes(m) else drafts.locked(offer, m)) for m in offer.image_models(every=True)]


def _not_made(user, data, chosen):
    """Why the settings posted were not taken (the plan's words when it leaves them out), and whether
    another plan would make them."""
    offer = offer_for(user)
    model = next((m for m in offer.video_models(from_picture=True, every=True) if m.slug == data.get("model")), None)
    try:
        if model is not None:
            offer.check(model, int(data.get("duration") or 0), data.get("size") or "")
    except ValueError:
        pass
    except credits.Refused as refusal:
        return (
            f"{words.refusal(refusal, user)} We picked the closest settings your plan makes: check them and continue.",
            True,
        )
    return (
        f"{chosen['model'].name} cannot make that. We picked the closest settings it can make: check them and continue.",
        False,
    )


def _context(request, draft, **extra):
    context = {
        "draft": draft,
        "steps": [(s, TITLES[s], draft.reachable(s)) for s in STEPS],
        "step": draft.step,
        "title": TITLES[draft.step],
    }
    if draft.step == "picture":
        user = request.user
        context.update(
            pictures=Picture.objects.for_user(user)[:24],
            videos=Generation.objects.for_user(user)
            .filter(status=Generation.Status.COMPLETED)
            .select_related("model")[:12],
            image_models=_image_model_choices(user),
            image_request=draft.image_request,
            make_token=uuid.uuid4(),
        )
    elif draft.step == "motion":
        context.update(motions=[(key, label, key in draft.motions) for key, (label, _) in presets.MOTIONS.items()])
    elif draft.step in ("settings", "review"):
        context["settings"] = drafts.settings_for(request.user, draft)
        context["full_prompt"] = presets.motion_prompt(draft.prompt, draft.motions)
        if context["settings"]:
            context.update(words.cost_line(request.user, context["settings"]["cost"]))
    context.update(extra)
    return context


def _show(request, draft, status=200, **extra):
    """The step as a panel for HTMX, or as a whole page (first visit, reload, back/forward)."""
    context = _context(request, draft, **extra)
    url = reverse("wizard_step", args=[draft.pk, draft.step])
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, "studio/wizard.html#panel", context, status=status)
        response["HX-Push-Url"] = url
        return response
    return render(request, "studio/wizard.html", context, status=status)


@login_required
def start(request):
    """Resumes the creator's unfinished wizard where they left it, or opens a new one."""
    draft = Draft.objects.for_user(request.user).unfinished().first()
    if draft is None:
        draft = Draft.objects.create(user=request.user)
    return redirect("wizard_step", draft.pk, draft.step)


@require_POST
@login_required_htmx
def start_over(request):
    unfinished = Draft.objects.for_user(request.user).unfinished()
    limit = settings.DRAFTS_PER_ACCOUNT
    if unfinished.count() >= limit:
        draft = unfinished.first()
        return _show(
            request,
            draft,
            error=f"You have {limit} unfinished pictures to animate, as many as the "
            "studio keeps for one account. Carry on with this one, or make a video "
            "from it first.",
        )
    draft = Draft.objects.create(user=request.user)
    return redirect("wizard_step", draft.pk, "picture")


@login_required_htmx
def step(request, pk, step):
    draft = _get_draft(request, pk)
    if step not in STEPS:
        raise Http404("No such step.")
    if not draft.reachable(step):
        draft.step = next(s for s in reversed(STEPS) if draft.reachable(s))
        draft.save(update_fields=["step", "updated_at"])
        return redirect("wizard_step", draft.pk, draft.step)
    if request.method == "POST":
        return _save_step(request, draft, step)
    if draft.step != step:
        draft.step = step
        draft.save(update_fields=["step", "updated_at"])
    return _show(request, draft)


def _save_step(request, draft, step):
    data = request.POST
    if step == "picture":
        if draft.picture_id is None:
            return _show(request, draft, error="Choose a picture first: upload one, pick one, or make one.")
        draft.step = "motion"
    elif step == "motion":
        prompt = " ".join(data.get("prompt", "").split())
        motions = [m for m in data.getlist("motions") if m in presets.MOTIONS]
        draft.prompt, draft.motions = prompt[:MAX_PROMPT], motions
        if len(prompt) > MAX_PROMPT:
            draft.save()
            return _show(request, draft, error=f"That is too long: keep it under {MAX_PROMPT:,} characters.")
        if not prompt and not motions:
            draft.save()
            return _show(request, draft, error="Say what should happen in the clip, or pick a motion below.")
        draft.step = "settings"
    elif step == "settings":
        chosen = drafts.settings_for(request.user, draft, data)
        if chosen is None:
            return _show(request, draft, error="No model can animate pictures right now. Please try again later.")
        requested = (data.get("model"), data.get("duration"), data.get("size"))
        draft.model, draft.duration, draft.size, draft.fit = (
            chosen["model"].slug,
            chosen["duration"],
            chosen["size"],
            chosen["fit"],
        )
        if requested != (chosen["model"].slug, str(chosen["duration"]), chosen["size"]):
            draft.save()
            error, upgrade = _not_made(request.user, data, chosen)
            return _show(request, draft, error=error, upgrade=upgrade)
        draft.step = "review"
    else:
        raise Http404("The review step is sent with the Make my video button.")
    draft.save()
    if not request.htmx:
        return redirect("wizard_step", draft.pk, draft.step)
    return _show(request, draft)


@login_required_htmx
def settings_preview(request, pk):
    """The settings panel again for what the creator just changed: choices, fit preview, cost."""
    draft = _get_draft(request, pk)
    context = _context(request, draft)
    context["settings"] = drafts.settings_for(request.user, draft, request.GET)
    if context["settings"]:
        context.update(words.cost_line(request.user, context["settings"]["cost"]))
    return render(request, "studio/wizard.html#settings_fields", context)


# The picture step's actions


def _picture_chosen(request, draft, picture):
    draft.picture = picture
    draft.size = ""  # the shape follows the new picture unless the creator picks another
    draft.save()
    if not request.htmx:  # post, then redirect: a reload shows the step, it does not send the picture again
        messages.success(request, "Picture chosen.")
        return redirect("wizard_step", draft.pk, draft.step)
    return _show(request, draft, notice="Picture chosen.")


@require_POST
@login_required_htmx
@rate_limited("upload", refuse=lambda request, message, pk: _show(request, _get_draft(request, pk), 429, error=message))
def upload(request, pk):
    draft = _get_draft(request, pk)
    upload = request.FILES.get("picture")
    if upload is None:
        return _show(request, draft, error="Choose a picture to upload first.")
    try:
        pictures.check_room(request.user)
        image = pictures.read_upload(upload)
    except pictures.PictureRefused as refusal:
        return _show(request, draft, error=str(refusal))
    picture = pictures.keep(request.user, image, Picture.UPLOAD, name=upload.name)
    return _picture_chosen(request, draft, picture)


@require_POST
@login_required_htmx
def delete_picture(request, pk):
    """Deletes one of the creator's pictures and its files; one a video is being made from stays."""
    draft = _get_draft(request, pk)
    picture = get_object_or_404(Picture, pk=parse_uuid(request.POST.get("picture")), user=request.user)
    try:
        pictures.delete(picture)
    except pictures.PictureRefused as refusal:
        return _show(request, draft, error=str(refusal))
    draft.refresh_from_db()
    return _show(request, draft, notice="Picture deleted.")


@require_POST
@login_required_htmx
def choose(request, pk):
    draft = _get_draft(request, pk)
    picture = get_object_or_404(Picture, pk=parse_uuid(request.POST.get("picture")), user=request.user)
    return _picture_chosen(request, draft, picture)


@require_POST
@login_required_htmx
def frame(request, pk):
    draft = _get_draft(request, pk)
    gen = get_object_or_404(
        Generation,
        pk=parse_uuid(request.POST.get("generation")),
        user=request.user,
        status=Generation.Status.COMPLETED,
    )
    which = "last" if request.POST.get("which") == "last" else "first"
    try:
        pictures.check_room(request.user)
        image = media.frame_of(gen.video.name, which)
    except pictures.PictureRefused as refusal:
        return _show(request, draft, error=str(refusal))
    except media.NotAVideo:
        return _show(request, draft, error="We could not read a frame from that video. Pick another one.")
    picture = pictures.keep(
        request.user, image, Picture.FRAME, name=f"{which.title()} frame: {gen.prompt}", from_generation=gen
    )
    return _picture_chosen(request, draft, picture)


@require_POST
@login_required_htmx
def make(request, pk):
    draft = _get_draft(request, pk)
    form = MakePicturesForm(request.POST)
    models = {m.slug: m for m in offer_for(request.user).image_models(every=True)}
    if not form.is_valid():
        return _show(
            request,
            draft,
            make_error=" ".join(e for errors in form.errors.values() for e in errors),
            make_prompt=request.POST.get("prompt", ""),
        )
    model = models.get(form.cleaned_data["model"])
    if model is None:
        return _show(
            request,
            draft,
            make_error="That image model is not available right now. Pick another one.",
            make_prompt=form.cleaned_data["prompt"],
        )
    size = "1024x1536" if draft.picture and draft.picture.is_portrait else "1536x1024"
    size = size if size in model.sizes else model.sizes[0]
    try:
        draft.image_request = request_pictures(
            request.user,
            model=model,
            prompt=" ".join(form.cleaned_data["prompt"].split()),
            n=3,
            size=size,
            client_token=form.cleaned_data["client_token"],
            confirm_budget=request.POST.get("confirm_budget") == "yes",
        )
    except credits.OverBudget as refusal:
        return _show(
            request,
            draft,
            make_error=words.refusal(refusal, request.user),
            make_prompt=form.cleaned_data["prompt"],
            make_model=model.slug,
            make_confirm_budget=True,
        )
    except credits.Refused as refusal:
        return _show(
            request,
            draft,
            make_error=words.refusal(refusal, request.user),
            make_upgrade=isinstance(refusal, PlanLimit),
            make_prompt=form.cleaned_data["prompt"],
            make_model=model.slug,
        )
    except pictures.PictureRefused as refusal:
        return _show(
            request, draft, make_error=str(refusal), make_prompt=form.cleaned_data["prompt"], make_model=model.slug
        )
    draft.save()
    return _with_balance(request, _show(request, draft))  # the pictures' cost is held


@login_required_htmx
def make_status(request, pk):
    """The 'make one' box alone, polled while its pictures are being made; the last answer (they are
    made, or they failed and the hold came back) brings the header's balance along."""
    draft = _get_draft(request, pk)
    response = render(request, "studio/wizard.html#make_box", _context(request, draft))
    if draft.image_request is not None and not draft.image_request.is_active:
        _with_balance(request, response)
    return response


def _with_balance(request, response):
    """Adds the header's balance to an HTMX answer, swapped out of band: the request changed it."""
    if request.htmx:
        response.content += render_to_string("accounts/balance.html", {"oob": True}, request).encode()
    return response


@require_POST
@login_required_htmx
def submit(request, pk):
    draft = _get_draft(request, pk)
    chosen = drafts.settings_for(request.user, draft)
    if draft.picture is None or chosen is None or not draft.reachable("review"):
        url = reverse("wizard_step", args=[draft.pk, "picture"])
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    try:
        gen, _ = start_generation(
            request.user,
            model=chosen["model"],
            prompt=draft.prompt or "Bring this picture to life",
            duration=chosen["duration"],
            size=chosen["size"],
            input_picture=draft.picture,
            fit=chosen["fit"],
            full_prompt=presets.motion_prompt(draft.prompt, draft.motions),
            client_token=draft.client_token,
            camera=",".join(draft.motions)[:40],
            confirm_budget=request.POST.get("confirm_budget") == "yes",
        )
    except credits.OverBudget as refusal:
        return _refused(request, draft, words.refusal(refusal, request.user), confirm_budget=True)
    except credits.Refused as refusal:
        return _refused(request, draft, words.refusal(refusal, request.user), upgrade=isinstance(refusal, PlanLimit))
    Draft.objects.filter(pk=draft.pk).update(generation=gen)
    url = f"{reverse('dashboard')}#generation-{gen.pk}"
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _refused(request, draft, refusal, **extra):
    """Make my video's refusal: for HTMX only the review's buttons and their message (nothing else on
    the page changes), else the review page with it."""
    if request.htmx:
        context = _context(request, draft, refusal=refusal, **extra)
        return render(request, "studio/wizard.html#review_submit", context)
    return _show(request, draft, refusal=refusal, **extra)
