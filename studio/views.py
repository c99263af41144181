import uuid

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts import credits, words
from accounts.decorators import login_required_htmx
from accounts.offer import offer_for
from accounts.plans import PlanLimit
from generations import updates
from generations.forms import GenerationForm
from generations.models import Generation
from generations.starting import start_generation
from lib.ids import parse_uuid
from studio import public_pages
from studio.models import SavedPrompt

RECENT_CARDS = 24
# Offered to a creator who has made nothing yet (a short name, the prompt): one click fills the prompt, nothing more.
EXAMPLE_PROMPTS = [
    ("A fox in the snow", "A red fox trotting through fresh snow at sunrise, its breath steaming in the cold air"),
    ("Waves at dusk", "Waves rolling onto a black sand beach at dusk, seen from a slow drone"),
    ("A paper boat", "A paper boat drifting down a rainy city street, neon lights reflected in the puddles"),
    ("Morning coffee", "A cup of coffee on a wooden table, steam curling up in warm morning light"),
]


def ping(request):
    """The process answers (and nothing else is asked): the benchmarks' trivial view. /healthz/ asks every part."""
    return HttpResponse("ok", content_type="text/plain")


def _initial_from(request):
    """The form's starting values: a generation to make again, a saved prompt, or nothing; the creator's
    default model."""
    initial = {"client_token": uuid.uuid4()}
    if request.user.default_model_id:  # the creator's default (the form falls back when the plan leaves it out)
        initial["model"] = request.user.default_model.slug
    if again := request.GET.get("again"):
        source = Generation.objects.for_user(request.user).filter(pk=parse_uuid(again)).first()
        if source:
            initial.update(
                prompt=source.prompt,
                model=source.model.slug,
                duration=source.duration,
                size=source.size,
                style=source.style,
                camera=source.camera,
                source=str(source.pk),
            )
            if request.GET.get("model"):
                initial["model"] = request.GET["model"]
    elif saved := request.GET.get("saved"):
        pk = saved if saved.isdigit() and len(saved) < 19 else None  # int() refuses over 4,300 digits
        prompt = SavedPrompt.objects.for_user(request.user).filter(pk=pk).first()
        if prompt:
            initial.update(prompt=prompt.text, style=prompt.style, camera=prompt.camera)
    return initial


def _form(request, *args, **kwargs):
    """The create form, offering what the creator's plan allows."""
    return GenerationForm(*args, offer=offer_for(request.user), failover_extra=request.user.failover_extra, **kwargs)


def _form_context(request, form):
    user = request.user
    recent_prompts = {}
    for pk, prompt in Generation.objects.for_user(user).order_by("-created_at").values_list("pk", "prompt")[:30]:
        recent_prompts.setdefault(prompt, pk)
    cost = form.cost()
    return {
        "form": form,
        "cost": cost,
        **words.cost_line(user, cost),
        "saved_prompts": SavedPrompt.objects.for_user(user)[:12],
        "recent_prompts": [{"pk": pk, "prompt": prompt} for prompt, pk in list(recent_prompts.items())[:5]],
        "source_id": form.initial.get("source") or form.data.get("source", ""),
        "compare_models": _compare_models(form.offer),
    }


def _compare_models(offer):
    """The models "Compare models" offers: each with the plan that has it when the creator's does not."""
    return [(m, "" if offer.makes(m) else words.locked_by(offer.unlocking(m))) for m in offer.video_models(every=True)]


def dashboard(request):
    if not request.user.is_authenticated:
        return public_pages.home(request)  # visitors meet the front door
    form = _form(request, initial=_initial_from(request))
    seen = updates.seen_token(request)  # before the cards are read
    cards = list(
        Generation.objects.for_user(request.user).select_related("model").order_by("-created_at")[:RECENT_CARDS]
    )
    context = _form_context(request, form)
    context.update(
        cards=cards,
        poller=updates.poller_state(request.user, cards, seen=seen),
        example_prompts=[] if cards else EXAMPLE_PROMPTS,
    )
    return render(request, "studio/dashboard.html", context)


@require_GET
@login_required_htmx
def form_options(request):
    """The settings part of the form again, for the model just chosen, with its price."""
    data = request.GET.copy()
    form = _form(request, initial=data.dict())
    return render(request, "studio/dashboard.html#settings", _form_context(request, form))


@require_POST
@login_required_htmx
def create(request):
    form = _form(request, request.POST)
    if not form.is_valid():
        return _form_again(request, form)
    data = form.cleaned_data
    source = Generation.objects.for_user(request.user).filter(pk=parse_uuid(request.POST.get("source"))).first()
    try:
        gen, created = start_generation(
            request.user,
            model=data["model"],
            prompt=data["prompt"],
            duration=data["duration"],
            size=data["size"],
            style=data["style"],
            camera=data["camera"],
            client_token=data["client_token"],
            source=source,
            confirm_budget=request.POST.get("confirm_budget") == "1",
            failover=data.get("failover", False),
        )
    except credits.OverBudget as question:
        return _form_again(request, form, budget_question=words.refusal(question, request.user))
    except credits.Refused as refusal:  # the plan or the balance does not allow it: nothing was made
        if isinstance(refusal, credits.NotEnoughCredits) and words.cost_line(request.user, form.cost())["not_enough"]:
            return _form_again(request, form, cost_alert=True)  # the cost line says it, with what to do
        # Said beside Generate, with the plans one click away when the plan is what refused it.
        return _form_again(
            request, form, refusal=words.refusal(refusal, request.user), upgrade=isinstance(refusal, PlanLimit)
        )
    if not request.htmx:
        return redirect("dashboard")
    # The next form keeps what was just asked for, so a small change is one edit away.
    fresh = _form(
        request,
        initial={
            "client_token": uuid.uuid4(),
            "prompt": gen.prompt,
            "model": gen.model.slug,
            "duration": gen.duration,
            "size": gen.size,
            "style": gen.style,
            "camera": gen.camera,
        },
    )
    context = _form_context(request, fresh)
    context.update(
        gen=gen,
        created=created,
        poller=updates.poller_state(request.user, [gen], since=request.POST.get("since")),
    )
    return render(request, "studio/created.html", context)


def _form_again(request, form, **extra):
    context = {**_form_context(request, form), **extra}
    if request.htmx:
        return render(request, "studio/dashboard.html#create_form", context)
    return render(
        request,
        "studio/dashboard.html",
        {
            **context,
            "cards": [],
            "poller": updates.poller_state(request.user, []),
        },
    )


@require_POST
@login_required_htmx
def save_prompt(request):
    text = " ".join(request.POST.get("prompt", "").split())[:2000]
    if text:
        SavedPrompt.objects.get_or_create(
            user=request.user,
            text=text,
            defaults={"style": request.POST.get("style", "")[:40], "camera": request.POST.get("camera", "")[:40]},
        )
    if request.htmx:
        return render(
            request,
            "studio/dashboard.html#saved_prompts",
            {
                "saved_prompts": SavedPrompt.objects.for_user(request.user)[:12],
                "just_saved": bool(text),
            },
        )
    return redirect("dashboard")


@require_POST
@login_required_htmx
def delete_saved_prompt(request, pk):
    prompt = get_object_or_404(SavedPrompt, pk=pk, user=request.user)
    prompt.delete()
    if request.htmx:
        return render(
            request,
            "studio/dashboard.html#saved_prompts",
            {
                "saved_prompts": SavedPrompt.objects.for_user(request.user)[:12],
            },
        )
    return redirect("dashboard")
