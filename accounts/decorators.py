from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import resolve_url


def login_required_htmx(view):
    """login_required, except that an HTMX request with an expired session is sent to the login
    page as a whole (HX-Redirect) instead of having the login page swapped into a card."""
    protected = login_required(view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.htmx and not request.user.is_authenticated:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = resolve_url(settings.LOGIN_URL)
            return response
        return protected(request, *args, **kwargs)

    return wrapper
