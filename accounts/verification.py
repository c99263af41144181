"""Signing up and verifying an email address.

A new creator's starting credits (and every monthly allowance after) wait until they follow the link
mailed to their address, so a farm of made-up addresses gets nothing. The link is signed with
SECRET_KEY, names the creator and the address it was sent to, and works for EMAIL_VERIFY_MAX_AGE
seconds. Following it marks the address verified and grants the credits in one transaction, once.
The link is short, and the mail's lines too, so the mail goes out as plain 7-bit text: in development
the console prints it as it is (no quoted-printable line breaks) and the link can be clicked there.

Sign-up tells nobody whether an address already has an account: either way the page says "check your
mail"; a new creator gets their link, the owner of a taken address a note saying so.
"""

import base64
import hashlib
import textwrap
import time

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import base36_to_int, int_to_base36

from accounts import credits, words
from accounts.models import CreditEntry, User
from accounts.plans import plan_for
from accounts.throttle import duration_words

SALT = "accounts.verify-email"

BROKEN = "This link does not work: part of it may be missing. Copy the whole link from the email, or ask for a new one."
EXPIRED = "This link has expired: links work for {age}. Log in and ask for a new one."
USED = "This link has been used already: your email address is verified. There is nothing more to do."
CHANGED = (
    "This link was sent to an email address that is no longer on your account. Follow the link "
    "we sent to your current address, or log in and ask for a new one."
)


class LinkRefused(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def link_age():
    return duration_words(settings.EMAIL_VERIFY_MAX_AGE)


def _b64(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _address_tag(email):
    """Tells a link for another address apart from a forged one, without naming the address."""
    return _b64(hashlib.sha256(email.strip().lower().encode()).digest()[:4])


def _signature(uid, sent, tag):
    return _b64(salted_hmac(SALT, f"{uid}.{sent}.{tag}", algorithm="sha256").digest()[:15])


def link_for(user):
    uid, sent, tag = int_to_base36(user.pk), int_to_base36(int(time.time())), _address_tag(user.email)
    token = f"{uid}.{sent}.{tag}.{_signature(uid, sent, tag)}"
    return settings.SITE_URL + reverse("verify_email", args=[token])


def _mail(subject, paragraphs, to):
    """Plain text, every line short; a paragraph that is a link stays whole on its line."""
    body = "\n\n".join(p if p.startswith("http") else textwrap.fill(p, 72) for p in paragraphs)
    send_mail(subject, body + "\n", None, [to])


def _starting_credits_words(user):
    if user.credit_entries.filter(kind=CreditEntry.Kind.ALLOWANCE).exists():
        return ""
    plan = plan_for(user)
    if plan is None or plan.monthly_credits <= 0:
        return ""
    return f" and get your {words.amount(plan.monthly_credits)} to start with"


def send_link(user):
    """Mails the creator a link to verify their current address."""
    _mail(
        "Verify your email address for Studio",
        [
            f"Hello {user.name},",
            f"Follow this link to verify your email address{_starting_credits_words(user)}:",
            link_for(user),
            f"The link works for {link_age()}. If you did not sign up for Studio, ignore this email: "
            "nothing happens without the link.",
        ],
        user.email,
    )


def _tell_owner(user):
    """Someone signed up with an address that already has an account: its owner hears of it, by mail."""
    verify = (
        []
        if user.email_verified
        else [
            f"Your address is not verified yet. Follow this link to verify it{_starting_credits_words(user)} "
            f"(it works for {link_age()}):",
            link_for(user),
        ]
    )
    _mail(
        "You already have a Studio account",
        [
            f"Hello {user.name},",
            "Someone, maybe you, tried to create a Studio account with this email address. You already have "
            "one, so nothing new was made. Log in here:",
            settings.SITE_URL + reverse("login"),
            "Forgot your password? Choose a new one here:",
            settings.SITE_URL + reverse("password_reset"),
            *verify,
            "If it was not you, ignore this email: nobody can log in without your password.",
        ],
        user.email,
    )


def sign_up(form):
    """Creates the creator of a valid SignupForm and mails them their link, or, when the address has an
    account already, mails its owner instead. Returns the new creator, or None."""
    email = form.cleaned_data["email"]
    owner = User.objects.filter(email__iexact=email).first()
    if owner is None:
        try:
            user = form.save()
        except IntegrityError:  # the same address signed up a moment ago (a double click)
            owner = User.objects.filter(email__iexact=email).first()
        else:
            send_link(user)
            return user
    if owner is not None:
        make_password(form.cleaned_data["password1"])  # as long as a sign-up takes: the time tells nothing
        _tell_owner(owner)
    return None


def verify(token):
    """Verifies the address a link was sent to and grants the starting credits, once. Returns the
    creator and the credit entry (None when there was nothing to grant), or raises LinkRefused."""
    try:
        uid, sent, tag, signature = token.split(".")
        pk, sent_at = base36_to_int(uid), base36_to_int(sent)
    except ValueError:
        raise LinkRefused(BROKEN) from None
    if not constant_time_compare(_signature(uid, sent, tag), signature):
        raise LinkRefused(BROKEN)
    if time.time() - sent_at > settings.EMAIL_VERIFY_MAX_AGE:
        raise LinkRefused(EXPIRED.format(age=link_age()))
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None:
        raise LinkRefused(BROKEN)
    if _address_tag(user.email) != tag:
        raise LinkRefused(CHANGED)
    with transaction.atomic():
        if not user.mark_email_verified(user.email):
            raise LinkRefused(USED)
        return user, credits.welcome(user)
