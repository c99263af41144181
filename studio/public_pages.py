"""The pages a visitor meets first: the front door (`/` when logged out) and the pricing page, with the
credit packs on sale (billing/) and the form a creator uses to ask for another plan."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts import plans, words
from accounts.models import Plan, UpgradeRequest
from accounts.offer import Offer
from accounts.throttle import rate_limited
from billing.models import CreditPack
from catalog.sizes import is_hd
from library import sharing
from studio.forms import UpgradeForm
from studio.samples import sample_clips

FRONT_DOOR_CLIPS = 3


def home(request):
    """`/` for a visitor: what the studio does, clips playing (featured videos first, then the samples
    it ships with), the plans and what the free credits buy, and the way to sign up."""
    featured = list(sharing.featured().order_by("-shared_at")[:FRONT_DOOR_CLIPS])
    for gen in featured:
        gen.public_title = sharing.public_title(gen)
    samples = sample_clips()[: FRONT_DOOR_CLIPS - len(featured)]
    return render(
        request,
        "studio/home.html",
        {
            "featured": featured,
            "samples": samples,
            **_plans_context(),
        },
    )


@require_GET
def pricing(request):
    return render(request, "studio/pricing.html", _pricing_context(request))


def _refuse(request, message):
    form = UpgradeForm(request.POST, user=request.user)
    return render(request, "studio/pricing.html", _pricing_context(request, form, too_often=message), status=429)


@require_POST
@login_required
@rate_limited("upgrade", _refuse)
def upgrade_request(request):
    """Stores the creator's request for operators (admin: Upgrade requests) and says so plainly."""
    form = UpgradeForm(request.POST, user=request.user)
    if not form.is_valid():
        return render(request, "studio/pricing.html", _pricing_context(request, form), status=400)
    UpgradeRequest.objects.create(
        user=request.user,
        plan=form.cleaned_data["plan"],
        message=form.cleaned_data["message"],
        current_plan=plans.plan_for(request.user),
    )
    messages.success(
        request,
        f"Thank you: the studio team has your request for the {form.cleaned_data['plan'].name} plan "
        "and will write to you at your email address.",
    )
    return redirect("pricing")


def _pricing_context(request, form=None, **extra):
    context = {**_plans_context(), "prices": _prices(), "packs": _packs(), **extra}
    if request.user.is_authenticated:
        context.update(
            form=form or UpgradeForm(user=request.user),
            current=plans.plan_for(request.user),
            asked=UpgradeRequest.objects.filter(user=request.user).open().select_related("plan").first(),
        )
    return context


def _packs():
    """The credit packs on sale, when the studio takes payments."""
    return list(CreditPack.objects.offered()) if settings.PAYMENTS_ENABLED else []


def _plans_context():
    """The plans, cheapest first, each in a few words, and what a new creator's free credits make."""
    all_plans = Plan.objects.order_by("position", "name").prefetch_related("allowed_models")
    return {
        "plans": [(plan, words.describe(plan)) for plan in all_plans],
        "free": free_clips(Plan.default()),
    }


def _prices():
    """Each enabled video model's lengths and the price of a clip (8 seconds, or its longest) at 720p and 1080p."""
    rows = []
    for model in Offer(None).video_models():
        seconds = 8 if 8 in model.durations else max(model.durations, default=0)
        sd = [size for size in model.sizes if not is_hd(size)]
        hd = [size for size in model.sizes if is_hd(size)]
        rows.append(
            {
                "model": model,
                "seconds": seconds,
                "lengths": _lengths(model.durations),
                "sd": model.price(seconds, sd[0]) if sd and seconds else None,
                "hd": model.price(seconds, hd[0]) if hd and seconds else None,
            }
        )
    return rows


def _lengths(durations):
    """ "2 to 15 seconds", "5 or 10 seconds"."""
    durations = sorted(durations)
    if not durations:
        return ""
    if len(durations) > 2 and durations == list(range(durations[0], durations[-1] + 1)):
        return f"{durations[0]} to {durations[-1]} seconds"
    return words.listed(str(d) for d in durations).replace(" and ", " or ") + " seconds"


def free_clips(plan):
    """What a new creator's starting credits (the default plan's allowance) make with the cheapest
    video model that plan allows, at its longest allowed length: {"count", "seconds", "model", "credits"},
    or None when they make nothing."""
    if plan is None or plan.monthly_credits <= 0:
        return None
    offer = Offer(plan)
    best = None
    for model in offer.video_models():
        seconds = max(offer.durations(model))
        price = min(model.price(seconds, size) for size in offer.sizes(model))
        if price > 0 and (best is None or price / seconds < best[0] / best[1]):
            best = (price, seconds, model)
    if best is None:
        return None
    price, seconds, model = best
    count = int(plan.monthly_credits // price)
    if count < 1:
        return None
    return {
        "count": count,
        "seconds": seconds,
        "model": model,
        "credits": words.amount(plan.monthly_credits),
        "plan": plan,
    }
