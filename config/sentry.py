"""Errors to Sentry, with nothing of a creator's in them: no prompt, email address, token, cookie or
request body; no local variables and no breadcrumbs (cache commands name a session's key), and any
email address or token left in a message is blotted out."""

import re

import sentry_sdk
from sentry_sdk.integrations.django import DjangoIntegration

BLOT = "[removed]"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
TOKEN = re.compile(r"\b(st|sk|whsec)_[A-Za-z0-9_\-+/=]{8,}")
PRIVATE_KEYS = ("prompt", "email", "token", "secret", "password", "authorization", "cookie")


def start(dsn, environment="production"):
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        max_breadcrumbs=0,  # breadcrumbs carry cache keys (a session's id) and queries
        before_send=scrub,
    )


def scrub(event, hint=None):
    request = event.get("request") or {}
    for part in ("data", "cookies", "query_string", "env"):
        request.pop(part, None)
    if "headers" in request:
        request["headers"] = {k: v for k, v in request["headers"].items() if not _private(k)}
    event.pop("user", None)
    event.pop("breadcrumbs", None)
    return _blot(event)


def _private(key):
    return any(word in str(key).lower() for word in PRIVATE_KEYS)


def _blot(value):
    if isinstance(value, str):
        return TOKEN.sub(BLOT, EMAIL.sub(BLOT, value))
    if isinstance(value, dict):
        return {k: (BLOT if _private(k) else _blot(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_blot(v) for v in value]
    return value
