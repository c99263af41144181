"""Exporting a storyboard: its chosen takes, trimmed, in order, stitched into one video (storyboards.stitching)
and stored as a Generation like any other, with the export row as its lineage.

A task claims the export with a lease; a worker killed mid-stitch leaves it to the housekeeping, which
hands it out again (EXPORT_ATTEMPTS in all) and then ends it in plain words. Nothing is charged.
"""

import logging
import os
import shutil
import tempfile
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from generations import taskqueue
from generations.models import Generation, StoryboardExport
from lib import media
from storyboards import stitching
from webhooks import events as webhook_events

log = logging.getLogger(__name__)

EXPORT_ATTEMPTS = 3
UNCLAIMED_SECONDS = 60  # an export nobody took this long after it was asked for is handed out again


def run(export_id):
    export = StoryboardExport.objects.select_related("storyboard__user").filter(pk=export_id).first()
    if export is None or not export.claim(settings.EXPORT_TASK_SECONDS):
        return "not making"
    board = export.storyboard
    takes = {str(g.pk): g for g in Generation.objects.filter(pk__in=[p["take"] for p in export.parts])}
    if any(takes.get(p["take"]) is None or not takes[p["take"]].video for p in export.parts):
        export.mark_failed("A shot's chosen take was deleted meanwhile. Choose another take and export again.")
        return "take gone"
    size = board.video_size
    names = []
    with ExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory(dir=settings.DOWNLOAD_TEMP_DIR))
        try:
            parts = []
            for i, part in enumerate(export.parts):
                path = Path(folder) / f"part-{i}.mp4"
                video = takes[part["take"]].video.name  # every take has one: checked above
                with default_storage.open(video, "rb") as source, open(path, "wb") as copy:  # type: ignore[arg-type]
                    shutil.copyfileobj(source, copy, 1024 * 1024)
                parts.append(
                    stitching.Part(
                        str(path),
                        head=part["head"],
                        tail=part["tail"],
                        crossfade=part["transition"] == "crossfade",
                    )
                )
            out = os.path.join(folder, "export.mp4")
            result = stitching.stitch(parts, out, width=size.width, height=size.height)
            info, poster = media.probe_video(out)
            base = f"exports/{timezone.now():%Y/%m}/{board.pk}-v{export.version}"
            with open(out, "rb") as f:
                names.append(default_storage.save(f"{base}.mp4", File(f)))
            names.append(default_storage.save(f"{base}.jpg", media.bytes_file(poster)))
        except stitching.StitchError as e:
            export.mark_failed(f"The export could not be made: {e}")
            return "failed"
        except Exception:
            log.exception("Export %s of storyboard %s failed", export.version, board.pk)
            _remove(names)
            if export.attempts + 1 >= EXPORT_ATTEMPTS:
                export.mark_failed("The export could not be made. Try again in a moment; nothing was charged.")
            else:
                StoryboardExport.objects.filter(pk=export.pk).update(lease_until=timezone.now())
            return "retry"
    video = _store(export, board, names, info, result)
    if video is None:
        _remove(names)
        return "changed meanwhile"
    webhook_events.storyboard_exported(export, board, video)
    return "ready"


def _store(export, board, names, info, result):
    first = Generation.objects.select_related("model").get(pk=export.parts[0]["take"])
    now = timezone.now()
    with transaction.atomic():
        video = Generation.objects.create(
            user=board.user,
            model=first.model,
            prompt=board.title,
            full_prompt=f"Storyboard export: {board.title}, version {export.version}",
            duration=max(1, min(round(info["seconds"]), 32767)),
            size=board.size,
            cost=0,
            status=Generation.Status.COMPLETED,
            progress=100,
            video=names[0],
            poster=names[1],
            video_bytes=info["bytes"],
            video_width=info["width"],
            video_height=info["height"],
            video_seconds=info["seconds"],
            created_at=export.created_at,
            finished_at=now,
            updated_at=now,
        )
        if not export.mark_ready(video, result["mode"]):
            transaction.set_rollback(True)
            return None
    return video


def _remove(names):
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            log.warning("Could not remove %s", name)


def housekeeping(now):
    """Exports a killed worker left behind, or that nobody took, go out again; past their tries, they end."""
    making = StoryboardExport.objects.filter(status=StoryboardExport.Status.MAKING)
    stale = making.filter(
        Q(lease_until__lt=now) | Q(lease_until__isnull=True, created_at__lt=now - timedelta(seconds=UNCLAIMED_SECONDS))
    )
    for export in stale[:20]:
        if export.attempts >= EXPORT_ATTEMPTS:
            export.mark_failed("The export stopped before it was finished. Try again; nothing was charged.")
        elif making.filter(pk=export.pk, lease_until=export.lease_until).update(lease_until=None):
            taskqueue.enqueue(taskqueue.EXPORT_STORYBOARD, export.pk)
