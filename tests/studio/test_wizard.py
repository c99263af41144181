"""The image-to-video wizard on the server: its steps, its draft, uploads and who may use what."""

import io
import os
import struct
import subprocess
import sys
import time
import zlib

import av
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image, ImageCms, PngImagePlugin

from generations import pictures
from generations.models import Draft, Generation, ImageRequest, Picture
from tests.conftest import ROOT
from tests.worker.test_lifecycle import drive, run_queue


@pytest.fixture
def creator(client, owner, media_root):
    client.force_login(owner)
    return owner


def image_file(width=640, height=480, colour=(200, 30, 30), fmt="JPEG", name=None, **save_args):
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, fmt, **save_args)
    ext = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif", "HEIF": "heic"}[fmt]
    return SimpleUploadedFile(name or f"photo.{ext}", buffer.getvalue(), content_type=f"image/{ext}")


def png_header_only(width, height):
    """A tiny PNG that claims enormous dimensions: the shape of a decompression bomb."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
    )


def new_draft(client):
    response = client.get(reverse("wizard"))
    assert response.status_code == 302
    return Draft.objects.get()


def upload(client, draft, file):
    return client.post(reverse("wizard_upload", args=[draft.pk]), {"picture": file}, headers={"hx-request": "true"})


def step_url(draft, step):
    return reverse("wizard_step", args=[draft.pk, step])


# Uploads


def test_an_upload_is_kept_as_a_clean_normalised_copy(client, creator):
    draft = new_draft(client)
    response = upload(client, draft, image_file(fmt="PNG"))
    assert response.status_code == 200
    assert "Picture chosen." in response.content.decode()
    picture = Picture.objects.get()
    assert picture.user == creator and picture.origin == Picture.UPLOAD and picture.name == "photo.png"
    assert (picture.width, picture.height) == (640, 480)
    with default_storage.open(picture.image.name) as f:
        stored = Image.open(f)
        assert stored.format == "JPEG" and stored.size == (640, 480)
    with default_storage.open(picture.thumbnail.name) as f:
        assert max(Image.open(f).size) <= pictures.THUMB_SIDE
    draft.refresh_from_db()
    assert draft.picture == picture


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "HEIF"])
def test_every_accepted_format_is_taken(client, creator, fmt):
    draft = new_draft(client)
    upload(client, draft, image_file(320, 240, fmt=fmt))
    picture = Picture.objects.get()
    assert (picture.width, picture.height) == (320, 240)


def test_exif_orientation_is_applied_and_metadata_stripped(client, creator):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated: the camera was held sideways
    exif[0x010F] = "SecretCam"
    draft = new_draft(client)
    upload(client, draft, image_file(400, 200, exif=exif.tobytes()))
    picture = Picture.objects.get()
    assert (picture.width, picture.height) == (200, 400)
    with default_storage.open(picture.image.name) as f:
        stored = Image.open(f)
        assert not stored.getexif() and "exif" not in stored.info
        assert b"SecretCam" not in default_storage.open(picture.image.name).read()


@pytest.mark.parametrize(
    "make_file, message",
    [
        (
            lambda: SimpleUploadedFile("notes.txt", b"just some words", content_type="text/plain"),
            "That file is not a picture we can read",
        ),
        (
            lambda: SimpleUploadedFile("holiday.jpg", b"%PDF-1.4 renamed document" * 20, content_type="image/jpeg"),
            "That file is not a picture we can read, whatever its name says",
        ),
        (lambda: image_file(fmt="GIF"), "That is a GIF picture; the studio takes JPEG, PNG, WebP and HEIC"),
        (
            lambda: SimpleUploadedFile("bomb.png", png_header_only(100_000, 100_000), content_type="image/png"),
            "far more pixels than the studio takes",
        ),
        (
            lambda: SimpleUploadedFile("big.png", png_header_only(8000, 6000), content_type="image/png"),
            "That picture is 8,000 × 6,000 pixels, more than the studio takes (40 megapixels)",
        ),
        (
            lambda: SimpleUploadedFile("cut.jpg", image_file(800, 600).read()[:3000], content_type="image/jpeg"),
            "That picture seems to be cut off or damaged",
        ),
        (lambda: SimpleUploadedFile("empty.jpg", b"", content_type="image/jpeg"), "That file is empty"),
        (lambda: image_file(40, 40), "Choose one at least 64 pixels on each side"),
    ],
)
def test_every_refused_upload_says_what_to_do_and_keeps_nothing(client, creator, make_file, message):
    draft = new_draft(client)
    response = upload(client, draft, make_file())
    assert response.status_code == 200
    assert message in response.content.decode().replace("&#x27;", "'")
    assert Picture.objects.count() == 0


def test_too_many_bytes_is_refused_before_reading(client, creator, settings):
    settings.PICTURE_MAX_BYTES = 10_000
    draft = new_draft(client)
    noisy = io.BytesIO()
    Image.frombytes("RGB", (200, 200), os.urandom(200 * 200 * 3)).save(noisy, "PNG")
    response = upload(client, draft, SimpleUploadedFile("noise.png", noisy.getvalue(), content_type="image/png"))
    assert "pictures can be up to 10 KB" in response.content.decode()
    assert Picture.objects.count() == 0


# Memory: whatever a file claims, opening it costs a bounded amount

MEASURE = """
import resource, sys
import django
django.setup()
from django.core.files import File
from generations import pictures
upload = File(open(sys.argv[1], "rb"), name="big")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    image = pictures.read_upload(upload)
    pictures.jpeg_bytes(image)
    result = "%dx%d" % image.size
