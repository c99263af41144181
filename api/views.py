"""The studio's pages about the API: the creator's tokens (made and revoked here) and "Use the API"."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from api.forms import TokenForm
from api.models import Token

MAX_TOKENS = 20  # live tokens one creator may have


@login_required
@sensitive_post_parameters("password")
def tokens(request):
    Token.objects.end_stale(request.user)
    form = TokenForm(request.POST or None, user=request.user)
    made = None
    live = Token.objects.for_user(request.user).live()
    if request.method == "POST" and form.is_valid():
        if live.count() >= MAX_TOKENS:
            form.add_error(
                None,
                f"You have {MAX_TOKENS} tokens, as many as one account may. Revoke one you no "
                "longer use, then make a new one.",
            )
        else:
            scopes = [Token.READ] + ([Token.CREATE] if form.cleaned_data["create"] else [])
            name = " ".join(form.cleaned_data["name"].split())
            token, secret = Token.make(request.user, name, scopes, days=form.cleaned_data["days"])
            made = {"token": token, "secret": secret}
            form = TokenForm(user=request.user)
    response = render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "made": made,
            "tokens": Token.objects.for_user(request.user),
        },
        status=400 if request.method == "POST" and made is None else 200,
    )
    response["Cache-Control"] = "no-store"  # the page may show a token's secret, this once
    return response


@require_POST
@login_required
def revoke(request, pk):
    token = get_object_or_404(Token.objects.for_user(request.user), pk=pk)
    if token.revoke():
        messages.success(request, f"The token “{token.name}” is revoked: it no longer works.")
    return redirect("api_tokens")


@login_required
def guide(request):
    return render(request, "api/guide.html", {"site_url": settings.SITE_URL.rstrip("/")})
