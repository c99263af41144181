"""The library export: a creator's 200 videos (each its own real MP4 and poster on disk) streamed as one ZIP
through the library's view in a fresh process (bench/export_worker.py): its peak memory growth while
streaming, its time to first byte and its time per video.
"""

import json
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from bench.common import ROOT, bench_user


def export(stack, count=200):
    """A creator's 200 videos (each its own real MP4 and poster on disk) exported through the view in a
    fresh process (bench/export_worker.py): its peak memory growth while streaming, and time per video."""
    from django.conf import settings
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from catalog.models import CatalogModel
    from generations.models import Collection, Generation
    from lib import media
    from sandbox import render

    clip = Path(stack.workdir) / "export-clip.mp4"
    render.render_video(str(clip), width=1280, height=720, duration=4, prompt="Export scene", model="wan")
    info, poster = media.probe_video(str(clip))
    user = bench_user("export@studio.local")
    warm = Collection.objects.create(user=user, name="Warm-up")
    wan = CatalogModel.objects.get(slug="wan")
    folder = Path(settings.MEDIA_ROOT) / "videos" / "bench-export"
    folder.mkdir(parents=True, exist_ok=True)
    poster_name = default_storage.save("posters/bench-export/poster.jpg", ContentFile(poster))
    now = timezone.now()
    rows = []
    for i in range(count):
        target = folder / f"{i}.mp4"
        shutil.copyfile(clip, target)  # a file of its own each: the export reads every byte of 200 videos
        rows.append(
            Generation(
                user=user,
                model=wan,
                prompt=f"Export scene number {i}",
                full_prompt="x",
                duration=4,
                size="1280x720",
                status=Generation.Status.COMPLETED,
                progress=100,
                created_at=now - timedelta(minutes=i),
                finished_at=now,
                video=f"videos/bench-export/{i}.mp4",
                poster=poster_name,
                video_bytes=info["bytes"],
                video_seconds=info["seconds"],
                video_width=info["width"],
                video_height=info["height"],
                collection=warm if i == 0 else None,  # the worker warms up on a one-video collection
            )
        )
    Generation.objects.bulk_create(rows)
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "export_worker.py"), str(user.pk), str(warm.pk)],
        cwd=ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise RuntimeError(f"The export worker failed:\n{out.stderr[-3000:]}")
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    return {
        "videos": count,
        "video_bytes": info["bytes"],
        **figures,
        "ms_per_video": round(figures["seconds"] * 1000 / count, 1),
        "mb_per_s": round(figures["zip_bytes"] / 1e6 / max(figures["seconds"], 0.001), 1),
    }


EXPLAIN = [
    (
        "export",
        "peak_rss_growth_mb",
        "Memory growth streaming a ZIP of 200 videos through the view; limit: 32 MB.",
        lambda v: v < 32,
    ),
    ("export", "ms_per_video", "Milliseconds per video in that ZIP (read, hashed, written; its sidecar).", None),
    ("export", "first_byte_s", "Seconds before the ZIP's first bytes leave.", None),
]
