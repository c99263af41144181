"""One storyboard stitched in a fresh process: prints its mode, timing and peak memory growth as JSON.

Usage (from bench/sections/storyboard_export.py): python bench/stitch_worker.py '<json>', the JSON holding
"parts" (a list of {"path", "head", "tail", "crossfade"}), "out", "width", "height" and "warm" (a small
clip). The process warms up first (PyAV, libx264, one short stitch of the small clip copied and encoded),
then resets the kernel's peak-RSS mark, so the growth measured (VmHWM after the stitch over VmRSS before
it) is the stitch's own. Not ru_maxrss: every thread that exits (the warm-up's encoder and decoder
threads) folds the peak of its day into it, which /proc/self/clear_refs cannot reset.
"""

import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def status_kb(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"No {field} in /proc/self/status")


def main(job):
    from storyboards.stitching import ENCODER, Part, stitch

    with tempfile.TemporaryDirectory() as scratch:
        warm = Part(job["warm"])
        out = os.path.join(scratch, "warm.mp4")
        stitch([warm, warm], out, width=job["width"], height=job["height"])
        stitch([warm, Part(job["warm"], head=0.1)], out, width=job["width"], height=job["height"])

    parts = [Part(**part) for part in job["parts"]]
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    before = status_kb("VmRSS")
    began = time.monotonic()
    result = stitch(parts, job["out"], width=job["width"], height=job["height"])
    wall = time.monotonic() - began
    peak = status_kb("VmHWM")
    print(
        json.dumps(
            {
                "mode": result["mode"],
                "video_s": result["seconds"],
                "frames": result["frames"],
                "wall_s": round(wall, 2),
                "video_s_per_s": round(result["seconds"] / max(wall, 0.001), 1),
                "peak_rss_growth_mb": round((peak - before) / 1024, 1),
                "bytes": os.path.getsize(job["out"]),
                "encoder": " ".join(f"{name}={value}" for name, value in ENCODER.items()),
            }
        )
    )


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
