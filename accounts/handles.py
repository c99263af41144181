"""A creator's handle: the short public name in their links (/@ada-lovelace/).

Lowercase letters, digits and single hyphens, 2 to 30 characters. Derived at sign-up from the
display name (or the email), made unique by a number on the end, editable on the profile page.
"""

import re

from django.utils.text import slugify

from accounts.models import User

MAX_LENGTH = 30
PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
RESERVED = {
    "about",
    "account",
    "accounts",
    "admin",
    "api",
    "create",
    "dashboard",
    "generations",
    "help",
    "login",
    "logout",
    "media",
    "me",
    "pixapi",
    "pixapi-sandbox",
    "profile",
    "settings",
    "share",
    "signup",
    "static",
    "studio",
    "support",
}
RULE = "Use 2 to 30 lowercase letters, numbers or hyphens, for example ada-lovelace."


def clean(text):
    """`text` as a handle, or '' when nothing of it fits: "Zoë  O'Neil!" -> 'zoe-oneil', 'jo.smith_2' -> 'jo-smith-2'."""
    slug = slugify(re.sub(r"[._+]", " ", text))
    return re.sub(r"-{2,}", "-", slug).strip("-")[:MAX_LENGTH].strip("-")


def problem(handle):
    """What is wrong with `handle` as a handle, in plain words, or None (uniqueness aside)."""
    if not (2 <= len(handle) <= MAX_LENGTH) or not PATTERN.match(handle):
        return RULE
    if handle in RESERVED:
        return "That handle is kept for the studio itself. Please pick another."
    return None


def is_taken(handle, exclude_user=None):
    others = User.objects.filter(username__iexact=handle)
    if exclude_user is not None:
        others = others.exclude(pk=exclude_user.pk)
    return others.exists()


def unique_handle(display_name, email):
    """A free handle for a new creator: from the display name, else the email's first part."""
    base = next(
        (h for h in (clean(display_name), clean(email.split("@")[0])) if len(h) >= 2 and not problem(h)),
        "creator",
    )
    base = base[: MAX_LENGTH - 4].strip("-")
    taken = {u.lower() for u in User.objects.filter(username__istartswith=base).values_list("username", flat=True)}
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def creator_name(user):
    """How a creator is named in public: their display name, else their handle; never their email."""
    return user.display_name or user.username
