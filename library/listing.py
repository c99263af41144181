"""The creator's library: what they made, filtered, searched and paged by keyset.

A page is one query whatever the size of the library: rows come newest first by (created_at, id),
and the next page starts strictly after the last row shown (the cursor), so page 400 costs what
page 1 costs. A cursor names a moment and an id, not a kind of thing: when pictures join the
library, each kind pages by the same cursor and a page merges the newest of both.
"""

import uuid
from datetime import UTC, datetime, timedelta

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from catalog.models import CatalogModel
from generations.models import Collection, Generation, Shot, Storyboard, StoryboardExport
from lib.ids import parse_uuid

PAGE_SIZE = 24
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

STATUSES = {
    "ready": [Generation.Status.COMPLETED],
    "making": list(Generation.ACTIVE),
    "failed": [Generation.Status.FAILED, Generation.Status.CANCELED],
}
PERIODS = {"today": 0, "week": 7, "month": 30, "year": 365}
SHOWS = {
    "favourites": Q(favourite=True),
    "shared": Q(share_token__isnull=False),
    "gallery": Q(share_token__isnull=False, in_gallery=True),
    "set_aside": Q(set_aside=True),  # takes not kept: only here, out of every other view
}
NO_COLLECTION = "none"
STORYBOARDS = "storyboards"  # a card per board rather than per video
MAX_BOARDS = 200


# Reading


def video_models():
    return list(CatalogModel.objects.filter(kind=CatalogModel.Kind.VIDEO).only("slug", "name"))


def collections_for(user):
    """The creator's collections, each with how many videos it holds (one query)."""
    return list(Collection.objects.filter(user=user).annotate(size=Count("generations")).order_by("name"))


def counts_for(user):
    """How many videos in all (set-aside takes apart), favourites, shared, set aside: the side list's
    numbers, in one query."""
    return Generation.objects.for_user(user).aggregate(
        total=Count("pk", filter=Q(set_aside=False)),
        aside=Count("pk", filter=Q(set_aside=True)),
        favourites=Count("pk", filter=Q(favourite=True, set_aside=False)),
        shared=Count("pk", filter=Q(share_token__isnull=False, set_aside=False)),
        gallery=Count("pk", filter=Q(share_token__isnull=False, in_gallery=True, set_aside=False)),
    )


def storyboard_count(user):
    return Storyboard.objects.filter(user=user).count()


def storyboards_for(user):
    """The creator's boards, last changed first, each with its shots in order (`shots`, each with its chosen
    take), its ready exports newest first (`ready_exports`) and `poster`: the video whose poster stands for
    it (its latest ready export, else its first shot's chosen take when that is ready, else None).
    Three queries whatever the number of boards."""
    shots = Shot.objects.select_related("model", "chosen").order_by("position", "pk")
    ready = StoryboardExport.objects.filter(
        status=StoryboardExport.Status.READY, video__status=Generation.Status.COMPLETED
    ).select_related("video")
    boards = list(
        Storyboard.objects.filter(user=user)
        .order_by("-updated_at", "-pk")
        .prefetch_related(
            Prefetch("shots", queryset=shots), Prefetch("exports", queryset=ready, to_attr="ready_exports")
        )[:MAX_BOARDS]
    )
    for board in boards:
        first = next(iter(board.shots.all()), None)
        if board.ready_exports:
            board.poster = board.ready_exports[0].video
        elif first is not None and first.chosen is not None and first.chosen.is_completed:
            board.poster = first.chosen
        else:
            board.poster = None
    return boards


def filtered(user, values, model_ids, now=None):
    """The creator's generations narrowed by the filter values (from Filters.values())."""
    qs = Generation.objects.for_user(user)
    for word in values.get("q", "").split()[:8]:
        qs = qs.filter(prompt__icontains=word)
    if "status" in values:
        qs = qs.filter(status__in=STATUSES[values["status"]])
    if "model" in values:
        qs = qs.filter(model_id=model_ids[values["model"]])
    if "start" in values:
        qs = qs.filter(start=values["start"])
    if "when" in values:
        now = timezone.localtime(now or timezone.now())
        since = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=PERIODS[values["when"]])
        qs = qs.filter(created_at__gte=since)
    if values.get("show") in SHOWS:
        qs = qs.filter(SHOWS[values["show"]])
    if values.get("show") != "set_aside":
        qs = qs.filter(set_aside=False)
    if values.get("collection") == NO_COLLECTION:
        qs = qs.filter(collection__isnull=True)
    elif "collection" in values:
        qs = qs.filter(collection_id=int(values["collection"]))
    return qs


def page(queryset, cursor=None, size=PAGE_SIZE):
    """One page of `queryset`, newest first, after `cursor`: (rows, the next page's cursor or None)."""
    after = parse_cursor(cursor)
    if after:
        moment, pk = after
        # The redundant `created_at <= moment` lets the database walk the (user, created_at) index.
        queryset = queryset.filter(Q(created_at__lt=moment) | Q(created_at=moment, pk__lt=pk), created_at__lte=moment)
    rows = list(queryset.order_by("-created_at", "-pk")[: size + 1])
    if len(rows) > size:
        return rows[:size], make_cursor(rows[size - 1])
    return rows, None


def make_cursor(row):
    micros = (row.created_at - EPOCH) // timedelta(microseconds=1)
    return f"{micros}_{row.pk.hex}"


def parse_cursor(text):
    """(created_at, uuid) from a cursor, or None for a missing or mangled one (the first page)."""
    try:
        micros, hex_id = (text or "").split("_")
        return EPOCH + timedelta(microseconds=int(micros)), uuid.UUID(hex=hex_id)
    except (ValueError, OverflowError):
        return None


# Changing many at once


def set_favourite(user, ids, value):
    return Generation.objects.for_user(user).filter(pk__in=ids).update(favourite=value)


def move(user, ids, collection):
    """Into `collection` (one of the creator's), or out of any when it is None."""
    if collection is not None and collection.user_id != user.pk:
        raise ValueError("Not this creator's collection.")
    return Generation.objects.for_user(user).filter(pk__in=ids).update(collection=collection)


def delete(user, ids):
    """Deletes the creator's finished generations among `ids`, and their files once the rows are gone.

    Ones still being made are kept (a worker is busy with them): returns (deleted, kept)."""
    chosen = Generation.objects.for_user(user).filter(pk__in=ids)
    kept = chosen.filter(status__in=Generation.ACTIVE).count()
    with transaction.atomic():
        # Finished rows never change files again, so the names read here are the ones to remove.
        rows = list(chosen.exclude(status__in=Generation.ACTIVE).values_list("pk", "video", "poster"))
        doomed = Generation.objects.for_user(user).filter(pk__in=[pk for pk, _, _ in rows])
        deleted = doomed.delete()[1].get(Generation._meta.label, 0)
        files = [name for _, video, poster in rows for name in (video, poster) if name]
        transaction.on_commit(lambda: _delete_files(files))
    return deleted, kept


def _delete_files(names):
    for name in names:
        default_storage.delete(name)


def parse_ids(values, limit=500):
    """The valid ids among posted values (a bulk form may carry anything)."""
    return [pk for pk in map(parse_uuid, values[:limit]) if pk is not None]
