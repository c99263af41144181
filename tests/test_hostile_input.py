"""Hostile input gets a 400 or a 404 in plain words, never a 500; public answers name no generation id.

The walk over every route is in tests/test_hostile_walk.py; these are the cases it found, one by one."""

import io
import json

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image

from generations import pictures
from generations.models import Generation, Picture
from library import sharing
from studio.models import SavedPrompt
from tests.generations.videos import make_generation, make_video


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


# Out-of-range months on the usage page


@pytest.mark.parametrize("month", ["13", "2026-13", "2026-00", "99999999999999-01", "0000-01", "2026-1", "july"])
def test_a_month_that_is_not_one_answers_400_in_words(client, owner, month):
    client.force_login(owner)

    response = client.get(reverse("usage"), {"month": month})

    assert response.status_code == 400
    assert "A month looks like" in response.content.decode()


def test_a_real_month_still_narrows_the_ledger(client, owner):
    client.force_login(owner)

    response = client.get(reverse("usage"), {"month": "2026-03"})

    assert response.status_code == 200


# Range headers with thousands of digits


@pytest.mark.parametrize(
    ("header", "status"),
    [
        ("bytes=" + "9" * 5000 + "-", 416),
        ("bytes=0-" + "9" * 5000, 206),
        ("bytes=-" + "9" * 5000, 206),
        ("bytes=" + "0" * 5000 + "1-", 206),
    ],
)
def test_a_range_with_thousands_of_digits_is_answered(client, owner, header, status):
    gen = make_video(owner)
    client.force_login(owner)

    response = client.get(reverse("generation_video", args=[gen.pk]), headers={"range": header})

    assert response.status_code == status


# Over-long ids


def test_moving_a_video_into_a_collection_id_of_thousands_of_digits_is_refused_in_words(client, owner):
    gen = make_video(owner)
    client.force_login(owner)

    one = client.post(reverse("generation_move", args=[gen.pk]), {"collection": "9" * 5000}, follow=True)
    bulk = client.post(
        reverse("library_bulk"), {"action": "move", "ids": [gen.pk], "collection": "9" * 5000}, follow=True
    )

    assert "Choose a collection to move the video to." in one.content.decode()
    assert "Choose a collection to move the videos to." in bulk.content.decode()
    gen.refresh_from_db()
    assert gen.collection is None


@pytest.mark.parametrize(
    "url",
    [
        "/s/" + "t" * 20000 + "/",
        "/s/" + "t" * 20000 + "/video.mp4",
        "/@" + "h" * 20000 + "/",
        "/library/collections/" + "9" * 30 + "/rename/",
        "/library/collections/" + "9" * 5000 + "/delete/",
        "/prompts/" + "9" * 30 + "/delete/",
        "/p/" + "x" * 20000 + ".jpg",
    ],
)
def test_over_long_ids_are_not_found(client, owner, url):
    client.force_login(owner)

    response = client.post(url) if "/delete/" in url or "/rename/" in url else client.get(url)

    assert response.status_code in (403, 404)


def test_a_saved_prompt_id_of_thousands_of_digits_opens_an_empty_form(client, owner):
    client.force_login(owner)

    assert client.get(reverse("dashboard"), {"saved": "9" * 5000}).status_code == 200
    assert client.get(reverse("dashboard"), {"saved": "9" * 30}).status_code == 200


# NUL characters (PostgreSQL cannot store them; they must not reach a query)


def test_nul_in_a_form_field_is_refused_in_words(client, owner):
    client.force_login(owner)

    response = client.post(reverse("save_prompt"), {"prompt": "A fox\x00 in the snow"})

    assert response.status_code == 400
    assert "NUL" in response.content.decode()
    assert not SavedPrompt.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "/s/%00/",
        "/s/abc%00def/video.mp4",
        "/@a%00b/",
        "/featured/?after=%00",
        "/library/?q=%00",
        "/accounts/usage/?kind=\x00",
        "/p/%00.jpg",
    ],
)
def test_nul_in_a_path_or_query_is_refused_in_words(client, owner, url):
    client.force_login(owner)

    response = client.get(url)

    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_nul_in_a_json_body_is_refused_but_an_escaped_backslash_is_not(client, owner):
    client.force_login(owner)
    url = reverse("save_prompt")

    refused = client.post(url, json.dumps({"prompt": ["A fox", "\x00"]}), content_type="application/json")
    accepted = client.post(url, json.dumps({"prompt": "C:\\u0000"}), content_type="application/json")

    assert refused.status_code == 400 and "NUL" in refused.content.decode()
    assert accepted.status_code == 302


def test_nul_in_a_log_in_form_is_refused(client, owner):
    response = client.post(reverse("login"), {"username": "owner\x00", "password": "pw-owner-123"})

    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_nul_in_a_cookie_or_header_is_refused(client):
    assert client.get(reverse("featured"), headers={"cookie": 'sessionid="\\000abcdefgh"'}).status_code == 400
    assert client.get(reverse("featured"), headers={"hx-current-url": "/\x00"}).status_code == 400


