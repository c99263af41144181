"""A creator's work as one ZIP: each video, its poster, its input picture and a JSON sidecar
(docs/export.md; the sidecar's schema is docs/export-video.schema.json, also put in every ZIP).

The ZIP is written as it is read (zipstream-ng, ZIP64 when needed): files are read from storage in
chunks, a few videos at a time, so memory stays flat whatever the size. A small export streams to the
browser; a large one (past EXPORT_STREAM_MAX_VIDEOS or _BYTES) is written to storage by a task, and
the creator is mailed a signed link that only they can open, until it expires.

An export's scope is a kind and an owner-scoped lookup (SCOPES): the library, a collection, a
comparison (its takes, the keeper marked in each sidecar), a storyboard (every take of its shots, the
chosen ones marked, and every export video of it with the parts it was stitched from).
"""

import hashlib
import io
import json
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone
from zipstream import ZIP_DEFLATED, ZIP_STORED, ZipStream

from accounts.models import CreditEntry, User
from generations import taskqueue
from generations.models import Collection, Comparison, Generation, LibraryExport, Shot, Storyboard

SCHEMA_ID = "https://studio.local/schemas/export-video/1"
SCHEMA_PATH = Path(settings.BASE_DIR) / "docs" / "export-video.schema.json"
CHUNK = 256 * 1024
BATCH = 20  # videos whose entries are queued at once: the files they open, and little else
EXPORTS_DIR = "exports"
SIGNING_SALT = "library.export.link"


class Scope:
    """What one export holds: a title for the file name and the creator's generations in it."""

    def __init__(self, kind, title, generations, pk=None):
        self.kind, self.title, self.generations, self.pk = kind, title, generations, pk

    def totals(self):
        found = self.generations.aggregate(count=Count("pk"), bytes=Sum("video_bytes"))
        return found["count"], found["bytes"] or 0

    def is_large(self):
        count, size = self.totals()
        return count > settings.EXPORT_STREAM_MAX_VIDEOS or size > settings.EXPORT_STREAM_MAX_BYTES


def _library(user, pk):
    return Scope("library", "library", Generation.objects.for_user(user))


def _collection(user, pk):
    collection = (
        Collection.objects.filter(user=user, pk=pk).first() if str(pk).isdigit() and len(str(pk)) < 19 else None
    )
    if collection is None:
        return None
    return Scope("collection", collection.name, Generation.objects.for_user(user).filter(collection=collection), pk)


def _comparison(user, pk):
    comparison = (
        Comparison.objects.filter(user=user, pk=pk).first() if str(pk).isdigit() and len(str(pk)) < 19 else None
    )
    if comparison is None:
        return None
    return Scope(
        "comparison", comparison.prompt[:40], Generation.objects.for_user(user).filter(comparison=comparison), pk
    )


def _storyboard(user, pk):
    board = Storyboard.objects.filter(user=user, pk=pk).first() if str(pk).isdigit() and len(str(pk)) < 19 else None
    if board is None:
        return None
    takes_and_exports = Q(shot__storyboard=board) | Q(storyboard_export__storyboard=board)
    return Scope("storyboard", board.title, Generation.objects.for_user(user).filter(takes_and_exports), pk)


SCOPES = {"library": _library, "collection": _collection, "comparison": _comparison, "storyboard": _storyboard}


def scope_for(user, kind, pk=None):
    """The export of `kind` (and `pk`) of this creator's own, or None: nobody else's is ever found."""
    find = SCOPES.get(kind)
    scope = find(user, pk) if find else None
    if scope is not None:
        # Videos still being made have nothing final to export yet.
        scope.generations = scope.generations.finished().select_related(
            "model", "input_picture", "collection", "comparison", "shot__storyboard", "storyboard_export__storyboard"
        )
    return scope


def file_name(scope, now=None):
    words = "".join(c if c.isalnum() else "-" for c in scope.title.lower()[:40]).strip("-") or scope.kind
    while "--" in words:
        words = words.replace("--", "-")
    return f"studio-{words}-{(now or timezone.now()):%Y%m%d-%H%M}.zip"


# Writing the ZIP


