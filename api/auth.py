"""Token authentication for the API: `Authorization: Bearer st_...`, looked up by its SHA-256, with a
scope per operation and a rate limit per creator (all their tokens together: a new token brings no new
allowance). A token ends at its expiry, when its creator's password changes, or when the account is
switched off. Session cookies are not accepted, so the API needs no CSRF protection (a browser never
sends a bearer token on its own)."""

import logging
import math
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django_ratelimit.core import get_usage
from ninja.security import HttpBearer

from accounts.throttle import duration_words
from api.errors import ApiError
from api.models import TOKEN_PREFIX, Token, digest

log = logging.getLogger(__name__)
LAST_USED_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often, not on every request


class TokenAuth(HttpBearer):
    def __init__(self, scope):
        super().__init__()
        self.scope = scope

    def authenticate(self, request, token):
        if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
            return None
        found = Token.objects.filter(revoked_at__isnull=True, digest=digest(token)).select_related("user").first()
        if found is None:
            return None
        _check_lifetime(found)
        _limit(request, found)
        if not found.allows(self.scope):
            raise ApiError(
                403,
                "scope",
                f"This token may only {', '.join(found.scopes)}; this needs the "
                f"“{self.scope}” scope. Make a token with it on your profile's API page.",
            )
        _touch(found)
        request.api_token = found
        return found.user


def _check_lifetime(token):
    user = token.user
    if not user.is_active:
        token.revoke(Token.ENDED_ACCOUNT_OFF)  # ended for good: switching the account back on does not revive it
        raise ApiError(401, "token_ended", "This account is switched off, so its tokens no longer work.")
    if not token.matches_password(user):
        token.revoke(Token.ENDED_PASSWORD)
        raise ApiError(
            401,
            "token_ended",
            "This token ended when the account's password was changed. Make a new one on your profile's API page.",
        )
    if token.is_expired:
        raise ApiError(
            401,
            "token_expired",
            f"This token expired on {token.expires_at:%-d %B %Y}. Make a new one on your profile's API page.",
        )


def _limit(request, token):
    rate = settings.RATE_LIMITS["api"]
    try:
        usage = get_usage(
            request, group="api:creator", key=lambda _g, _r: str(token.user_id), rate=rate, increment=True
        )
    except Exception as e:  # noqa: BLE001 (the cache is down: let it through, as the site's forms do)
        log.warning("API rate limit not checked: %s", e)
        return
    if usage and usage["should_limit"]:
        wait = max(1, math.ceil(usage["time_left"]))
        raise ApiError(
            429,
            "rate_limited",
            f"Your tokens have made {rate.replace('/', ' requests a ')} together, the limit. "
            f"Wait {duration_words(wait)} and try again.",
            headers={"Retry-After": str(wait)},
        )


def _touch(token):
    now = timezone.now()
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_EVERY)
    Token.objects.filter(stale, pk=token.pk).update(last_used_at=now)


READ = TokenAuth(Token.READ)
CREATE = TokenAuth(Token.CREATE)
