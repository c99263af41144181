"""The library export with media on an S3-compatible store (moto's server over real HTTP): streamed
from the bucket, and a large one written back to it in parts, fetched by its link, cleared once expired."""

import hashlib
import io
import json
import re
import zipfile
from datetime import timedelta

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from generations import taskqueue
from library import export
from tests.generations.videos import make_video
from tests.scale.conftest import bucket_keys


@pytest.mark.django_db(transaction=True)
def test_an_export_reads_from_the_bucket_and_a_large_one_is_stored_there(
    client, owner, s3_media, settings, mailoutbox, monkeypatch
):
    settings.SITE_URL = "http://testserver"
    gens = [make_video(owner, prompt=f"Dunes at noon, take {i}") for i in range(3)]
    client.force_login(owner)

    archive = zipfile.ZipFile(io.BytesIO(b"".join(client.post(reverse("library_export")).streaming_content)))
    top = archive.namelist()[0].split("/")[0]
    for gen in gens:
        sidecar = json.loads(archive.read(f"{top}/{export.folder_for(gen)}/video.json"))
        stored = s3_media["client"].get_object(Bucket=s3_media["name"], Key=gen.video.name)["Body"].read()
        assert sidecar["video"]["sha256"] == hashlib.sha256(stored).hexdigest()

    settings.EXPORT_STREAM_MAX_VIDEOS = 1
    queued = []
    monkeypatch.setattr(taskqueue, "enqueue", lambda *args: queued.append(args))
    client.post(reverse("library_export"))
    name = export.export_to_storage(*queued[0][1:])
    assert name in bucket_keys(s3_media)
    link = re.search(r"http://testserver(/library/export/\S+/)", mailoutbox[-1].body).group(1)
    fetched = zipfile.ZipFile(io.BytesIO(b"".join(client.get(link).streaming_content)))
    assert sum(n.endswith("/video.json") for n in fetched.namelist()) == 3

    with time_machine.travel(timezone.now() + timedelta(hours=settings.EXPORT_LINK_HOURS, minutes=1)):
        assert export.remove_expired() == 1
    assert not default_storage.exists(name)
