"""Comparisons: the same idea on several models (or several takes of one), side by side.

From the create form or the wizard's review, "Compare models" leads to a confirm step that shows each
take's model at the length and size it will really make (the nearest its plan allows to the ones
asked for), its price, the total and the balance after it. One "Make N takes" holds it all in one
transaction (starting.start_comparison). The comparison's page plays its takes in sync and fills in as
they finish (one poller); its creator may share the grid by a link that works only while it is on.
"""

import uuid

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts import credits, words
from accounts.decorators import login_required_htmx
from accounts.handles import creator_name
from catalog.sizes import label as size_label
from compare import sharing
from compare.forms import CompareForm
from generations import updates
from generations.models import Comparison, Draft, Generation
from generations.starting import MAX_COMPARED, plan_takes, start_comparison
from lib import serving
from lib.ids import parse_uuid

LISTED = 100
PUBLIC_CACHE_SECONDS = 60  # a stopped share stays in a viewer's browser cache for a minute at most


class Unclear(Exception):
    """What was asked cannot be compared as it stands; the message says what to change."""


# Asking: the confirm step and the one confirmation


def _asked(request, data):
    """What the form asks to compare: the settings start_comparison takes, and where it came from."""
    form = CompareForm(data, user=request.user)
    if not form.is_valid():
        if form.no_draft:
            raise Http404("No such picture to animate.")
        raise Unclear(form.error())
    return form.ask, form.models, form.takes, form.draft


def _plan(request, ask, models, takes):
    """Each take as it will be made, the total and what the balance says about it."""
    planned = plan_takes(request.user, models, duration=ask["duration"], size=ask["size"], takes=takes)
    rows = [
        {
            "model": model,
            "duration": duration,
            "size": size,
            "size_label": size_label(size),
            "cost": cost,
            "nearest": duration != ask["duration"] or size != ask["size"],
        }
        for model, duration, size, cost in planned
    ]
    total = sum(row["cost"] for row in rows)
    balance = credits.balance_of(request.user)
    not_enough = ""
    if balance < total:
        not_enough = (
            f"These {len(rows)} takes cost {words.amount(total)} and you have {words.amount(balance)}. "
            f"Pick fewer models or takes. {words.what_to_do(request.user)}"
        )
    return {
        "rows": rows,
        "total": total,
        "balance": balance,
        "balance_after": balance - total,
        "not_enough": not_enough,
        "ask_for_credits": bool(not_enough) and getattr(request.user, "email_verified", True),
        "asked_size_label": size_label(ask["size"]),
        "budget_warning": ""
        if not_enough
        else words.budget_warning(request.user, total, subject=f"These {len(rows)} takes"),
    }


def _confirm(request, data, status=200, **extra):
    """The confirm step: as a panel for HTMX (beside the form that asked), else as a page."""
    context = {"asked": data, "client_token": data.get("client_token") or uuid.uuid4(), **extra}
    try:
        ask, models, takes, draft = _asked(request, data)
        context.update(ask=ask, models=models, takes=takes, draft=draft, **_plan(request, ask, models, takes))
    except Unclear as unclear:
        context["error"] = str(unclear)
    except credits.Refused as refusal:
        context["error"] = words.refusal(refusal, request.user)
    template = "compare/new.html"
    if request.htmx and not request.htmx.history_restore_request and not extra.get("page"):
        template += "#confirm"
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
@login_required_htmx
def compare_new(request):
    """What the comparison would make and cost, before anything is held. Changes nothing."""
    data = request.POST if request.method == "POST" else request.GET
    return _confirm(request, data, client_token=uuid.uuid4())


@require_POST
@login_required_htmx
def compare_start(request):
    """The one confirmation: every take held in one transaction, or none. The same form twice makes one."""
    data = request.POST
    try:
        ask, models, takes, draft = _asked(request, data)
        if data.get("total") is not None and str(_plan(request, ask, models, takes)["total"]) != data["total"]:
            raise Unclear("The prices changed since this page was shown: here is the new total.")
        comparison, _ = start_comparison(
            request.user,
            models=models,
            takes=takes,
            client_token=parse_uuid(data.get("client_token")),
            confirm_budget=data.get("confirm_budget") == "1",
            **ask,
        )
    except Unclear as unclear:
        return _confirm(request, data, status=409, error_at_button=str(unclear), page=True)
    except credits.OverBudget as question:
        return _confirm(request, data, budget_question=words.refusal(question, request.user), page=True)
    except credits.Refused as refusal:
        return _confirm(request, data, status=409, error_at_button=words.refusal(refusal, request.user), page=True)
    except ValueError as wrong:
        return _confirm(request, data, status=409, error_at_button=str(wrong), page=True)
    if draft is not None:
        first = comparison.takes.order_by("created_at").first()
        Draft.objects.filter(pk=draft.pk, generation__isnull=True).update(generation=first)
    url = reverse("comparison", args=[comparison.pk])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


