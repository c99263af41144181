"""Problems only an operator can fix, shown at the top of every admin page until they go away.

One open alert per code: a repeat bumps its count rather than adding rows (or emails). The first
occurrence also emails the ADMINS. An alert resolves itself when the studio sees things work again,
or an operator resolves it in admin.
"""

import logging

from django.core.mail import mail_admins
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import OperatorAlert

log = logging.getLogger(__name__)

PIXAPI_ACCOUNT = "pixapi_account"
STORAGE_FULL = "storage_full"
DOWNLOADS = "downloads"

MESSAGES = {
    "InsufficientCredits": (
        "Pixapi refused to start videos: the studio's Pixapi account is out of credits. Top it up. Until then "
        "every new video fails at once, creators read that the studio cannot start videos right now, and their "
        "credits are returned."
    ),
    "AuthError": (
        "Pixapi refused the studio's API key (PIXAPI_API_KEY). Check the key and the account. Until then every "
        "new video fails at once and creators get their credits back."
    ),
}


def pixapi_account_refused(error):
    """Pixapi said the studio itself may not make videos (402 or a refused key)."""
    kind = type(error).__name__
    message = MESSAGES.get(kind, MESSAGES["InsufficientCredits"])
    return raise_alert(PIXAPI_ACCOUNT, message, detail=f"{kind} {error.http_status or ''} {error.message}".strip())


def storage_full(detail):
    """The disk (or the bucket's quota) is full: finished videos cannot be saved."""
    return raise_alert(
        STORAGE_FULL,
        "The studio ran out of disk space while saving a finished video (MEDIA_ROOT or DOWNLOAD_TEMP_DIR). Free "
        "some space. Until then finished videos fail, and creators get their credits back.",
        detail=detail,
    )


def download_failed(detail):
    """A finished video could not be saved: its file was damaged, or fetching it kept failing."""
    return raise_alert(
        DOWNLOADS,
        "A finished video could not be saved from Pixapi: its file was damaged, or fetching it kept failing. "
        "The creator got their credits back. If this repeats, check the workers' network and Pixapi's status.",
        detail=detail,
    )


def raise_alert(code, message, detail=""):
    """Opens an alert, or counts one more of an open one. Returns whether it was new."""
    now = timezone.now()
    bump = dict(times=F("times") + 1, last_seen=now, detail=detail[:2000])
    if OperatorAlert.objects.filter(code=code, resolved_at=None).update(**bump):
        return False
    try:
        with transaction.atomic():
            OperatorAlert.objects.create(
                code=code, message=message, detail=detail[:2000], first_seen=now, last_seen=now
            )
    except IntegrityError:  # opened a moment ago by another worker
        OperatorAlert.objects.filter(code=code, resolved_at=None).update(**bump)
        return False
    try:
        mail_admins(f"Studio alert: {message[:80]}", f"{message}\n\n{detail}")
    except Exception:  # the alert in admin is what matters; a mail server being down must not stop a worker
        log.exception("Could not email the admins about alert %s", code)
    return True


def resolve(code):
    return OperatorAlert.objects.filter(code=code, resolved_at=None).update(resolved_at=timezone.now())


def open_alerts():
    return OperatorAlert.objects.filter(resolved_at=None)
