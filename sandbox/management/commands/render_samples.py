"""Renders the front door's sample clips (studio/samples.py) into static/samples/ with the sandbox's
renderer: a clip and its poster each, small enough to commit (a slower x264 preset and a higher CRF
than the sandbox's own results, which favour speed)."""

import tempfile
from fractions import Fraction
from pathlib import Path

import av
from django.conf import settings
from django.core.management.base import BaseCommand

from sandbox.render import FPS, render_video
from studio.samples import SAMPLES

CRF = "30"


class Command(BaseCommand):
    help = "Renders the sample clips shown to visitors into static/samples/."

    def handle(self, *args, **options):
        folder = Path(settings.BASE_DIR) / "static" / "samples"
        folder.mkdir(parents=True, exist_ok=True)
        for sample in SAMPLES:
            with tempfile.TemporaryDirectory() as tmp:
                draft = Path(tmp) / "draft.mp4"
                render_video(
                    draft,
                    width=sample["width"],
                    height=sample["height"],
                    duration=sample["duration"],
                    prompt=sample["prompt"],
                    model="sample",
                    seed=sample["seed"],
                )
                video, poster = folder / f"{sample['name']}.mp4", folder / f"{sample['name']}.jpg"
                _compress(draft, video, poster)
            self.stdout.write(
                f"{video.name}: {video.stat().st_size // 1024} KB, {poster.name}: {poster.stat().st_size // 1024} KB"
            )


def _compress(source, target, poster):
    """Re-encodes `source` small into `target`, and saves its frame at one second as `poster`."""
    with (
        av.open(str(source)) as inp,
        av.open(str(target), "w", format="mp4", options={"movflags": "+faststart"}) as out,
    ):
        stream = out.add_stream("libx264", rate=FPS, options={"preset": "veryslow", "crf": CRF})
        src = inp.streams.video[0]
        stream.width, stream.height, stream.pix_fmt = src.width, src.height, "yuv420p"
        for index, frame in enumerate(inp.decode(src)):
            if index == FPS:
                frame.to_image().save(poster, "JPEG", quality=78, optimize=True, progressive=True)
            frame.pts, frame.time_base = index, Fraction(1, FPS)  # the draft's own clock would squeeze it
            for packet in stream.encode(frame.reformat(format="yuv420p")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
