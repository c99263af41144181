"""Exporting the library or a collection as one ZIP, streamed; large ones stored and mailed."""

import hashlib
import io
import json
import re
import zipfile
from datetime import timedelta

import av
import jsonschema
import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts import credits
from catalog.models import CatalogModel
from generations import taskqueue
from generations.models import (
    Collection,
    Comparison,
    Generation,
    LibraryExport,
    Picture,
    Shot,
    Storyboard,
    StoryboardExport,
)
from library import export
from storyboards import boards as storyboards
from tests.generations.videos import make_generation, make_video

pytestmark = pytest.mark.usefixtures("media_root")


def _zip_of(response):
    assert response.streaming, "the ZIP is streamed as it is made, not built whole first"
    chunks = list(response.streaming_content)
    return zipfile.ZipFile(io.BytesIO(b"".join(chunks))), len(chunks)


def _picture(user):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 36), (200, 80, 40)).save(buffer, "JPEG")
    image = default_storage.save("pictures/test/in.jpg", ContentFile(buffer.getvalue()))
    return Picture.objects.create(
        user=user, origin=Picture.UPLOAD, image=image, thumbnail=image, width=64, height=36, name="kite.jpg"
    )


def _seconds(data):
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        return float(stream.duration * stream.time_base)


def test_library_export_streams_every_video_with_a_sidecar_that_matches_it(client, owner):
    picture = _picture(owner)
    videos = [make_video(owner, prompt=f"Lighthouse number {i} at dusk") for i in range(18)]
    animated = make_video(
        owner,
        prompt="The kite rises",
        title="Kite over the dunes",
        start=Generation.Start.IMAGE,
        input_picture=picture,
        source=videos[0],
    )
    credits.hold(owner, animated.cost, reference=animated.ledger_reference)
    credits.charge(owner, animated.ledger_reference)
    failed = make_generation(
        owner,
        prompt="A storm that never came",
        status=Generation.Status.FAILED,
        error_code="rejected",
        error_message="The model would not make this.",
        finished_at=timezone.now(),
    )
    make_generation(owner, prompt="Still being made")  # running: not exported yet
    make_video(
        Generation.objects.first().user.__class__.objects.create_user(
            username="else", email="else@example.com", password="pw-else-12345"
        ),
        prompt="Someone else's",
    )
    client.force_login(owner)

    response = client.post(reverse("library_export"))

    assert response["Content-Type"] == "application/zip"
    assert re.fullmatch(r'attachment; filename="studio-library-\d{8}-\d{4}\.zip"', response["Content-Disposition"])
    archive, chunks = _zip_of(response)
    assert chunks > 20  # written out a little at a time
    assert archive.testzip() is None
    names = archive.namelist()
    top = names[0].split("/")[0]
    index = json.loads(archive.read(f"{top}/index.json"))
    schema = json.loads(archive.read(f"{top}/export-video.schema.json"))
    assert {v["id"] for v in index["videos"]} == {str(g.pk) for g in [*videos, animated, failed]}

    for entry in index["videos"]:
        sidecar = json.loads(archive.read(f"{top}/{entry['sidecar']}"))
        jsonschema.validate(sidecar, schema)
        gen = Generation.objects.get(pk=sidecar["id"])
        assert sidecar["prompt"] == gen.prompt == entry["prompt"]
        if gen.status != "completed":
            assert sidecar["video"] is None and sidecar["error"]["message"] == "The model would not make this."
            continue
        data = archive.read(f"{top}/{entry['folder']}/{sidecar['video']['file']}")
        assert sidecar["video"]["sha256"] == hashlib.sha256(data).hexdigest()
        assert sidecar["video"]["sha256"] == hashlib.sha256(default_storage.open(gen.video.name).read()).hexdigest()
        assert abs(sidecar["video"]["seconds"] - _seconds(data)) < 0.1
        poster = archive.read(f"{top}/{entry['folder']}/poster.jpg")
        assert sidecar["poster"]["sha256"] == hashlib.sha256(poster).hexdigest()

    kite = json.loads(archive.read(f"{top}/{export.folder_for(animated)}/video.json"))
    picture_bytes = archive.read(f"{top}/{export.folder_for(animated)}/input.jpg")
    assert kite["inputs"][0]["sha256"] == hashlib.sha256(picture_bytes).hexdigest()
    assert kite["inputs"][0]["name"] == "kite.jpg"
    assert kite["title"] == "Kite over the dunes"
    assert json.loads(archive.read(f"{top}/{export.folder_for(videos[0])}/video.json"))["title"] is None
    assert kite["lineage"]["made_again_from"] == str(videos[0].pk)
    assert kite["credits"]["held"] == kite["credits"]["charged"] == kite["credits"]["price"] == f"{animated.cost:.2f}"
    assert not any("Someone else" in archive.read(n).decode(errors="replace") for n in names if n.endswith(".json"))


