"""Renders the front door's sample clips (studio/samples.py) into static/samples/ with the sandbox's
renderer: a clip and its poster each, small enough to commit (a slower x264 preset and a higher CRF
than the sandbox's own results, which favour speed). Run `.venv/bin/python bin/render_samples.py`.

A script of its own, outside both: the sandbox knows nothing of the studio, and the studio never
imports the sandbox."""

import os
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

import av

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from sandbox.render import FPS, render_video  # noqa: E402 (after the project is on the path)
from studio.samples import SAMPLES  # noqa: E402

CRF = "30"


def main(folder=ROOT / "static" / "samples"):
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
        print(f"{video.name}: {video.stat().st_size // 1024} KB, {poster.name}: {poster.stat().st_size // 1024} KB")


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


if __name__ == "__main__":
    main(*[Path(arg) for arg in sys.argv[1:2]])