# The comparison's page, and its list


def _comparison(request, pk):
    """Every lookup goes through here: someone else's comparison is simply not found."""
    return get_object_or_404(Comparison, pk=pk, user=request.user)


def took(take):
    """How long a finished take took, in words ("1 min 05 s"), else ""."""
    if take.status != Generation.Status.COMPLETED or not take.finished_at:
        return ""
    seconds = take.elapsed_seconds()
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def _dressed(takes):
    for take in takes:
        take.took = took(take)
        take.size_label = size_label(take.size)
    return takes


def _takes(comparison):
    takes = list(comparison.takes.select_related("model").order_by("created_at", "pk"))
    for number, take in enumerate(takes, 1):
        take.number = number
    return _dressed(takes)


@require_GET
@login_required_htmx
def comparison(request, pk):
    comparison = _comparison(request, pk)
    seen = updates.seen_token(request)  # before the takes are read
    takes = _takes(comparison)
    return render(
        request,
        "compare/comparison.html",
        {
            "comparison": comparison,
            "takes": takes,
            "total": sum(t.cost for t in takes if not t.is_failed),
            "share_url": sharing.comparison_share_url(comparison) if comparison.share_token else "",
            "poller": _poller(comparison, takes, seen=seen),
        },
    )


def _poller(comparison, takes, since=None, seen=""):
    url = reverse("comparison_poll", args=[comparison.pk])
    return updates.group_poller(url, any(t.is_active for t in takes), since, seen)


@require_GET
def comparison_poll(request, pk):
    """The page's one poller: 204 while nothing of the creator's changed (decided from the cache, as the
    dashboard's poller is), else the takes of this comparison that changed, to swap in place."""
    return updates.answer_poll(request, _changed_takes, pk)


@login_required_htmx
def _changed_takes(request, pk):
    comparison = _comparison(request, pk)
    seen, since = updates.look(request)
    takes = _takes(comparison)
    changed, since = updates.changed_among(takes, since)
    if not changed and updates.seen_already(request, seen):
        return HttpResponse(status=204)
    return render(
        request,
        "compare/poll.html",
        {"comparison": comparison, "changed": changed, "poller": _poller(comparison, takes, since, seen)},
    )


@require_GET
@login_required_htmx
def comparison_list(request):
    comparisons = list(Comparison.objects.filter(user=request.user).order_by("-created_at")[:LISTED])
    takes = {}
    for take in (
        Generation.objects.filter(comparison__in=comparisons).select_related("model").order_by("created_at", "pk")
    ):
        takes.setdefault(take.comparison_id, []).append(take)
    for c in comparisons:
        c.take_list = takes.get(c.pk, [])
        c.ready = sum(1 for t in c.take_list if t.is_completed)
        c.making = sum(1 for t in c.take_list if t.is_active)
    return render(request, "compare/list.html", {"comparisons": comparisons})


# Sharing the grid


@require_POST
@login_required_htmx
def comparison_share(request, pk):
    sharing.share_comparison(_comparison(request, pk))
    return redirect(f"{reverse('comparison', args=[pk])}#share")


@require_POST
@login_required_htmx
def comparison_unshare(request, pk):
    sharing.stop_sharing_comparison(_comparison(request, pk))
    return redirect(f"{reverse('comparison', args=[pk])}#share")


@require_GET
def shared_comparison(request, token):
    """The public grid: the finished takes' videos, nothing private (no prompt, no email, no costs)."""
    comparison = sharing.shared_comparison(token)
    if comparison is None:
        return render(request, "compare/gone.html", status=404)
    takes = _dressed(sharing.shared_takes(comparison, MAX_COMPARED))
    return render(
        request,
        "compare/shared.html",
        {
            "comparison": comparison,
            "takes": takes,
            "creator": creator_name(comparison.user),
            "page_url": sharing.comparison_share_url(comparison),
        },
    )


@require_GET
def shared_comparison_file(request, token, number):
    """Take `number` (its place in the comparison, from 1) of a shared comparison, once it is finished.
    Named by its place, never by the video's id (its storage name)."""
    comparison = sharing.shared_comparison(token)
    takes = sharing.shared_takes(comparison, MAX_COMPARED) if comparison is not None else []
    gen = next((take for take in takes if take.number == number), None)
    if gen is None:
        raise Http404("This comparison is no longer shared.")
    return serving.stored_file_response(
        request, gen.video.name, "video/mp4", cache_seconds=PUBLIC_CACHE_SECONDS, inline_name=f"take-{number}.mp4"
    )