except pictures.PictureRefused as refusal:
    result = str(refusal)
print(result)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024)
"""


def peak_memory(path):
    """Opens the picture as an upload in a fresh interpreter: (what came of it, the peak extra bytes)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result, extra = done.stdout.strip().splitlines()[-2:]
    return result, int(extra)


@pytest.mark.parametrize(
    "mode, size, fmt, outcome",
    [
        # 165 KB of PNG that decodes to 40 megapixels (160 MB in Pillow): refused before it is decoded.
        ("RGBA", (8000, 5000), "PNG", "more than the studio can open as a PNG"),
        # The largest PNG taken is decoded, then made smaller a band at a time.
        ("RGB", (5000, 6000), "PNG", "2133x2560"),
        # A JPEG is decoded at half its size, straight from the file.
        ("RGB", (8000, 5000), "JPEG", "2560x1600"),
    ],
)
def test_a_huge_picture_in_a_small_file_costs_bounded_memory(tmp_path, mode, size, fmt, outcome):
    path = tmp_path / f"big.{fmt.lower()}"
    Image.new(mode, size, (200, 30, 30, 128)[: len(mode)]).save(path, fmt)
    result, extra = peak_memory(path)
    assert outcome in result
    assert extra < 200_000_000, f"{extra / 1e6:.0f} MB"


def test_pillows_own_guard_uses_the_studios_pixel_cap(settings):
    assert Image.MAX_IMAGE_PIXELS == settings.PICTURE_MAX_PIXELS == 40_000_000  # Pillow's default is 89 million


def test_a_huge_png_is_refused_in_words_and_nothing_is_kept(client, creator, tmp_path):
    buffer = io.BytesIO()
    Image.new("RGBA", (8000, 5000), (200, 30, 30, 128)).save(buffer, "PNG")
    assert len(buffer.getvalue()) < 200_000
    html = upload(client, new_draft(client), SimpleUploadedFile("flat.png", buffer.getvalue())).content.decode()
    assert (
        "That picture is 8,000 × 5,000 pixels, more than the studio can open as a PNG (up to about 32 "
        "megapixels). Save it smaller, or as a JPEG, and try again."
    ) in html
    assert Picture.objects.count() == 0


def test_a_heic_is_checked_before_it_is_decoded_too(client, creator, settings):
    settings.PICTURE_DECODE_MEMORY = 1_000_000
    html = upload(client, new_draft(client), image_file(640, 480, fmt="HEIF")).content.decode()
    assert "more than the studio can open as a HEIC" in html
    assert Picture.objects.count() == 0