def test_a_collection_exports_only_its_own_videos(client, owner):
    trip = Collection.objects.create(user=owner, name="Trip to the coast")
    inside = make_video(owner, prompt="Waves on the rocks", collection=trip)
    make_video(owner, prompt="Not in the trip")
    client.force_login(owner)
    assert "Export your library (ZIP)" in client.get(reverse("library")).content.decode()
    assert "Export this collection (ZIP)" in client.get(reverse("library"), {"collection": trip.pk}).content.decode()

    response = client.post(reverse("library_export"), {"scope": "collection", "pk": trip.pk})

    assert 'filename="studio-trip-to-the-coast-' in response["Content-Disposition"]
    archive, _ = _zip_of(response)
    top = archive.namelist()[0].split("/")[0]
    index = json.loads(archive.read(f"{top}/index.json"))
    assert [v["id"] for v in index["videos"]] == [str(inside.pk)]
    sidecar = json.loads(archive.read(f"{top}/{index['videos'][0]['sidecar']}"))
    assert sidecar["library"]["collection"] == "Trip to the coast"


def test_a_comparison_exports_its_takes_with_the_keeper_marked(client, owner, outsider):
    comparison = Comparison.objects.create(user=owner, prompt="A kite over the dunes")
    kept = make_video(owner, prompt="A kite over the dunes", comparison=comparison)
    aside = make_video(owner, prompt="A kite over the dunes", comparison=comparison, set_aside=True)
    make_video(owner, prompt="Not a take")
    comparison.keeper = kept
    comparison.save()
    client.force_login(owner)

    archive, _ = _zip_of(client.post(reverse("library_export"), {"scope": "comparison", "pk": comparison.pk}))

    top = archive.namelist()[0].split("/")[0]
    index = json.loads(archive.read(f"{top}/index.json"))
    assert index["scope"] == "comparison" and {v["id"] for v in index["videos"]} == {str(kept.pk), str(aside.pk)}
    schema = json.loads(archive.read(f"{top}/{export.SCHEMA_PATH.name}"))
    for entry in index["videos"]:
        sidecar = json.loads(archive.read(f"{top}/{entry['sidecar']}"))
        jsonschema.validate(sidecar, schema)
        expected = {"id": comparison.pk, "kept": entry["id"] == str(kept.pk), "set_aside": entry["id"] == str(aside.pk)}
        assert sidecar["comparison"] == expected
    client.force_login(outsider)
    assert client.post(reverse("library_export"), {"scope": "comparison", "pk": comparison.pk}).status_code == 404


