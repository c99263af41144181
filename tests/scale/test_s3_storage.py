"""Media on an S3-compatible store: moto's server over real HTTP, the sandbox through live_server."""

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from catalog.models import CatalogModel
from generations.models import Generation
from generations.starting import start_generation
from lib import media
from lib.s3 import MediaS3Storage
from tests.conftest import ROOT
from tests.scale.conftest import bucket_keys
from worker import lifecycle, sweeper


def drive(gen, queue, timeout=40):
    """Runs the submit, poll rounds and the download in this process until the generation ends."""
    deadline = time.monotonic() + timeout
    with ThreadPoolExecutor(4) as pool:
        while time.monotonic() < deadline:
            while queue:
                name, args = queue.pop(0)
                if name == "submit_generation":
                    lifecycle.submit(*args)
                elif name == "download_result":
                    lifecycle.download(*args)
            sweeper.poll_once(pool, 10)
            gen.refresh_from_db()
            if gen.status in Generation.FINISHED:
                return gen
            time.sleep(0.2)
    raise AssertionError(f"Generation stayed {gen.status} for {timeout} s")


@pytest.mark.django_db(transaction=True)
def test_a_finished_video_is_stored_in_the_bucket_and_plays_with_seeking(
    client, owner, outsider, s3_media, sandbox_url, settings, queue, tmp_path
):
    settings.PIXAPI_SANDBOX_SECONDS = 1.5
    settings.PIXAPI_SANDBOX_DIR = tmp_path / "sandbox"
    gen, _ = start_generation(
        owner,
        model=CatalogModel.objects.get(slug="wan"),
        prompt="A kite over the dunes",
        duration=2,
        size="1280x720",
    )
    gen = drive(gen, queue)
    assert gen.status == Generation.Status.COMPLETED, gen.error_detail

    assert isinstance(default_storage._wrapped, MediaS3Storage)
    assert bucket_keys(s3_media) == sorted([gen.video.name, gen.poster.name])
    stored = s3_media["client"].get_object(Bucket=s3_media["name"], Key=gen.video.name)["Body"].read()
    assert len(stored) == gen.video_bytes
    local = tmp_path / "check.mp4"
    local.write_bytes(stored)
    info, _ = media.probe_video(str(local))
    assert (info["width"], info["height"]) == (1280, 720)

    client.force_login(owner)
    url = reverse("generation_video", args=[gen.pk])
    whole = client.get(url)
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes"
    assert b"".join(whole.streaming_content) == stored
    middle = client.get(url, HTTP_RANGE="bytes=1000-1999")
    assert middle.status_code == 206
    assert middle["Content-Range"] == f"bytes 1000-1999/{len(stored)}"
    assert b"".join(middle.streaming_content) == stored[1000:2000]
    tail = client.get(url, HTTP_RANGE="bytes=-300")
    assert b"".join(tail.streaming_content) == stored[-300:]
    poster = client.get(reverse("generation_poster", args=[gen.pk]))
    assert poster.status_code == 200 and b"".join(poster.streaming_content)[:2] == b"\xff\xd8"

    page = client.get(reverse("dashboard")).content.decode()
    assert url in page
    assert s3_media["env"]["MEDIA_S3_ENDPOINT_URL"] not in page  # the bucket is never shown

    client.force_login(outsider)
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_a_range_read_fetches_only_the_bytes_asked_for(s3_media):
    """Seeking in a big video must not pull the whole object through the web server."""
    data = os.urandom(3 * 1024 * 1024)
    name = default_storage.save("videos/big.mp4", ContentFile(data))
    fetched = []
    client = default_storage._wrapped.connection.meta.client
    client.meta.events.register(
        "after-call.s3.GetObject",
        lambda http_response, **kw: fetched.append(int(http_response.headers["content-length"])),
    )

    handle = default_storage.open(name)
    handle.seek(len(data) - 4096)
    assert handle.read(4096) == data[-4096:]
    handle.seek(1_000_000)
    assert handle.read(10) == data[1_000_000:1_000_010]
    handle.close()
    assert fetched[0] == 4096

    assert default_storage.size(name) == len(data)
    assert default_storage.open(name).read() == data


@pytest.mark.django_db
def test_a_second_file_of_the_same_name_never_overwrites_the_first(s3_media):
    first = default_storage.save("posters/same.jpg", ContentFile(b"first"))
    second = default_storage.save("posters/same.jpg", ContentFile(b"second"))
    assert first != second
    assert default_storage.open(first).read() == b"first"
    assert len(bucket_keys(s3_media)) == 2


def start_with(**env):
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )


def test_an_endpoint_that_is_not_a_url_names_the_variable():
    result = start_with(MEDIA_S3_BUCKET="media", MEDIA_S3_ENDPOINT_URL="minio:9000")
    assert result.returncode != 0
    assert "MEDIA_S3_ENDPOINT_URL must start with http:// or https://" in result.stderr


def test_a_key_without_its_secret_is_refused():
    result = start_with(MEDIA_S3_BUCKET="media", MEDIA_S3_ACCESS_KEY_ID="AKIA123")
    assert result.returncode != 0
    assert "MEDIA_S3_ACCESS_KEY_ID and MEDIA_S3_SECRET_ACCESS_KEY go together" in result.stderr


def test_without_a_bucket_media_stays_on_disk():
    code = "import django; django.setup(); from django.conf import settings; print(settings.STORAGES['default'])"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "MEDIA_S3_BUCKET": ""},
        capture_output=True,
        text=True,
        check=True,
    )
    assert "FileSystemStorage" in result.stdout
