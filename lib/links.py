"""Links anyone may open: their unguessable tokens and their full addresses."""

import secrets

from django.conf import settings

TOKEN_BYTES = 32  # secrets.token_urlsafe(32): 43 characters, 256 bits
MAX_TOKEN_LENGTH = 64


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path