def stream(scope, now=None):
    """The ZIP's bytes, as they are made."""
    now = now or timezone.now()
    top = file_name(scope, now).removesuffix(".zip")
    zs = ZipStream(compress_type=ZIP_STORED)  # videos and pictures are compressed already
    zs.add(_index(scope, top, now), f"{top}/index.json", compress_type=ZIP_DEFLATED)
    zs.add(SCHEMA_PATH.read_bytes(), f"{top}/export-video.schema.json", compress_type=ZIP_DEFLATED)
    yield from zs.all_files()
    for batch in _batches(scope.generations):
        held = _credits_for(batch)
        boards = _storyboards_for(batch)
        for gen in batch:
            _add_generation(zs, f"{top}/{folder_for(gen)}", gen, held.get(str(gen.pk), {}), boards.get(gen.pk))
        yield from zs.all_files()  # the batch's files, read and written now; their handles closed
    yield from zs.finalize()


def _batches(queryset):
    batch = []
    for gen in queryset.order_by("created_at", "pk").iterator(chunk_size=BATCH * 5):
        batch.append(gen)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def folder_for(gen):
    return f"{gen.created_at:%Y%m%d-%H%M%S}-{str(gen.pk)[:8]}"


def _add_generation(zs, folder, gen, held, storyboard=None):
    files = {}
    if gen.video:
        files["video"] = _StoredFile(gen.video.name, f"{folder}/video.mp4")
    if gen.poster:
        files["poster"] = _StoredFile(gen.poster.name, f"{folder}/poster.jpg")
    picture = gen.input_picture
    if picture is not None and picture.image:
        suffix = Path(picture.image.name).suffix.lower() or ".jpg"
        files["input"] = _StoredFile(picture.image.name, f"{folder}/input{suffix}")
    for stored in files.values():
        zs.add(stored, stored.arcname)
    # Written after its files, so it carries the hashes of the very bytes just put in the ZIP.
    zs.add(
        _Later(lambda: json.dumps(sidecar(gen, files, held, storyboard), indent=2).encode()),
        f"{folder}/video.json",
        compress_type=ZIP_DEFLATED,
    )


class _StoredFile:
    """A stored file read in chunks when the ZIP reaches it, hashed on the way."""

    def __init__(self, name, arcname):
        self.name, self.arcname = name, arcname
        self.sha256 = hashlib.sha256()
        self.bytes = 0
        self.missing = False

    def __iter__(self):
        try:
            handle = default_storage.open(self.name, "rb")
        except (FileNotFoundError, OSError):
            self.missing = True  # gone from storage: an empty entry, and the sidecar says so
            return
        with handle:
            while chunk := handle.read(CHUNK):
                self.sha256.update(chunk)
                self.bytes += len(chunk)
                yield chunk

    def facts(self):
        if self.missing:
            return {"file": None, "missing": True}
        return {"file": self.arcname.split("/")[-1], "sha256": self.sha256.hexdigest(), "bytes": self.bytes}


class _Later:
    def __init__(self, make):
        self.make = make

    def __iter__(self):
        yield self.make()


def _credits_for(batch):
    """{generation id: {"held": .., "charged": .., "returned": .., "refunded": ..}} for a batch, in one query."""
    names = {"hold": "held", "charge": "charged", "release": "returned", "refund": "refunded"}  # the ledger's kinds
    references = {f"generation:{gen.pk}": str(gen.pk) for gen in batch}
    found: dict[str, dict[str, str]] = {}
    entries = CreditEntry.objects.filter(
        user_id=batch[0].user_id, reference__in=references, kind__in=names
    ).values_list("reference", "kind", "amount")
    for reference, kind, amount in entries:
        found.setdefault(references[reference], {})[names[kind]] = str(abs(amount))
    return found


def _time(value):
    return value.isoformat() if value else None


