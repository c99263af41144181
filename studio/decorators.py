from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import resolve_url


def login_first(request):
    """To the login page and back. An HTMX request (its session expired) is sent there as a whole
    page (HX-Redirect) instead of having the login page swapped into a card."""
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = resolve_url(settings.LOGIN_URL)
        return response
    return redirect_to_login(request.get_full_path())


def login_required_htmx(view):
    """login_required, with login_first's answer to an HTMX request."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return login_first(request)
        return view(request, *args, **kwargs)

    return wrapper