def test_a_large_jpeg_is_kept_at_the_size_the_studio_keeps(client, creator):
    upload(client, new_draft(client), image_file(6000, 4000))
    picture = Picture.objects.get()
    assert (picture.width, picture.height) == (2560, 1707)  # pictures.LONGEST_SIDE, the shape kept


# Metadata: none of it is kept


def jpeg_with_metadata():
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    exif[0x8825] = {2: (51.0, 30.0, 26.0)}  # where it was taken
    buffer = io.BytesIO()
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.new("RGB", (640, 480), (10, 120, 200)).save(
        buffer,
        "JPEG",
        exif=exif.tobytes(),
        comment=b"SecretComment",
        icc_profile=icc,
        xmp=b"<x:xmpmeta>SecretXMP</x:xmpmeta>",
    )
    return buffer.getvalue()


def png_with_metadata():
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "SecretAuthor")  # tEXt
    info.add_text("Comment", "SecretZipped", zip=True)  # zTXt
    info.add_itxt("Description", "SecretInternational", lang="en")  # iTXt
    buffer = io.BytesIO()
    Image.new("RGBA", (640, 480), (10, 120, 200, 255)).save(buffer, "PNG", pnginfo=info)
    return buffer.getvalue()


@pytest.mark.parametrize("name, make", [("photo.jpg", jpeg_with_metadata), ("drawing.png", png_with_metadata)])
def test_no_metadata_is_kept_not_even_comments_or_text_chunks(client, creator, name, make):
    data = make()
    assert b"Secret" in data
    upload(client, new_draft(client), SimpleUploadedFile(name, data))
    picture = Picture.objects.get()
    for field in (picture.image, picture.thumbnail):
        stored = default_storage.open(field.name).read()
        assert b"Secret" not in stored
        assert b"\xff\xfe" not in stored[: stored.index(b"\xff\xda")]  # no COM segment before the pixels
        kept = Image.open(io.BytesIO(stored))
        assert kept.format == "JPEG"
        assert not kept.getexif() and not {"exif", "comment", "icc_profile", "xmp"} & kept.info.keys()


# What one account may keep, and deleting pictures


def test_pictures_an_account_keeps_are_limited_with_words_and_nothing_kept_past_it(client, creator, settings):
    settings.PICTURES_PER_ACCOUNT = 2
    draft = new_draft(client)
    upload(client, draft, image_file())
    upload(client, draft, image_file())
    html = upload(client, draft, image_file()).content.decode()
    assert (
        "You keep 2 pictures, and the studio holds up to 2 for one account. Delete some you no longer need "
        "(the Delete button under each picture), then try again."
    ) in html
    assert Picture.objects.count() == 2


def test_unfinished_drafts_are_limited_with_words(client, creator, settings):
    settings.DRAFTS_PER_ACCOUNT = 2
    new_draft(client)
    client.post(reverse("wizard_new"))
    assert Draft.objects.count() == 2
    response = client.post(reverse("wizard_new"))
    assert response.status_code == 200
    assert "You have 2 unfinished pictures to animate, as many as the studio keeps for one account." in (
        response.content.decode()
    )
    assert Draft.objects.count() == 2


def delete_picture(client, draft, picture):
    return client.post(
        reverse("wizard_delete_picture", args=[draft.pk]), {"picture": str(picture.pk)}, headers={"hx-request": "true"}
    )


def test_a_creator_deletes_their_own_picture_and_its_files(client, creator, django_capture_on_commit_callbacks):
    draft = new_draft(client)
    upload(client, draft, image_file())
    picture = Picture.objects.get()
    html = client.get(step_url(draft, "picture")).content.decode()
    assert 'aria-label="Delete the picture photo.jpg"' in html
    names = [picture.image.name, picture.thumbnail.name]
    with django_capture_on_commit_callbacks(execute=True):
        html = delete_picture(client, draft, picture).content.decode()
    assert "Picture deleted." in html
    assert not Picture.objects.exists()
    assert not any(default_storage.exists(name) for name in names)
    draft.refresh_from_db()
    assert draft.picture is None  # the draft had chosen it: it asks for a picture again


