"""Throttling strangers: the log-in locks out after repeated failures (django-axes), and the forms
anyone can post are rate-limited (django-ratelimit, counted in the cache). Both count per address (the
caller's IP) and per account (the email address typed, or the creator who is logged in)."""

import ipaddress
import logging
import math
from functools import wraps

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Q
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django_ratelimit.core import get_usage

log = logging.getLogger(__name__)


def duration_words(seconds):
    """15 minutes, 1 hour, 3 days: rounded up, so a wait it names is never too short."""
    seconds = max(1, math.ceil(seconds))
    for unit, size, below in (("minute", 60, 3600), ("hour", 3600, 2 * 86400)):
        if seconds < below:
            count = math.ceil(seconds / size)
            return f"{count} {unit}{'' if count == 1 else 's'}"
    days = math.ceil(seconds / 86400)
    return f"{days} day{'' if days == 1 else 's'}"


def client_ip(request):
    """The caller's address: the socket's, or behind PROXY_COUNT reverse proxies, the address the
    outermost one saw (that many from the right in X-Forwarded-For; what a caller puts further left is
    ignored). IPv6 counts by /64, which one machine usually has whole. None when there is none."""
    address = request.META.get("REMOTE_ADDR", "")
    if settings.PROXY_COUNT:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= settings.PROXY_COUNT:
            address = hops[-settings.PROXY_COUNT]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return str(ip)


# Log-in lockout (django-axes; settings AXES_*)


def login_name(request, credentials):
    """The account a log-in is for, as axes counts it: the email address in any case or spacing."""
    typed = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(typed).strip().lower()[:254] or None


class LoginLockout(AxesStandaloneBackend):
    """Refuses every log-in, even with the right password, while its account or address is locked out.
    Every form a stranger can reach (the site's log-in and admin's) authenticates with the request; a
    call without one (the test client's login(), a management command) is not throttled and goes on to
    the next backend instead of failing."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_message(request, credentials=None):
    return (
        "Too many failed log-ins for this account or from your network, so logging in is paused for "
        f"safety. Please try again in {duration_words(_lockout_left(request, credentials))}, or reset your "
        "password if you have forgotten it."
    )


def _lockout_left(request, credentials):
    """Seconds until the lockout ends: it lasts the cool-off time from the last failure counted."""
    cool_off = get_cool_off(request)
    now = timezone.now()
    matching = Q(username=login_name(request, credentials)) | Q(ip_address=getattr(request, "axes_ip_address", None))
    last = AccessAttempt.objects.filter(matching, attempt_time__gte=now - cool_off).aggregate(last=Max("attempt_time"))[
        "last"
    ]
    return ((last or now) + cool_off - now).total_seconds()


def locked_out(request, response=None, credentials=None):
    """The log-in page again (the site's or admin's, whichever was used), with the lockout in plain
    words where its errors go, and status 429."""
    message = lockout_message(request, credentials)
    context = getattr(response, "context_data", None) or {}
    form = context.get("form")
    if form is None:
        return HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
    form.errors.clear()
    form.add_error(None, message)
    return render(request, response.template_name, context, status=429)


# Rate limits on forms (django-ratelimit; settings RATE_LIMITS)

TOO_OFTEN = {
    "signup": "There have been many sign-ups from your network or for this address.",
    "password_reset": "There have been many password reset requests from your network or for this address.",
    "verify_resend": "We have sent you several links already.",
    "upload": "You have uploaded many pictures in a short time.",
    "upgrade": "You have asked for another plan several times today; the studio team has your requests.",
    "webhook_send": "You have sent many test events and resends in a short time.",
    "checkout": "You have started many checkouts in a short time.",
}


def over_limit(request, group, account=None):
    """Counts this request against the rate of `group` (settings.RATE_LIMITS) per address and, when
    given, per account. Returns what to tell the caller when either is over, else "". When the cache
    cannot be reached nothing is limited: the forms keep working."""
    keys = [("ip", client_ip(request) or "unknown")]
    if account:
        keys.append(("account", str(account).strip().lower()[:254]))
    waits = []
    for name, value in keys:
        try:
            usage = get_usage(
                request,
                group=f"{group}:{name}",
                key=lambda _g, _r, v=value: v,
                rate=settings.RATE_LIMITS[group],
                increment=True,
            )
        except Exception as e:  # noqa: BLE001 (the cache is down: let it through)
            log.warning("Rate limit %s not checked: %s", group, e)
            continue
        if usage and usage["should_limit"]:
            waits.append(usage["time_left"])
    if not waits:
        return ""
    return f"{TOO_OFTEN[group]} Please wait {duration_words(max(waits))} and try again."


def rate_limited(group, refuse):
    """Limits a view per address and per logged-in creator. Over the limit the view does nothing and
    `refuse(request, message, *args, **kwargs)` answers, with status 429."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            account = request.user.pk if request.user.is_authenticated else None
            if message := over_limit(request, group, account=account):
                return refuse(request, message, *args, **kwargs)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
