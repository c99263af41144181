"""Generations for the library and sharing tests, with real playable MP4s and posters in storage.

One clip is rendered per test run with the sandbox's own renderer (about half a second) and copied
into storage for each video, so every video here plays in a real browser."""

import functools
import tempfile
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from catalog.models import CatalogModel
from generations.models import Generation
from lib import media
from sandbox import render


@functools.cache
def clip():
    """(mp4 bytes, poster jpeg bytes, facts) of a one-second 1280x720 clip."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "clip.mp4"
        render.render_video(path, width=1280, height=720, duration=1, prompt="A lighthouse at dusk", model="wan")
        info, poster = media.probe_video(str(path))
        return path.read_bytes(), poster, info


def make_generation(user, prompt="A windmill turning slowly", status=Generation.Status.RUNNING, model="wan", **extra):
    catalog = CatalogModel.objects.get(slug=model)
    return Generation.objects.create(
        user=user,
        model=catalog,
        prompt=prompt,
        full_prompt=prompt,
        duration=2,
        size="1280x720",
        status=status,
        cost=catalog.price(2, "1280x720"),
        **extra,
    )


def make_video(user, prompt="A lighthouse at dusk, waves rolling in", **extra):
    """A completed generation with its real video and poster in storage."""
    data, poster, info = clip()
    gen = make_generation(
        user, prompt=prompt, status=Generation.Status.COMPLETED, progress=100, finished_at=timezone.now(), **extra
    )
    gen.video = default_storage.save(f"videos/test/{gen.pk}.mp4", ContentFile(data))
    gen.poster = default_storage.save(f"posters/test/{gen.pk}.jpg", ContentFile(poster))
    gen.video_bytes, gen.video_width, gen.video_height, gen.video_seconds = (
        info["bytes"],
        info["width"],
        info["height"],
        info["seconds"],
    )
    gen.save()
    return gen