def test_nobody_else_can_delete_a_picture(client, creator, outsider):
    draft = new_draft(client)
    upload(client, draft, image_file())
    picture = Picture.objects.get()
    client.force_login(outsider)
    own = new_draft_for(client, outsider)
    assert delete_picture(client, own, picture).status_code == 404
    assert delete_picture(client, draft, picture).status_code == 404
    assert Picture.objects.filter(pk=picture.pk).exists()
    assert default_storage.exists(picture.image.name)


def test_a_picture_a_video_is_being_made_from_is_kept_with_words(client, creator):
    from tests.generations.videos import make_generation

    draft = new_draft(client)
    upload(client, draft, image_file())
    picture = Picture.objects.get()
    gen = make_generation(creator, status=Generation.Status.SUBMITTED, input_picture=picture)
    html = delete_picture(client, draft, picture).content.decode()
    assert "A video is being made from this picture right now. Delete it once the video is ready." in html
    assert Picture.objects.filter(pk=picture.pk).exists() and default_storage.exists(picture.image.name)
    gen.mark_failed("lost", "Lost")  # once it is no longer being made, it may go
    delete_picture(client, draft, picture)
    assert not Picture.objects.exists()
    gen.refresh_from_db()
    assert gen.input_picture is None


# Steps and the draft


def test_steps_need_what_comes_before_them(client, creator):
    draft = new_draft(client)
    response = client.get(step_url(draft, "settings"))
    assert response.status_code == 302 and response["Location"] == step_url(draft, "picture")
    response = client.post(step_url(draft, "picture"), headers={"hx-request": "true"})
    assert "Choose a picture first" in response.content.decode()


def test_the_draft_survives_a_reload_and_resumes_where_it_was(client, creator):
    draft = new_draft(client)
    upload(client, draft, image_file())
    client.post(step_url(draft, "picture"))
    client.post(step_url(draft, "motion"), {"prompt": "The flag waves in the wind", "motions": ["orbit", "push_in"]})
    draft.refresh_from_db()
    assert draft.step == "settings"
    assert "How should the video be made?" in client.get(step_url(draft, "settings")).content.decode()  # reload
    html = client.get(step_url(draft, "motion")).content.decode()  # back to the step before
    assert "The flag waves in the wind</textarea>" in html
    assert 'value="orbit" checked' in html and 'value="push_in" checked' in html
    # The tab closes; later the creator opens the wizard again, at the step they last saw.
    response = client.get(reverse("wizard"))
    assert response["Location"] == step_url(draft, "motion")


def test_motion_needs_words_or_a_preset(client, creator):
    draft = new_draft(client)
    upload(client, draft, image_file())
    client.post(step_url(draft, "picture"))
    html = client.post(step_url(draft, "motion"), {"prompt": "  "}, headers={"hx-request": "true"}).content.decode()
    assert "Say what should happen in the clip, or pick a motion below." in html
    html = client.post(step_url(draft, "motion"), {"prompt": "x" * 2001}).content.decode()
    assert "keep it under 2,000 characters" in html


def test_settings_offer_only_image_to_video_models_and_the_pictures_own_shape(client, creator):
    draft = new_draft(client)
    upload(client, draft, image_file(480, 800))  # a portrait picture
    client.post(step_url(draft, "picture"))
    client.post(step_url(draft, "motion"), {"motions": ["still"]})
    html = client.get(step_url(draft, "settings")).content.decode()
    assert 'value="veo"' in html and 'value="gemini-2.5-flash-image"' not in html
    assert '<option value="720x1280" selected>' in html
    assert "frame-portrait" in html
    preview = client.get(
        reverse("wizard_settings_preview", args=[draft.pk]),
        {"model": "kling", "duration": "10", "size": "1280x720", "fit": "letterbox"},
    ).content.decode()
    assert "frame-landscape fit-letterbox" in preview and "black bars fill the sides" in preview
    assert '<option value="4"' not in preview  # Kling makes 5 or 10 seconds
    assert "This video costs <strong>22" in preview  # 10 s at 2.24 credits a second