def sidecar(gen, files, held, storyboard=None):
    """One video's facts (docs/export.md); `storyboard` from _storyboards_for."""
    video = files.get("video")
    picture = gen.input_picture
    return {
        "$schema": SCHEMA_ID,
        "id": str(gen.pk),
        "status": gen.status,
        "title": gen.title or None,
        "prompt": gen.prompt,
        "full_prompt": gen.full_prompt,
        "style": gen.style or None,
        "camera": gen.camera or None,
        "model": {"slug": gen.model.slug, "name": gen.model.name},
        "start": gen.start,
        "duration_requested": gen.duration,
        "size_requested": gen.size,
        "video": None
        if video is None
        else {
            **video.facts(),
            "seconds": gen.video_seconds,
            "width": gen.video_width,
            "height": gen.video_height,
        },
        "poster": files["poster"].facts() if "poster" in files else None,
        "inputs": []
        if picture is None
        else [
            {
                "kind": "picture",
                "id": str(picture.pk),
                "origin": picture.origin,
                "name": picture.name,
                "width": picture.width,
                "height": picture.height,
                "fit": gen.fit,
                **(files["input"].facts() if "input" in files else {"file": None, "missing": True}),
            }
        ],
        "lineage": {
            "made_again_from": str(gen.source_id) if gen.source_id else None,
            "frame_of": str(picture.from_generation_id) if picture and picture.from_generation_id else None,
        },
        "credits": {
            "price": str(gen.cost),
            "held": held.get("held", "0.00"),
            "charged": held.get("charged", "0.00"),
            "returned": held.get("returned", "0.00"),
            "refunded": held.get("refunded", "0.00"),
        },
        "timings": {
            "created_at": _time(gen.created_at),
            "submitted_at": _time(gen.submitted_at),
            "started_at": _time(gen.started_at),
            "finished_at": _time(gen.finished_at),
            "seconds_to_make": gen.elapsed_seconds() if gen.finished_at else None,
        },
        "share": {
            "shared": bool(gen.share_token),
            "shared_at": _time(gen.shared_at),
            "shows_prompt": gen.share_prompt,
            "in_gallery": gen.in_gallery,
            "featured": gen.featured,
        },
        "library": {"favourite": gen.favourite, "collection": gen.collection.name if gen.collection_id else None},
        "comparison": _comparison_facts(gen),
        "storyboard": storyboard,
        "error": {"code": gen.error_code, "message": gen.error_message} if not gen.is_completed else None,
    }


def _comparison_facts(gen):
    """Which comparison a take belongs to, and whether it was the keeper or set aside; None for other videos."""
    if not gen.comparison_id:
        return None
    return {
        "id": gen.comparison_id,
        "kept": gen.comparison.keeper_id == gen.pk,
        "set_aside": gen.set_aside,
    }


def _storyboards_for(batch):
    """{generation id: its storyboard facts} for the takes of shots and the export videos in a batch: a take's
    board, shot number (its place on the board now) and whether it is the shot's chosen take; an export's
    board, version and parts. One query for the shots' places, whatever the batch."""
    found: dict[UUID, dict[str, Any]] = {}
    boards: dict[int, dict[int, int]] = {}
    takes = [gen for gen in batch if gen.shot_id and gen.shot is not None]
    if takes:
        board_ids = {gen.shot.storyboard_id for gen in takes}
        for board_id, shot_id in Shot.objects.filter(storyboard_id__in=board_ids).values_list("storyboard_id", "pk"):
            numbers = boards.setdefault(board_id, {})
            numbers[shot_id] = len(numbers) + 1  # Shot's own ordering: position, then pk
    for gen in takes:
        board = gen.shot.storyboard
        found[gen.pk] = {
            "id": board.pk,
            "title": board.title,
            "shot": boards[board.pk][gen.shot_id],
            "chosen": gen.shot.chosen_id == gen.pk,
        }
    for gen in batch:
        made = getattr(gen, "storyboard_export", None)
        if made is not None:
            board = made.storyboard
            found[gen.pk] = {"id": board.pk, "title": board.title, "version": made.version, "parts": made.parts}
    return found


def _index(scope, top, now):
    """index.json, written from the rows as they are read: one line per video."""
    head = {"format": "studio-export/1", "exported_at": now.isoformat(), "scope": scope.kind, "title": scope.title}
    yield json.dumps(head)[:-1].encode() + b', "videos": [\n'
    first = True
    for gen in scope.generations.order_by("created_at", "pk").iterator(chunk_size=500):
        folder = folder_for(gen)
        line = json.dumps(
            {
                "id": str(gen.pk),
                "folder": folder,
                "sidecar": f"{folder}/video.json",
                "status": gen.status,
                "prompt": gen.prompt,
                "model": gen.model.slug,
                "created_at": gen.created_at.isoformat(),
            }
        )
        yield (b"" if first else b",\n") + line.encode()
        first = False
    yield b"\n]}\n"


# Large exports: written to storage by a task, fetched by a signed link