def test_a_storyboard_exports_its_takes_and_its_export_videos_with_their_places_on_the_board(client, owner, outsider):
    board = Storyboard.objects.create(user=owner, title="A walk through the dunes")
    wan = CatalogModel.objects.get(slug="wan")
    first = Shot.objects.create(storyboard=board, position=1, prompt="A lantern on a dune", model=wan, duration=2)
    second = Shot.objects.create(storyboard=board, position=2, prompt="The camera rises", model=wan, duration=2)
    old_take = make_video(owner, prompt="A lantern on a dune", shot=first)
    kept_take = make_video(owner, prompt="A lantern on a dune", shot=first)
    rising = make_video(owner, prompt="The camera rises", shot=second)
    make_generation(owner, prompt="The camera rises", shot=second)  # still being made: not yet
    Shot.objects.filter(pk=first.pk).update(chosen=kept_take)
    Shot.objects.filter(pk=second.pk).update(chosen=rising)
    parts = storyboards.export_parts(board)
    stitched = make_video(owner, prompt=board.title)
    StoryboardExport.objects.create(
        storyboard=board, version=1, parts=parts, video=stitched, status=StoryboardExport.Status.READY
    )
    other = Storyboard.objects.create(user=owner, title="Another board")
    elsewhere = Shot.objects.create(storyboard=other, position=1, prompt="Elsewhere", model=wan, duration=2)
    make_video(owner, prompt="Elsewhere", shot=elsewhere)
    make_video(owner, prompt="Not on a board")
    client.force_login(owner)

    response = client.post(reverse("library_export"), {"scope": "storyboard", "pk": board.pk})

    assert 'filename="studio-a-walk-through-the-dunes-' in response["Content-Disposition"]
    archive, _ = _zip_of(response)
    top = archive.namelist()[0].split("/")[0]
    index = json.loads(archive.read(f"{top}/index.json"))
    schema = json.loads(archive.read(f"{top}/{export.SCHEMA_PATH.name}"))
    assert index["scope"] == "storyboard"
    assert {v["id"] for v in index["videos"]} == {str(g.pk) for g in [old_take, kept_take, rising, stitched]}
    sidecars = {}
    for entry in index["videos"]:
        sidecar = json.loads(archive.read(f"{top}/{entry['sidecar']}"))
        jsonschema.validate(sidecar, schema)
        data = archive.read(f"{top}/{entry['folder']}/video.mp4")
        assert sidecar["video"]["sha256"] == hashlib.sha256(data).hexdigest()
        sidecars[entry["id"]] = sidecar["storyboard"]
    facts = {"id": board.pk, "title": "A walk through the dunes"}
    assert sidecars[str(old_take.pk)] == {**facts, "shot": 1, "chosen": False}
    assert sidecars[str(kept_take.pk)] == {**facts, "shot": 1, "chosen": True}
    assert sidecars[str(rising.pk)] == {**facts, "shot": 2, "chosen": True}
    assert sidecars[str(stitched.pk)] == {**facts, "version": 1, "parts": parts}
    assert [p["take"] for p in parts] == [str(kept_take.pk), str(rising.pk)]  # each part's take is in the ZIP

    storyboards.move_shot(board, second, -1)  # the numbers are the board's as it is now
    archive, _ = _zip_of(client.post(reverse("library_export"), {"scope": "storyboard", "pk": board.pk}))
    top = archive.namelist()[0].split("/")[0]
    sidecar = json.loads(archive.read(f"{top}/{export.folder_for(rising)}/video.json"))
    assert sidecar["storyboard"]["shot"] == 1

    library_zip, _ = _zip_of(client.post(reverse("library_export")))
    library_top = library_zip.namelist()[0].split("/")[0]
    plain = json.loads(library_zip.read(f"{library_top}/{export.folder_for(kept_take)}/video.json"))
    assert plain["storyboard"]["chosen"] is True  # a take says its board in the library's ZIP too

    client.force_login(outsider)
    assert client.post(reverse("library_export"), {"scope": "storyboard", "pk": board.pk}).status_code == 404


def test_another_creators_collection_is_not_found(client, owner, outsider):
    theirs = Collection.objects.create(user=outsider, name="Private")
    make_video(outsider, prompt="Theirs alone", collection=theirs)
    client.force_login(owner)

    for pk in [theirs.pk, "9" * 40, "x"]:
        assert client.post(reverse("library_export"), {"scope": "collection", "pk": pk}).status_code == 404
    assert client.post(reverse("library_export"), {"scope": "storyboard", "pk": 1}).status_code == 404


def test_a_large_export_is_stored_and_mailed_as_a_link_only_its_owner_can_open_until_it_expires(
    client, owner, outsider, settings, mailoutbox, monkeypatch
):
    settings.EXPORT_STREAM_MAX_VIDEOS = 2
    settings.SITE_URL = "http://testserver"
    for i in range(3):
        make_video(owner, prompt=f"Harbour scene {i}")
    queued = []
    monkeypatch.setattr(taskqueue, "enqueue", lambda *args: queued.append(args))
    client.force_login(owner)

    response = client.post(reverse("library_export"), follow=True)
    assert "we are putting it together and will mail a link" in response.content.decode()
    assert queued == [(taskqueue.EXPORT, owner.pk, "library", None, LibraryExport.objects.get(user=owner).pk)]

    stored = export.export_to_storage(*queued[0][1:])
    link = re.search(r"http://testserver(/library/export/[^\s]+/)", mailoutbox[-1].body).group(1)
    assert mailoutbox[-1].to == [owner.email]
    downloaded = client.get(link)
    assert downloaded.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(downloaded.streaming_content)))
    assert sum(n.endswith("video.json") for n in archive.namelist()) == 3

    client.force_login(outsider)
    refused = client.get(link, follow=True)
    assert "has expired or is not yours" in refused.content.decode()
    assert refused.get("Content-Type", "").startswith("text/html")

    client.force_login(owner)
    with time_machine.travel(timezone.now() + timedelta(hours=settings.EXPORT_LINK_HOURS, minutes=1)):
        assert "has expired or is not yours" in client.get(link, follow=True).content.decode()
        export.export_to_storage(owner.pk, "library")  # the next export clears the expired one away
    assert not default_storage.exists(stored)