def test_settings_the_model_cannot_make_are_refused_on_the_server(client, creator):
    draft = new_draft(client)
    upload(client, draft, image_file())
    client.post(step_url(draft, "picture"))
    client.post(step_url(draft, "motion"), {"motions": ["orbit"]})
    html = client.post(
        step_url(draft, "settings"), {"model": "kling", "duration": "7", "size": "1280x720", "fit": "crop"}
    ).content.decode()
    assert "Kling cannot make that" in html
    draft.refresh_from_db()
    assert draft.step == "settings" and draft.duration == 5


# Who may use what


def test_another_creator_cannot_see_or_use_someone_elses_draft_or_pictures(client, creator, outsider):
    draft = new_draft(client)
    upload(client, draft, image_file())
    picture = Picture.objects.get()
    client.force_login(outsider)
    assert client.get(step_url(draft, "picture")).status_code == 404
    assert client.get(reverse("picture_image", args=[picture.pk, "image"])).status_code == 404
    own = new_draft_for(client, outsider)
    response = client.post(reverse("wizard_choose", args=[own.pk]), {"picture": str(picture.pk)})
    assert response.status_code == 404
    own.refresh_from_db()
    assert own.picture is None


def new_draft_for(client, user):
    client.get(reverse("wizard"))
    return Draft.objects.filter(user=user).get()


# The creator's plan


@pytest.fixture
def free_creator(client, db, media_root):
    from accounts.models import User
    from tests.conftest import with_credits

    user = with_credits(
        User.objects.create_user(username="fern", email="fern@example.com", password="x"), 100, plan="free"
    )
    client.force_login(user)
    return user


def at_settings(client, picture=None):
    draft = new_draft(client)
    upload(client, draft, picture or image_file())
    client.post(step_url(draft, "picture"))
    client.post(step_url(draft, "motion"), {"motions": ["orbit"]})
    return draft


def test_settings_offer_only_what_the_plan_makes_and_name_the_plan_for_the_rest(client, free_creator):
    draft = at_settings(client, image_file(1920, 1080))
    html = client.get(step_url(draft, "settings")).content.decode()
    assert '<input type="radio" name="model" value="wan" checked>' in html  # the default is one it makes
    assert '<input type="radio" name="model" value="veo" disabled>' in html
    assert '<input type="radio" name="model" value="kling" disabled>' in html
    assert "Comes with the Pro plan" in html and "Comes with the Creator plan" in html  # Veo, Kling
    assert '<option value="8">8 seconds</option>' in html
    assert '<option value="9" disabled>9 seconds · Creator plan</option>' in html
    assert '<option value="11" disabled>11 seconds · Pro plan</option>' in html
    assert '<option value="1280x720" selected>' in html
    assert '<option value="1920x1080" disabled>Landscape 1080p · Creator plan</option>' in html
    assert "<strong>10 credits</strong>" in html  # Wan, 5 seconds at 720p


def test_settings_the_plan_leaves_out_are_refused_on_the_server_in_its_words(client, free_creator, queue):
    draft = at_settings(client)
    for forged, words in [
        ({"model": "veo", "duration": "5"}, "Veo is not part of your Free plan, which includes Wan."),
        ({"model": "wan", "duration": "12"}, "Your Free plan makes videos of up to 8 seconds."),
        ({"model": "wan", "duration": "5", "size": "1920x1080"}, "Your Free plan makes 720p videos."),
    ]:
        html = client.post(step_url(draft, "settings"), {"size": "1280x720", "fit": "crop", **forged}).content.decode()
        assert words in html and "We picked the closest settings your plan makes" in html
        draft.refresh_from_db()
        assert (draft.step, draft.model, draft.size) == ("settings", "wan", "1280x720")
        assert draft.duration <= 8
    # Whatever the draft says, what is made is what the plan allows, and what the review showed.
    Draft.objects.filter(pk=draft.pk).update(model="veo", duration=8, size="1920x1080", step="review")
    assert "<dd>Wan</dd>" in client.get(step_url(draft, "review")).content.decode()
    client.post(reverse("wizard_submit", args=[draft.pk]))
    gen = Generation.objects.get()
    assert (gen.model.slug, gen.size) == ("wan", "1280x720")


