"""One library export streamed through the studio's own view, in a fresh process: prints its peak
memory growth and timing as JSON.

Usage (from bench/sections/export.py): python bench/export_worker.py <user id>, with the stack's environment.
The process warms up first (Django, the view, a one-video ZIP), then resets the kernel's peak-RSS
mark, so the growth measured is the streaming's own. The ZIP's bytes are counted and dropped, as a
web server hands them on to the browser.
"""

import json
import os
import sys
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


def main(user_id, warm_collection_id):
    import django

    django.setup()
    from urllib.parse import urlsplit

    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User

    client = Client(HTTP_HOST=urlsplit(settings.SITE_URL).netloc)
    client.force_login(User.objects.get(pk=user_id))
    url = reverse("library_export")
    warm = client.post(url, {"scope": "collection", "pk": warm_collection_id})
    for _ in warm.streaming_content:
        pass

    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    before = status_kb("VmRSS")
    began = time.monotonic()
    response = client.post(url)
    first_byte = None
    size = 0
    for chunk in response.streaming_content:
        if first_byte is None:
            first_byte = time.monotonic() - began
        size += len(chunk)
    seconds = time.monotonic() - began
    peak = status_kb("VmHWM")
    print(
        json.dumps(
            {
                "status": response.status_code,
                "zip_bytes": size,
                "seconds": round(seconds, 2),
                "first_byte_s": round(first_byte or 0, 3),
                "peak_rss_growth_mb": round((peak - before) / 1024, 1),
            }
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
