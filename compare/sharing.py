"""A comparison's share link (the grid of its takes): the same rules as a video's (library.sharing)."""

from django.urls import reverse
from django.utils import timezone

from generations.models import Comparison, Generation
from lib.links import MAX_TOKEN_LENGTH, absolute, new_token


def share_comparison(comparison):
    """Turns the grid's link on (a new token only when it was off)."""
    Comparison.objects.filter(pk=comparison.pk, user=comparison.user_id, share_token__isnull=True).update(
        share_token=new_token(), shared_at=timezone.now()
    )
    comparison.refresh_from_db(fields=["share_token", "shared_at"])


def stop_sharing_comparison(comparison):
    """The grid's link stops working at once; sharing again makes a new one."""
    Comparison.objects.filter(pk=comparison.pk, user=comparison.user_id).update(share_token=None, shared_at=None)
    comparison.share_token = comparison.shared_at = None


def shared_comparison(token):
    """The comparison behind a token, or None for an unknown or revoked one."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return Comparison.objects.select_related("user").filter(share_token=token, user__is_active=True).first()


def shared_takes(comparison, most=6):
    """What a comparison's public grid shows: its finished takes, nothing else, each with its `number`
    (its place among all the comparison's takes, from 1: what its public file is named by)."""
    takes = list(comparison.takes.select_related("model").order_by("created_at", "pk")[:most])
    for number, take in enumerate(takes, 1):
        take.number = number
    return [take for take in takes if take.status == Generation.Status.COMPLETED and take.video]


def comparison_share_url(comparison):
    return absolute(reverse("shared_comparison", args=[comparison.share_token]))
