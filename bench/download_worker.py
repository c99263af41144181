"""One download, as a cluster worker does it, in a fresh process: prints its peak memory growth as JSON.

Usage (from bench/sections/download.py): python bench/download_worker.py <generation id>, with the stack's environment.
The process first warms up (Django, PyAV, the Pixapi client, the storage), then resets the kernel's
peak-RSS mark, so the growth measured is the download's own: streaming, probing, the poster, storing.
"""

import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def status_kb(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"No {field} in /proc/self/status")


def main(generation_id):
    import django

    django.setup()
    import av  # noqa: F401
    from django.conf import settings
    from django.core.files import File
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from generations.models import Generation
    from lib import media
    from pixapi import client as pixapi
    from sandbox import render
    from worker import lifecycle

    pixapi.get_client()
    default_storage.delete(default_storage.save("bench/warm-up.txt", ContentFile(b"warm")))
    if settings.MEDIA_S3_BUCKET:  # a worker that has stored any video has done a multipart upload
        part = Path(tempfile.mkdtemp()) / "warm-up.bin"
        with open(part, "wb") as out:
            for _ in range(6):
                out.write(b"w" * (1024 * 1024))
        with open(part, "rb") as body:
            default_storage.delete(default_storage.save("bench/warm-up.bin", File(body)))
    # A worker that has stored any video has its codecs paged in: do one small video first.
    small = Path(tempfile.mkdtemp()) / "small.mp4"
    render.render_video(str(small), width=640, height=360, duration=1, prompt="Warm-up", model="wan")
    media.probe_video(str(small))
    Generation.objects.filter(pk=generation_id).exists()

    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    before = status_kb("VmRSS")
    began = time.monotonic()
    outcome = lifecycle.download(generation_id)
    seconds = time.monotonic() - began
    peak = status_kb("VmHWM")
    gen = Generation.objects.get(pk=generation_id)
    print(
        json.dumps(
            {
                "status": outcome,
                "bytes": gen.video_bytes,
                "seconds": round(seconds, 1),
                "peak_rss_growth_mb": round((peak - before) / 1024, 1),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
