"""Batches: many prompts at once (a list, or a CSV file), a preview with the total, one confirmation, and a
page for each batch with its progress and what each of its videos became."""

import uuid
from decimal import Decimal

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts import credits, words
from accounts.decorators import login_required_htmx
from accounts.offer import offer_for
from batches import reading as batches
from batches.forms import BatchForm
from generations.models import Batch, Generation
from generations.starting import start_batch

Status = Generation.Status
ERRORS_SHOWN = 20


def _form(request, *args, **kwargs):
    return BatchForm(*args, offer=offer_for(request.user), **kwargs)


# The pages


@require_GET
@login_required_htmx
def batch_list(request):
    counts = {
        "videos": Count("generations"),
        "ready": Count("generations", filter=Q(generations__status=Status.COMPLETED)),
        "active": Count("generations", filter=Q(generations__status__in=Generation.ACTIVE)),
        "ended": Count("generations", filter=Q(generations__status__in=(Status.FAILED, Status.CANCELED))),
    }
    rows = Batch.objects.filter(user=request.user).annotate(**counts).order_by("-created_at")[:100]
    return render(request, "batches/list.html", {"batches": rows})


@require_GET
@login_required_htmx
def batch_options(request):
    """The settings again, for the model just chosen."""
    form = _form(request, initial=request.GET.dict())
    return render(request, "batches/new.html#settings", {"form": form})


@require_http_methods(["GET", "POST"])
@login_required_htmx
def batch_new(request):
    if request.method == "GET":
        return _show_form(request, _form(request, initial={"client_token": uuid.uuid4()}))
    form = _form(request, request.POST, request.FILES)
    if not form.is_valid():
        return _show_form(request, form)
    reading = form.read()
    if reading.errors:
        return _show_form(request, form, reading=reading)
    action = request.POST.get("action")
    if action == "edit":
        return _show_form(request, form)
    if action != "confirm":
        return _preview(request, form, reading)
    if str(reading.total) != request.POST.get("expected_total"):
        return _preview(request, form, reading, notice="The prices changed since you looked. Here is the new total.")
    data = form.cleaned_data
    try:
        batch, _created = start_batch(
            request.user,
            reading.rows,
            name=data["name"],
            spending_cap=data["spending_cap"],
            client_token=data["client_token"] or uuid.uuid4(),
            confirm_budget=request.POST.get("confirm_budget") == "1",
        )
    except credits.OverBudget:
        return _preview(request, form, reading)  # the preview says it, and its Confirm goes past the budget
    except credits.Refused as refusal:  # the plan or the balance changed since the preview: nothing was made
        return _preview(request, form, reading, refusal=_refusal_words(request.user, refusal, reading))
    return redirect("batch_detail", pk=batch.pk)


@require_GET
@login_required_htmx
def batch_detail(request, pk):
    batch = get_object_or_404(Batch, pk=pk, user=request.user)
    videos = list(batch.generations.select_related("model").order_by("created_at", "queue_position"))
    context = {"batch": batch, "videos": videos, **progress(videos)}
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "batches/detail.html#progress", context)
    return render(request, "batches/detail.html", context)


# What the pages say


def progress(videos):
    """Counts by what each video is now, and the credits held, spent and returned."""

    def total(rows):
        return sum((g.cost for g in rows), Decimal("0"))

    waiting = [g for g in videos if g.status == Status.WAITING]
    making = [g for g in videos if g.status in Generation.SLOT_HOLDERS]
    ready = [g for g in videos if g.status == Status.COMPLETED]
    failed = [g for g in videos if g.status == Status.FAILED]
    canceled = [g for g in videos if g.status == Status.CANCELED]
    capped = [g for g in canceled if g.error_code == "batch_cap"]
    return {
        "counts": [
            ("Waiting", len(waiting)),
            ("Making", len(making)),
            ("Ready", len(ready)),
            ("Failed", len(failed)),
            ("Canceled", len(canceled)),
        ],
        "active": bool(waiting or making),
        "held": total(waiting + making),
        "spent": total(ready),
        "returned": total(failed + canceled),
        "capped": len(capped),
        "done_share": round(100 * (len(videos) - len(waiting) - len(making)) / len(videos)) if videos else 100,
    }


def _show_form(request, form, reading=None):
    errors = reading.errors if reading else []
    return render(
        request,
        "batches/new.html",
        {
            "form": form,
            "errors": errors[:ERRORS_SHOWN],
            "more_errors": max(len(errors) - ERRORS_SHOWN, 0),
            "from_file": bool(errors) and form.is_valid() and bool(form.cleaned_data.get("file")),
            "max_rows": batches.MAX_ROWS,
        },
    )


def _preview(request, form, reading, notice="", refusal=""):
    user, data = request.user, form.cleaned_data
    balance = credits.balance_of(user)
    total = reading.total
    cap = data["spending_cap"]
    context = {
        "form": form,
        "rows": reading.rows,
        "total": total,
        "balance": balance,
        "balance_after": balance - total,
        "short": refusal or (_short_words(user, total, balance) if balance < total else ""),
        "budget": words.budget_warning(user, total, subject="This batch", then="Confirming queues it anyway.")
        if balance >= total
        else "",
        "cap": cap,
        "within_cap": reading.within_cap(cap),
        "cap_total": sum((r.cost for r in reading.rows[: reading.within_cap(cap)]), Decimal("0")),
        "source": reading.text,
        "notice": notice,
    }
    context["stopped"] = len(reading.rows) - context["within_cap"]
    return render(request, "batches/preview.html", context)


def _short_words(user, total, balance):
    return (
        f"This batch costs {words.amount(total)} and you have {words.amount(balance)}, so nothing can be queued. "
        f"Remove some lines, or pick a shorter length or a cheaper model. {words.what_to_do(user)}"
    )


def _refusal_words(user, refusal, reading):
    if isinstance(refusal, credits.NotEnoughCredits):
        return _short_words(user, reading.total, credits.balance_of(user))
    return words.refusal(refusal, user)