def test_the_make_box_offers_the_plans_image_models_and_refuses_others(client, free_creator, queue):
    draft = new_draft(client)
    html = client.get(step_url(draft, "picture")).content.decode()
    assert '<option value="gemini-2.5-flash-image">Nano Banana · 3 pictures for 2 credits each</option>' in html
    assert '<option value="gpt-image-2" disabled>GPT Image · comes with the Creator plan</option>' in html
    html = client.post(
        reverse("wizard_make", args=[draft.pk]),
        {"prompt": "A kite", "model": "gpt-image-2"},
        headers={"hx-request": "true"},
    ).content.decode()
    assert "GPT Image is not part of your Free plan, which includes Nano Banana." in html
    assert not ImageRequest.objects.exists() and queue == []


def test_pictures_past_the_monthly_budget_ask_first(client, free_creator, queue):
    from accounts import credits

    free_creator.monthly_budget = 4
    free_creator.save(update_fields=["monthly_budget"])
    draft = new_draft(client)
    post = {"prompt": "A kite", "model": "gemini-2.5-flash-image"}
    html = client.post(reverse("wizard_make", args=[draft.pk]), post, headers={"hx-request": "true"}).content.decode()
    assert "These pictures (6 credits) would take this month&#x27;s spending to 6 credits" in html
    assert 'name="confirm_budget" value="yes"' in html and "Yes, make them anyway" in html
    assert not ImageRequest.objects.exists()
    client.post(reverse("wizard_make", args=[draft.pk]), {**post, "confirm_budget": "yes"})
    assert ImageRequest.objects.get().cost == 6 and credits.balance_of(free_creator) == 94


# Handing the picture to Pixapi


def test_the_signed_picture_url_works_then_expires(client, creator, settings, queue):
    draft = new_draft(client)
    upload(client, draft, image_file())
    client.post(step_url(draft, "picture"))
    client.post(step_url(draft, "motion"), {"motions": ["orbit"]})
    client.post(step_url(draft, "settings"), {"model": "wan", "duration": "5", "size": "1280x720", "fit": "crop"})
    client.post(reverse("wizard_submit", args=[draft.pk]))
    gen = Generation.objects.get()
    Generation.objects.filter(pk=gen.pk).update(status=Generation.Status.SUBMITTING)  # as the submit task makes the URL
    url = pictures.input_image_for(gen)
    assert url.startswith(settings.SITE_URL + "/p/")
    path = url.removeprefix(settings.SITE_URL)
    client.logout()
    response = client.get(path)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(response.content)).size == (1280, 720)
    settings.PICTURE_URL_MAX_AGE = 1
    time.sleep(1.2)
    assert client.get(path).status_code == 403
    assert client.get(path.replace("/p/", "/p/x")).status_code == 403


def test_as_a_data_url_where_the_setting_says_so(client, creator, settings, queue):
    settings.PIXAPI_IMAGE_AS_DATA_URL = True
    picture = pictures.keep(creator, Image.new("RGB", (300, 300), "blue"), Picture.UPLOAD)
    gen = Generation(user=creator, input_picture=picture, size="720x1280", fit="letterbox")
    assert pictures.input_image_for(gen).startswith("data:image/jpeg;base64,")


# The whole way, with the sandbox over real HTTP


def mean_colour(path):
    with av.open(path) as container:
        frame = next(container.decode(video=0)).to_image().resize((32, 18))
    pixels = list(frame.get_flattened_data())
    return tuple(sum(p[i] for p in pixels) / len(pixels) for i in range(3))


