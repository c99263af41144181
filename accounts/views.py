from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts import credits, plans, throttle, verification, words
from accounts import usage as spending
from accounts.forms import BudgetForm, FailoverForm, LoginForm, PasswordResetForm, ProfileForm, SignupForm
from accounts.models import CreditEntry, Plan, User


@sensitive_post_parameters("password1", "password2")
def signup(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        if refusal := throttle.over_limit(request, "signup", account=request.POST.get("email")):
            form.add_error(None, refusal)
            return render(request, "accounts/signup.html", {"form": form}, status=429)
        if form.is_valid():
            # The same answer whether or not the address has an account: see accounts.verification.
            verification.sign_up(form)
            return redirect("signup_sent")
    return render(request, "accounts/signup.html", {"form": form})


def signup_sent(request):
    return render(request, "accounts/signup_sent.html", {"link_age": verification.link_age()})


def verify_email(request, token):
    """The link mailed to a creator: verifies their address and adds their starting credits, once."""
    try:
        user, granted = verification.verify(token)
    except verification.LinkRefused as refusal:
        return render(request, "accounts/verify_email.html", {"refused": refusal.message}, status=400)
    return render(request, "accounts/verify_email.html", {"verified": user, "granted": granted})


@require_POST
@login_required
def resend_verification(request):
    user = User.objects.get(pk=request.user.pk)
    if user.email_verified:
        messages.info(request, "Your email address is verified already.")
        return redirect("profile")
    if refusal := throttle.over_limit(request, "verify_resend", account=user.pk):
        return render(request, "accounts/verify_email.html", {"refused": refusal, "resend": True}, status=429)
    verification.send_link(user)
    messages.success(request, f"We sent a new link to {user.email}. It works for {verification.link_age()}.")
    return redirect("profile")


login_view = auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True)


@require_POST
def logout(request):
    auth_logout(request)
    messages.info(request, "You are logged out. See you soon.")
    return redirect("login")


@login_required
@sensitive_post_parameters("current_password")
def profile(request):
    # A fresh copy, so a rejected edit never shows up in the rest of the page as if it were saved.
    user = User.objects.get(pk=request.user.pk)
    form = ProfileForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        email_changed = form.email_changed
        form.save()
        if email_changed:
            verification.send_link(user)
            messages.success(
                request, f"Your profile is saved. We sent a link to {user.email}: follow it to verify your new address."
            )
        else:
            messages.success(request, "Your profile is saved.")
        return redirect("profile")
    return render(
        request, "accounts/profile.html", {"form": form, "creator": user, "failover_form": FailoverForm(user=user)}
    )


@login_required
@require_POST
def failover(request):
    user = User.objects.get(pk=request.user.pk)
    form = FailoverForm(request.POST, user=user)
    if form.is_valid():
        form.save(user)
        messages.success(request, "Saved: what happens when a model is unavailable.")
        return redirect("profile")
    return render(
        request, "accounts/profile.html", {"form": ProfileForm(instance=user), "creator": user, "failover_form": form}
    )


def password_reset(request):
    # The same answer whether or not an address has an account (Django's view sends only to those that do).
    if request.method == "POST" and (
        refusal := throttle.over_limit(request, "password_reset", account=request.POST.get("email"))
    ):
        form = PasswordResetForm(request.POST)
        form.add_error(None, refusal)
        return render(request, "registration/password_reset_form.html", {"form": form}, status=429)
    # Links in the email point at SITE_URL, the studio's public address, whatever Host the request named.
    return auth_views.PasswordResetView.as_view(
        form_class=PasswordResetForm,
        email_template_name="registration/password_reset_email.txt",
        subject_template_name="registration/password_reset_subject.txt",
        extra_email_context={"site_url": settings.SITE_URL},
        success_url=reverse_lazy("password_reset_done"),
    )(request)


LEDGER_PAGE = 25


@login_required
def usage(request):
    """The creator's credits: balance, plan, budget, spending per day and per model, and the ledger."""
    user = User.objects.select_related("plan").get(pk=request.user.pk)
    budget_form = BudgetForm(request.POST or None, initial={"monthly_budget": user.monthly_budget})
    if request.method == "POST" and budget_form.is_valid():
        budget_form.save(user)
        budget = budget_form.cleaned_data["monthly_budget"]
        messages.success(
            request,
            f"Your monthly budget is {words.amount(budget)}."
            if budget
            else "You have no monthly budget now: the studio will not ask before a video.",
        )
        return redirect("usage")

    entries = CreditEntry.objects.for_user(user)
    kind, month = request.GET.get("kind", ""), request.GET.get("month", "")
    if month and spending.parse_month(month) is None:
        return HttpResponseBadRequest(
            f"There is no month “{month[:20]}” in your usage. A month looks like 2026-03.", content_type="text/plain"
        )
    lines = spending.lines_only(entries.select_related("model"))
    page = Paginator(spending.filtered(lines, kind, month), LEDGER_PAGE).get_page(request.GET.get("page"))
    plan = plans.plan_for(user)
    month_used = credits.month_spending(user)
    balance = credits.balance_of(user)
    return render(
        request,
        "accounts/usage.html",
        {
            "creator": user,
            "balance": balance,
            "held": credits.held_now(user),
            "month_used": month_used,
            "budget_left": user.monthly_budget - month_used if user.monthly_budget else None,
            "budget_form": budget_form,
            "plan": plan,
            "plan_words": words.describe(plan),
            "plans": [(p, words.describe(p)) for p in Plan.objects.prefetch_related("allowed_models")],
            "next_allowance": credits.next_month_start(),
            **_charts(entries),
            "models": spending.by_model(entries, since=timezone.now() - timedelta(days=30)),
            "page": page,
            "lines": spending.ledger_lines(page.object_list),
            "filters": [(key, label) for key, (label, _) in spending.FILTERS.items()],
            "months": spending.months_with_entries(entries),
            "kind": kind if kind in spending.FILTERS else "",
            "month": month,
            "out_of_credits": words.out_of_credits(user) if balance <= 0 else "",
        },
    )


def _charts(entries):
    """The day chart twice from the same figures: wide for a laptop, narrow (bigger type) for a phone."""
    points = spending.daily_spending(entries)
    return {"chart": spending.day_chart(points), "phone_chart": spending.day_chart(points, width=360, height=220)}
