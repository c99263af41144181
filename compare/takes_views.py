"""What a creator does with takes: keep one of a comparison (the others set aside), bring a take back,
use a take's model by default, make a draft final; and the Models page, open to anyone."""

import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import credits, words
from accounts.decorators import login_required_htmx
from accounts.plans import PlanLimit
from catalog import sizes
from compare import takes
from generations.models import Comparison, Generation
from generations.starting import start_again
from generations.views import get_generation_for_user, safe_next
from lib import serving
from lib.ids import parse_uuid

PUBLIC_CACHE_SECONDS = 300


def _take_of(request, pk, take):
    """The creator's comparison and one of its takes; anyone else's is simply not found."""
    comparison = get_object_or_404(Comparison, pk=pk, user=request.user)
    gen = get_object_or_404(Generation.objects.select_related("model"), pk=take, comparison=comparison)
    return comparison, gen


def _back(request, comparison):
    return redirect(safe_next(request) if request.POST.get("next") else f"/compare/{comparison.pk}/")


@require_POST
@login_required_htmx
def keep(request, pk, take):
    comparison, gen = _take_of(request, pk, take)
    try:
        takes.keep(comparison, gen)
    except takes.NotReady:
        messages.error(request, "You can keep this take once it is ready.")
        return _back(request, comparison)
    others = comparison.takes.filter(set_aside=True).count()
    text = f"Kept the {gen.model.name} take."
    if others:
        text += f" The other {'take is' if others == 1 else f'{others} takes are'} set aside: out of your library's main view, under Set aside if you want them back."
    messages.success(request, text)
    return _back(request, comparison)


@require_POST
@login_required_htmx
def use_default(request, pk, take):
    comparison, gen = _take_of(request, pk, take)
    if takes.use_as_default(request.user, gen.model):
        messages.success(request, f"{gen.model.name} is now your default: the create form starts with it.")
    else:
        messages.error(request, f"Your plan does not make {gen.model.name} videos, so it cannot be your default.")
    return _back(request, comparison)


@require_POST
@login_required_htmx
def restore(request, pk):
    gen = get_generation_for_user(request, pk)
    takes.restore(gen)
    messages.success(request, "Back in your library.")
    return redirect(safe_next(request))


# Draft, then final


@require_http_methods(["GET", "POST"])
@login_required_htmx
def make_final(request, pk):
    draft = get_generation_for_user(request, pk)
    if not draft.is_completed:
        messages.info(request, "You can make a video final once it is ready.")
        return redirect("generation_detail", pk=draft.pk)
    choices = takes.final_choices(request.user, draft)
    picked = request.POST.get("choice") or next((c.key for c in choices if c.cost is not None), "")
    context = {
        "draft": draft,
        "choices": choices,
        "picked": picked,
        "size_label": sizes.label(draft.size),
        "client_token": uuid.uuid4(),
    }
    if request.method == "POST":
        choice = takes.choice_for(choices, request.POST.get("choice", ""))
        if choice is None:
            context["problem"] = "Choose one of the ways to make it final that your plan allows."
            return render(request, "compare/final.html", context, status=400)
        try:
            final, _ = start_again(
                request.user,
                draft,
                model=choice.model,
                duration=choice.duration,
                size=choice.size,
                client_token=parse_uuid(request.POST.get("client_token")),
                confirm_budget=request.POST.get("confirm_budget") == "1",
            )
        except credits.OverBudget as question:
            context.update(budget_question=words.refusal(question, request.user), client_token=uuid.uuid4())
            return render(request, "compare/final.html", context)
        except credits.Refused as refusal:
            context.update(problem=words.refusal(refusal, request.user), upgrade=isinstance(refusal, PlanLimit))
            return render(request, "compare/final.html", context)
        Generation.objects.filter(pk=final.pk).update(is_final=True)
        messages.success(
            request, f"The final is on its way: {choice.model.name}, {choice.size_label}, {choice.cost:.0f} credits."
        )
        return redirect("generation_detail", pk=final.pk)
    return render(request, "compare/final.html", context)


# The Models page


@require_GET
def models_page(request):
    return render(request, "compare/models.html", {"guides": takes.models_guide()})


@require_GET
def sample_file(request, pk, kind):
    """A sample clip (or its poster) of the Models page: only videos an operator chose as samples."""
    gen = takes.sample_video(pk)
    field = {"mp4": "video", "jpg": "poster"}.get(kind)
    if gen is None or field is None or not getattr(gen, field):
        raise Http404("No such sample.")
    return serving.stored_file_response(
        request,
        getattr(gen, field).name,
        "video/mp4" if field == "video" else "image/jpeg",
        cache_seconds=PUBLIC_CACHE_SECONDS,
        inline_name=f"sample-{pk}.{kind}",
    )