@pytest.mark.django_db(transaction=True)
def test_an_uploaded_picture_becomes_a_clip_that_shows_it(client, owner, sandbox_url, media_root, settings, queue):
    settings.PIXAPI_SANDBOX_SECONDS = 1
    client.force_login(owner)
    draft = new_draft(client)
    upload(client, draft, image_file(800, 600, colour=(230, 40, 40)))
    client.post(step_url(draft, "picture"))
    client.post(step_url(draft, "motion"), {"prompt": "The red glows", "motions": ["push_in"]})
    client.post(step_url(draft, "settings"), {"model": "wan", "duration": "2", "size": "1280x720", "fit": "crop"})
    html = client.get(step_url(draft, "review")).content.decode()
    assert "The red glows. Camera: slow push-in towards the subject." in html
    assert "<strong>4 credits</strong>" in html
    response = client.post(reverse("wizard_submit", args=[draft.pk]))
    gen = Generation.objects.get()
    draft.refresh_from_db()
    assert response.status_code == 302 and response["Location"].endswith(f"#generation-{gen.pk}")
    assert gen.start == Generation.Start.IMAGE and gen.input_picture == draft.picture and gen.fit == "crop"

    gen = drive(gen, queue)

    assert gen.status == Generation.Status.COMPLETED, gen.error_detail
    red, green, blue = mean_colour(default_storage.path(gen.video.name))
    assert red > 150 and green < 100 and blue < 100  # the clip is made of the creator's picture
    draft.refresh_from_db()
    assert draft.generation == gen
    assert client.get(reverse("wizard"))["Location"] != step_url(draft, "review")  # a new draft starts


@pytest.mark.django_db(transaction=True)
def test_make_pictures_first_then_pick_one(client, owner, sandbox_url, media_root, queue):
    client.force_login(owner)
    draft = new_draft(client)
    html = client.post(
        reverse("wizard_make", args=[draft.pk]),
        {"prompt": "A lighthouse at golden hour", "model": "gemini-2.5-flash-image"},
        headers={"hx-request": "true"},
    ).content.decode()
    assert "Making pictures" in html and 'hx-trigger="every 1s"' in html
    request = ImageRequest.objects.get()
    assert request.n == 3 and request.cost == 6
    run_queue_pictures(queue)
    request.refresh_from_db()
    assert request.status == ImageRequest.Status.COMPLETED
    made = list(request.pictures.all())
    assert len(made) == 3 and all(p.origin == Picture.GENERATED for p in made)
    html = client.get(reverse("wizard_make_status", args=[draft.pk])).content.decode()
    assert "Pick the one you like" in html and "every 1s" not in html
    client.post(reverse("wizard_choose", args=[draft.pk]), {"picture": str(made[1].pk)})
    draft.refresh_from_db()
    assert draft.picture == made[1]


@pytest.mark.django_db(transaction=True)
def test_a_refused_picture_prompt_is_told_in_plain_words(client, owner, sandbox_url, media_root, queue):
    client.force_login(owner)
    draft = new_draft(client)
    client.post(
        reverse("wizard_make", args=[draft.pk]),
        {"prompt": "Something not allowed [sandbox:prompt-rejected]", "model": "gpt-image-2"},
    )
    run_queue_pictures(queue)
    request = ImageRequest.objects.get()
    assert request.status == ImageRequest.Status.FAILED and request.error_code == "prompt_rejected"
    html = client.get(reverse("wizard_make_status", args=[draft.pk])).content.decode()
    assert "The model turned this prompt down" in html and "Nothing was charged" in html
    assert Picture.objects.count() == 0


def run_queue_pictures(queue):
    from worker import picture_worker

    while queue:
        name, args = queue.pop(0)
        if name == "make_pictures":
            picture_worker.make(*args)
        else:
            run_queue([(name, args)])


# Credits


@pytest.mark.django_db(transaction=True)
def test_pictures_hold_their_cost_and_are_charged_once_made(client, owner, sandbox_url, media_root, queue):
    from accounts import credits

    client.force_login(owner)
    before = credits.balance_of(owner)
    draft = new_draft(client)
    client.post(reverse("wizard_make", args=[draft.pk]), {"prompt": "A red kite", "model": "gpt-image-2"})
    assert credits.balance_of(owner) == before - 12  # 3 pictures at 4 credits, held
    run_queue_pictures(queue)
    assert credits.balance_of(owner) == before - 12  # charged
    client.post(
        reverse("wizard_make", args=[draft.pk]), {"prompt": "A kite [sandbox:internal-error]", "model": "gpt-image-2"}
    )
    run_queue_pictures(queue)
    assert ImageRequest.objects.filter(status=ImageRequest.Status.FAILED).count() == 1
    assert credits.balance_of(owner) == before - 12  # the failed request's hold came back