def test_a_multipart_form_with_nul_in_a_field_is_refused_but_nul_in_file_contents_is_not(client, owner):
    client.force_login(owner)
    picture = io.BytesIO(b"\x00\x01 any bytes at all")
    picture.name = "photo.png"

    refused = client.post(reverse("save_prompt"), {"prompt": "A fox\x00", "file": picture})
    picture.seek(0)
    accepted = client.post(reverse("save_prompt"), {"prompt": "A fox in the snow", "file": picture})

    assert refused.status_code == 400
    assert accepted.status_code == 302
    assert list(SavedPrompt.objects.values_list("text", flat=True)) == ["A fox in the snow"]


# Staff views of a generation that has no file yet


def test_the_staff_video_of_a_generation_without_one_is_404(client, operator, owner):
    gen = make_generation(owner, status=Generation.Status.RUNNING)
    client.force_login(operator)

    for name in ("admin_generation_video", "admin_generation_poster"):
        response = client.get(reverse(name, args=[gen.pk]))
        assert response.status_code == 404
        assert "not available" in response.content.decode()


# Share files name no generation id


@pytest.mark.parametrize("route", ["shared_video_file", "shared_poster"])
@pytest.mark.parametrize("range_header", [None, "bytes=0-99"])
def test_a_shared_file_answer_does_not_name_the_generation(client, owner, route, range_header):
    gen = make_video(owner)
    sharing.share(gen, show_prompt=False, in_gallery=False)
    gen.refresh_from_db()
    headers = {"range": range_header} if range_header else {}

    response = client.get(reverse(route, args=[gen.share_token]), headers=headers)
    body = b"".join(response.streaming_content) if response.streaming else response.content

    assert response.status_code in (200, 206)
    told = " ".join(f"{k}: {v}" for k, v in response.headers.items()).lower()
    for form in (str(gen.pk), gen.pk.hex):
        assert form not in told
        assert form.encode() not in body
    assert gen.share_token in response["Content-Disposition"]
    assert "windmill" not in told and "lighthouse" not in told  # the prompt is not shown: not in the name either


def test_the_share_page_does_not_name_the_generation_either(client, owner):
    gen = make_video(owner)
    sharing.share(gen, show_prompt=True, in_gallery=True)
    gen.refresh_from_db()

    pages = [
        client.get(reverse("shared_video", args=[gen.share_token])),
        client.get(reverse("featured")),
        client.get(reverse("gallery", args=[owner.username])),
    ]

    for page in pages:
        assert page.status_code == 200
        told = page.content.decode() + " ".join(f"{k}: {v}" for k, v in page.headers.items())
        assert str(gen.pk) not in told and gen.pk.hex not in told


def test_a_download_by_its_owner_still_has_a_readable_name(client, owner):
    gen = make_video(owner, prompt="A lighthouse at dusk")
    client.force_login(owner)

    response = client.get(reverse("generation_download", args=[gen.pk]))

    assert response["Content-Disposition"].startswith('attachment; filename="a-lighthouse-at-dusk-')


# The signed picture URL serves only while Pixapi may fetch it


def picture_generation(owner, status):
    picture = pictures.keep(owner, Image.new("RGB", (300, 300), "blue"), Picture.UPLOAD)
    return make_generation(owner, status=status, input_picture=picture)


@pytest.mark.parametrize(
    "status", [Generation.Status.SUBMITTING, Generation.Status.SUBMITTED, Generation.Status.RUNNING]
)
def test_the_picture_url_serves_while_pixapi_may_fetch_it(client, owner, status):
    gen = picture_generation(owner, status)

    response = client.get(reverse("picture_for_pixapi", args=[pictures.signed_token(gen)]))

    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"


@pytest.mark.parametrize(
    "status",
    [
        Generation.Status.QUEUED,
        Generation.Status.DOWNLOADING,
        Generation.Status.COMPLETED,
        Generation.Status.FAILED,
        Generation.Status.CANCELED,
    ],
)
def test_the_picture_url_is_gone_before_submitting_and_once_pixapi_is_done(client, owner, status):
    gen = picture_generation(owner, status)

    response = client.get(reverse("picture_for_pixapi", args=[pictures.signed_token(gen)]))

    assert response.status_code == 404
    assert response.content.decode() == "This picture is no longer needed."


def test_the_picture_url_stops_when_the_generation_completes(client, owner):
    gen = picture_generation(owner, Generation.Status.RUNNING)
    url = reverse("picture_for_pixapi", args=[pictures.signed_token(gen)])
    assert client.get(url).status_code == 200

    Generation.objects.filter(pk=gen.pk).update(status=Generation.Status.COMPLETED)

    assert client.get(url).status_code == 404
    assert default_storage.exists(gen.input_picture.image.name)  # the creator's picture itself is kept