def enqueue_export(user, scope):
    """(the export, True) when a new one is queued; (the one being made, False) when the creator has one
    already: each holds a worker for up to EXPORT_TASK_SECONDS, so a creator has one at a time."""
    now = timezone.now()
    # One whose task died (killed past its time-out) no longer blocks the next.
    dead = now - timedelta(seconds=settings.EXPORT_TASK_SECONDS * 2)
    LibraryExport.objects.filter(user=user, status=LibraryExport.Status.MAKING, created_at__lt=dead).update(
        status=LibraryExport.Status.FAILED, finished_at=now
    )
    try:
        with transaction.atomic():
            made = LibraryExport.objects.create(
                user=user, kind=scope.kind, scope_pk=str(scope.pk or ""), title=scope.title[:200], created_at=now
            )
    except IntegrityError:
        running = LibraryExport.objects.filter(user=user, status=LibraryExport.Status.MAKING).first()
        if running is not None:
            return running, False
        raise
    taskqueue.enqueue(taskqueue.EXPORT, user.pk, scope.kind, scope.pk, made.pk)
    return made, True


def export_to_storage(user_id, kind, pk=None, export_id=None):
    user = User.objects.filter(pk=user_id).first()
    scope = scope_for(user, kind, pk) if user else None
    made = LibraryExport.objects.filter(pk=export_id, user_id=user_id).first() if export_id else None
    if user is None or scope is None:
        if made:
            made.finish(LibraryExport.Status.FAILED)
        return "nothing to export"
    # The broker may hand a long task out again while it still runs: one run per export at a time.
    running = f"export-running:{user.pk}:{kind}:{pk}"
    if not cache.add(running, 1, settings.EXPORT_TASK_SECONDS):
        return "already running"
    try:
        name = _export_to_storage(user, scope)
    except Exception:
        if made:
            made.finish(LibraryExport.Status.FAILED)
        raise
    finally:
        cache.delete(running)
    if made:
        made.finish(LibraryExport.Status.READY, name)
    return name


def _export_to_storage(user, scope):
    remove_expired()
    now = timezone.now()
    name = f"{EXPORTS_DIR}/{user.pk}/{now:%Y%m%d%H%M%S}-{secrets.token_hex(8)}.zip"
    name = default_storage.save(name, File(io.BufferedReader(_IterReader(stream(scope, now)), CHUNK), name=name))
    link = settings.SITE_URL + reverse("export_download", args=[link_token(user, name)])
    hours = settings.EXPORT_LINK_HOURS
    send_mail(
        "Your studio export is ready",
        f"Your export of your {scope.kind if scope.kind == 'library' else scope.kind + ' ' + scope.title} is ready:\n\n"
        f"{link}\n\nThe link works for {hours} hours, and only when you are logged in.\n",
        None,
        [user.email],
    )
    return name


class _IterReader(io.RawIOBase):
    """A read-only file over an iterator of bytes, for storages that read a file in pieces."""

    def __init__(self, chunks):
        self.chunks, self.left = iter(chunks), b""

    def readable(self):
        return True

    def readinto(self, buffer):
        while not self.left:
            chunk = next(self.chunks, None)
            if chunk is None:
                return 0
            self.left = chunk
        n = min(len(buffer), len(self.left))
        buffer[:n], self.left = self.left[:n], self.left[n:]
        return n


def link_token(user, name):
    return signing.dumps({"u": user.pk, "n": name}, salt=SIGNING_SALT, compress=True)


def stored_export_for(user, token):
    """The stored export's name if the token is good, not expired and `user`'s own; else None."""
    try:
        data = signing.loads(token, salt=SIGNING_SALT, max_age=settings.EXPORT_LINK_HOURS * 3600)
    except signing.BadSignature:
        return None
    name = data.get("n", "")
    if data.get("u") != user.pk or not name.startswith(f"{EXPORTS_DIR}/{user.pk}/") or ".." in name:
        return None
    return name if default_storage.exists(name) else None


def remove_expired(now=None):
    """Deletes stored exports older than their links, and the rows of finished ones (the hourly schedule
    runs it, and so does each new export before it is written)."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.EXPORT_LINK_HOURS)
    LibraryExport.objects.exclude(status=LibraryExport.Status.MAKING).filter(finished_at__lt=cutoff).delete()
    try:
        folders, _ = default_storage.listdir(EXPORTS_DIR)
    except (FileNotFoundError, OSError):
        return 0
    removed = 0
    for folder in folders:
        for name in default_storage.listdir(f"{EXPORTS_DIR}/{folder}")[1]:
            try:
                made = datetime.strptime(name[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
            except ValueError:
                continue
            if made < cutoff:
                default_storage.delete(f"{EXPORTS_DIR}/{folder}/{name}")
                removed += 1
    return removed
