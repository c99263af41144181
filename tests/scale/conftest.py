"""The scale-out path: an S3-compatible store (moto's server, a real HTTP peer on loopback), and the
machine's real PostgreSQL and Redis.

Tests marked `postgres_redis` exercise several django-q2 clusters sharing one PostgreSQL database
and one Redis broker. SQLite is the one-machine default and runs one cluster by design, so on a
SQLite run they are deselected (the header says so); CI's second pass (.ci/run) runs them.
"""

import os
import socket
import subprocess
import sys
import time
import uuid

import httpx
import pytest

S3_KEY, S3_SECRET, S3_REGION = "studio-test-key", "studio-test-secret", "us-east-1"


def _services_ready():
    from django.conf import settings

    return settings.DATABASE_IS_POSTGRES and bool(settings.REDIS_URL)


_deselected = []


def pytest_collection_modifyitems(config, items):
    if _services_ready():
        return
    chosen = []
    for item in items:
        (_deselected if item.get_closest_marker("postgres_redis") else chosen).append(item)
    if _deselected:
        config.hook.pytest_deselected(items=_deselected)
        items[:] = chosen


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """moto's S3 server in its own process on a loopback port, for the whole run."""
    port = free_port()
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{url}/moto-api/", timeout=1)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("moto's S3 server did not start") from None
            time.sleep(0.1)
    yield url
    process.kill()
    process.wait(10)


@pytest.fixture
def s3_bucket(s3_server):
    """A fresh bucket on the S3 server, and the environment that points the studio at it."""
    import boto3

    name = f"media-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name=S3_REGION,
        aws_access_key_id=S3_KEY,
        aws_secret_access_key=S3_SECRET,
    )
    client.create_bucket(Bucket=name)
    env = {
        "MEDIA_S3_BUCKET": name,
        "MEDIA_S3_ENDPOINT_URL": s3_server,
        "MEDIA_S3_REGION": S3_REGION,
        "MEDIA_S3_ACCESS_KEY_ID": S3_KEY,
        "MEDIA_S3_SECRET_ACCESS_KEY": S3_SECRET,
    }
    return {"name": name, "client": client, "env": env}


def bucket_keys(bucket):
    pages = bucket["client"].get_paginator("list_objects_v2").paginate(Bucket=bucket["name"])
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def storage_settings_from(env):
    """The STORAGES the settings module builds from this environment (read in a fresh interpreter,
    so the test uses exactly what a server started with these variables would)."""
    import json

    from tests.conftest import ROOT

    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.STORAGES['default']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


@pytest.fixture
def s3_media(s3_bucket, settings):
    """This process's default storage on the bucket, configured as the settings module does it."""
    storage = storage_settings_from(s3_bucket["env"])
    settings.STORAGES = {**settings.STORAGES, "default": storage}
    return s3_bucket
