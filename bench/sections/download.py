"""A 200 MB result (a real H.264 file, served by a plain HTTP server on loopback) downloaded, checked and stored
by the worker's own download function in a fresh process: its peak memory growth; on disk and on S3 (moto's
server) when moto is installed.
"""

import json
import os
import subprocess
import sys
import threading
import time

import httpx

from bench.common import CACHE, ROOT, bench_user, free_port


def big_video(target=200_000_000):
    """A real H.264 MP4 of at least `target` bytes: noise frames, lossless, so nothing shrinks them."""
    import av
    from PIL import Image

    path = CACHE / "result-200mb.mp4"
    if path.exists() and path.stat().st_size >= target:
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    width, height = 1920, 1080
    with av.open(str(tmp), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=24, options={"crf": "0", "preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        written = 0
        while written < target:
            noise = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
            for packet in stream.encode(av.VideoFrame.from_image(noise)):
                written += packet.size
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    tmp.rename(path)
    return path


def serve_folder(folder):
    """A plain HTTP server on loopback for the big file (Pixapi's CDN stand-in)."""
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def start_moto():
    try:
        import moto  # noqa: F401
    except ImportError:
        return None, None
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(url + "/moto-api/", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    import boto3

    boto3.client(
        "s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="bench", aws_secret_access_key="bench"
    ).create_bucket(Bucket="bench-media")
    env = {
        "MEDIA_S3_BUCKET": "bench-media",
        "MEDIA_S3_ENDPOINT_URL": url,
        "MEDIA_S3_REGION": "us-east-1",
        "MEDIA_S3_ACCESS_KEY_ID": "bench",
        "MEDIA_S3_SECRET_ACCESS_KEY": "bench",
    }
    return process, env


def download(stack):
    from django.utils import timezone

    from generations.models import CatalogModel, Generation

    path = big_video()
    server = serve_folder(path.parent)
    user = bench_user("download@studio.local")
    moto, s3_env = start_moto()
    figures = {}
    try:
        for where, extra_env in [("disk", {}), ("s3", s3_env)]:
            if extra_env is None:
                continue
            gen = Generation.objects.create(
                user=user,
                model=CatalogModel.objects.get(slug="wan"),
                prompt=f"A big one ({where})",
                full_prompt="x",
                duration=2,
                size="1920x1080",
                status=Generation.Status.DOWNLOADING,
                progress=100,
                next_poll_at=timezone.now(),
                result_url=f"http://127.0.0.1:{server.server_port}/{path.name}",
                pixapi_task_id=f"bench-{where}",
            )
            out = subprocess.run(
                [sys.executable, str(ROOT / "bench" / "download_worker.py"), str(gen.pk)],
                cwd=ROOT,
                env={**stack.env, **extra_env},
                capture_output=True,
                text=True,
            )
            if out.returncode != 0:
                raise RuntimeError(f"The download worker failed:\n{out.stderr[-3000:]}")
            figures[where] = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        server.shutdown()
        if moto:
            moto.kill()
    disk = figures["disk"]
    result = {
        "bytes": disk["bytes"],
        "peak_rss_growth_mb": disk["peak_rss_growth_mb"],
        "seconds": disk["seconds"],
        "status": disk["status"],
    }
    if "s3" in figures:
        result.update(
            {
                "s3_peak_rss_growth_mb": figures["s3"]["peak_rss_growth_mb"],
                "s3_seconds": figures["s3"]["seconds"],
                "s3_status": figures["s3"]["status"],
            }
        )
    return result


EXPLAIN = [
    (
        "download",
        "peak_rss_growth_mb",
        "Worker memory growth storing a 200 MB result on disk; limit: 32 MB.",
        lambda v: v < 32,
    ),
    ("download", "s3_peak_rss_growth_mb", "The same, stored on S3 (moto's server); limit: 32 MB.", lambda v: v < 32),
]