def test_without_enough_credits_nothing_is_made_and_the_page_says_why(client, owner, media_root, queue):
    from accounts import credits

    credits.adjust(owner, -credits.balance_of(owner), reason="Test: empty the account")
    client.force_login(owner)
    draft = new_draft(client)
    html = client.post(
        reverse("wizard_make", args=[draft.pk]), {"prompt": "A lighthouse", "model": "gemini-2.5-flash-image"}
    ).content.decode()
    assert "no credits left" in html
    assert ImageRequest.objects.count() == 0 and queue == []


# One set of rules: nothing the plan leaves out is chosen for the creator, and refusals replace only their part


def test_a_free_creators_wizard_chooses_wan_and_says_why_not_the_veo_the_draft_asked_for(client, free_creator):
    draft = at_settings(client)
    Draft.objects.filter(pk=draft.pk).update(model="veo", duration=10)  # say, chosen before a move to Free
    html = client.get(step_url(draft, "settings")).content.decode()
    assert '<input type="radio" name="model" value="wan" checked>' in html
    assert '<input type="radio" name="model" value="veo" disabled>' in html
    assert 'value="veo" checked' not in html
    assert "Veo comes with the Pro plan, so Wan is chosen." in html
    assert "10 seconds comes with the Creator plan, so 5 seconds is chosen." in html
    assert 'href="/pricing/#ask">See the plans</a>' in html
    client.post(step_url(draft, "settings"), {"model": "wan", "duration": "5", "size": "1280x720", "fit": "crop"})
    draft.refresh_from_db()
    assert (draft.step, draft.model) == ("review", "wan")
    review = client.get(step_url(draft, "review")).content.decode()
    assert "<dd>Wan</dd>" in review and "comes with the Pro plan" not in review  # the creator's own choice now


def test_a_refusal_at_review_replaces_only_the_buttons_part(client, free_creator, queue):
    free_creator.monthly_budget = 4
    free_creator.save(update_fields=["monthly_budget"])
    draft = at_settings(client)
    client.post(step_url(draft, "settings"), {"model": "wan", "duration": "5", "size": "1280x720", "fit": "crop"})
    review = client.get(step_url(draft, "review")).content.decode()
    assert 'hx-post="/animate/' in review and 'hx-target="#review-submit" hx-swap="outerHTML"' in review

    response = client.post(reverse("wizard_submit", args=[draft.pk]), headers={"hx-request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="review-submit"')  # the part the form names as its target
    assert "wizard-steps" not in html and "Ready to make your video" not in html  # not the whole wizard again
    assert 'id="review-refusal" role="alert"' in html and "past your monthly budget of 4 credits" in html
    assert 'aria-describedby="review-refusal"' in html and "Yes, make it anyway" in html
    assert not Generation.objects.exists()


def test_a_plan_refusal_in_the_make_box_links_to_the_plans(client, free_creator, queue):
    draft = new_draft(client)
    html = client.post(
        reverse("wizard_make", args=[draft.pk]),
        {"prompt": "A kite", "model": "gpt-image-2"},
        headers={"hx-request": "true"},
    ).content.decode()
    assert html.count('class="wizard-steps"') == 1
    refusal = html.split('<p class="field-error" role="alert">', 1)[1].split("</p>", 1)[0]
    assert "GPT Image is not part of your Free plan" in refusal
    assert '<a href="/pricing/#ask">See the plans</a>' in refusal


def test_an_upload_without_htmx_is_answered_with_a_redirect_so_a_reload_sends_nothing(client, creator):
    draft = new_draft(client)
    response = client.post(reverse("wizard_upload", args=[draft.pk]), {"picture": image_file()})
    assert response.status_code == 302 and response["Location"] == step_url(draft, "picture")
    page = client.get(response["Location"]).content.decode()
    assert "Picture chosen." in page and 'alt="Your chosen picture"' in page
    assert Picture.objects.count() == 1
