"""A storyboard's shots (5 s each, 1280x720 at 24 fps, rendered once by the sandbox and kept in
var/bench/storyboard/) stitched into one MP4 by storyboards.stitching in a fresh process
(bench/stitch_worker.py): seconds of video written per second of wall time for 6 shots copied as they are
(remux) and for the same 6 shots each trimmed by 0.2 s (re-encoded); the worker's peak memory growth
re-encoding a 30 s and a 60 s board (it must stay flat, whatever the length).
"""

import json
import subprocess
import sys
from pathlib import Path

from bench.common import CACHE, ROOT


def storyboard_shots(count=6, width=1280, height=720, seconds=5):
    """The sandbox's own videos, rendered once and kept: each shot a scene of its own."""
    from sandbox import render

    folder = CACHE / "storyboard"
    folder.mkdir(parents=True, exist_ok=True)
    shots = []
    for i in range(count):
        path = folder / f"shot-{i}-{width}x{height}-{seconds}s.mp4"
        if not path.exists():
            tmp = path.with_suffix(".tmp.mp4")
            render.render_video(
                str(tmp), width=width, height=height, duration=seconds, prompt=f"Storyboard shot {i}", seed=i
            )
            tmp.rename(path)
        shots.append(str(path))
    return shots


def stitch_in_worker(workdir, parts, width=1280, height=720):
    warm = CACHE / "storyboard" / "warm.mp4"
    if not warm.exists():
        from sandbox import render

        render.render_video(str(warm), width=width, height=height, duration=1, prompt="Warm-up")
    job = {"parts": parts, "out": str(workdir / "board.mp4"), "width": width, "height": height, "warm": str(warm)}
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "stitch_worker.py"), json.dumps(job)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise RuntimeError(f"The stitch worker failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def storyboard_export(stack):
    """Remux and re-encode speed for a 30 s board; the re-encoding worker's memory for 30 s and 60 s."""
    shots = storyboard_shots()
    workdir = Path(stack.workdir)
    remux = stitch_in_worker(workdir, [{"path": shot} for shot in shots])
    trimmed = [{"path": shot, "head": 0.2} for shot in shots]
    reencode = stitch_in_worker(workdir, trimmed)
    long_board = stitch_in_worker(workdir, trimmed * 2)
    if (remux["mode"], reencode["mode"], long_board["mode"]) != ("remux", "reencode", "reencode"):
        raise RuntimeError(f"Unexpected modes: {remux['mode']}, {reencode['mode']}, {long_board['mode']}")
    return {
        "shots": len(shots),
        "shot": "5 s, 1280x720, 24 fps",
        "remux_video_s_per_s": remux["video_s_per_s"],
        "remux_video_s": remux["video_s"],
        "remux_wall_s": remux["wall_s"],
        "reencode_video_s_per_s": reencode["video_s_per_s"],
        "reencode_video_s": reencode["video_s"],
        "reencode_wall_s": reencode["wall_s"],
        "reencode_encoder": reencode["encoder"],
        "peak_rss_growth_mb_30s": reencode["peak_rss_growth_mb"],
        "peak_rss_growth_mb_60s": long_board["peak_rss_growth_mb"],
        "remux_peak_rss_growth_mb": remux["peak_rss_growth_mb"],
        "video_s_60s": long_board["video_s"],
        "wall_s_60s": long_board["wall_s"],
    }


EXPLAIN = [
    (
        "storyboard_export",
        "remux_video_s_per_s",
        "Seconds of video written per second stitching 6 shots of 5 s at 720p copied as they are.",
        None,
    ),
    (
        "storyboard_export",
        "reencode_video_s_per_s",
        "The same with each shot trimmed by 0.2 s (decoded, fitted and encoded again).",
        None,
    ),
    (
        "storyboard_export",
        "peak_rss_growth_mb_60s",
        "Worker memory growth re-encoding a 60 s board; limit: under 64 MB.",
        lambda v: v < 64,
    ),
    (
        "storyboard_export",
        "peak_rss_growth_mb_30s",
        "The same for a 30 s board; limit: the 60 s board's within 8 MB (flat, whatever the length).",
        lambda v, r: abs(r["storyboard_export"]["peak_rss_growth_mb_60s"] - v) <= 8,
    ),
]
