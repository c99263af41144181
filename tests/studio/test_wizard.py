"""The image-to-video wizard on the server: its steps, its draft, uploads and who may use what."""

import io
import os
import struct
import time
import zlib

import av
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from generations import pictures
from generations.models import Generation, ImageRequest, Picture
from studio.models import Draft
from tests.generations.test_lifecycle import drive, run_queue




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
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


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
        (lambda: SimpleUploadedFile("notes.txt", b"just some words", content_type="text/plain"),
         "That file is not a picture we can read"),
        (lambda: SimpleUploadedFile("holiday.jpg", b"%PDF-1.4 renamed document" * 20, content_type="image/jpeg"),
         "That file is not a picture we can read, whatever its name says"),
        (lambda: image_file(fmt="GIF"), "That is a GIF picture; the studio takes JPEG, PNG, WebP and HEIC"),
        (lambda: SimpleUploadedFile("bomb.png", png_header_only(100_000, 100_000), content_type="image/png"),
         "far more pixels than the studio takes"),
        (lambda: SimpleUploadedFile("big.png", png_header_only(8000, 6000), content_type="image/png"),
         "That picture is 8,000 × 6,000 pixels, more than the studio takes (40 megapixels)"),
        (lambda: SimpleUploadedFile("cut.jpg", image_file(800, 600).read()[:3000], content_type="image/jpeg"),
         "That picture seems to be cut off or damaged"),
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
    preview = client.get(reverse("wizard_settings_preview", args=[draft.pk]),
                         {"model": "kling", "duration": "10", "size": "1280x720", "fit": "letterbox"}).content.decode()
    assert "frame-landscape fit-letterbox" in preview and "black bars fill the sides" in preview
    assert '<option value="4"' not in preview  # Kling makes 5 or 10 seconds
    assert "This video costs <strong>22" in preview  # 10 s at 2.24 credits a second


def test_settings_the_model_cannot_make_are_refused_on_the_server(client, creator):
    draft = new_draft(client)
    upload(client, draft, image_file())
    client.post(step_url(draft, "picture"))
    client.post(step_url(draft, "motion"), {"motions": ["orbit"]})
    html = client.post(step_url(draft, "settings"), {"model": "kling", "duration": "7", "size": "1280x720",
                                                     "fit": "crop"}).content.decode()
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


# Handing the picture to Pixapi


def test_the_signed_picture_url_works_then_expires(client, creator, settings, queue):
    draft = new_draft(client)
    upload(client, draft, image_file())
    client.post(step_url(draft, "picture"))
    client.post(step_url(draft, "motion"), {"motions": ["orbit"]})
    client.post(step_url(draft, "settings"), {"model": "wan", "duration": "5", "size": "1280x720", "fit": "crop"})
    client.post(reverse("wizard_submit", args=[draft.pk]))
    gen = Generation.objects.get()
    Generation.objects.filter(pk=gen.pk).update(status=Generation.SUBMITTING)  # as the submit task makes the URL
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
    assert gen.start == Generation.IMAGE and gen.input_picture == draft.picture and gen.fit == "crop"

    gen = drive(gen, queue)

    assert gen.status == Generation.COMPLETED, gen.error_detail
    red, green, blue = mean_colour(default_storage.path(gen.video.name))
    assert red > 150 and green < 100 and blue < 100  # the clip is made of the creator's picture
    draft.refresh_from_db()
    assert draft.generation == gen
    assert client.get(reverse("wizard"))["Location"] != step_url(draft, "review")  # a new draft starts


@pytest.mark.django_db(transaction=True)
def test_make_pictures_first_then_pick_one(client, owner, sandbox_url, media_root, queue):
    client.force_login(owner)
    draft = new_draft(client)
    html = client.post(reverse("wizard_make", args=[draft.pk]),
                       {"prompt": "A lighthouse at golden hour", "model": "gemini-2.5-flash-image"},
                       headers={"hx-request": "true"}).content.decode()
    assert "Making pictures" in html and 'hx-trigger="every 1s"' in html
    request = ImageRequest.objects.get()
    assert request.n == 3 and request.cost == 6
    run_queue_pictures(queue)
    request.refresh_from_db()
    assert request.status == ImageRequest.COMPLETED
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
    client.post(reverse("wizard_make", args=[draft.pk]),
                {"prompt": "Something not allowed [sandbox:prompt-rejected]", "model": "gpt-image-2"})
    run_queue_pictures(queue)
    request = ImageRequest.objects.get()
    assert request.status == ImageRequest.FAILED and request.error_code == "prompt_rejected"
    html = client.get(reverse("wizard_make_status", args=[draft.pk])).content.decode()
    assert "The model turned this prompt down" in html and "Nothing was charged" in html
    assert Picture.objects.count() == 0


def run_queue_pictures(queue):
    from generations import imaging

    while queue:
        name, args = queue.pop(0)
        if name == "make_pictures":
            imaging.make(*args)
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
    client.post(reverse("wizard_make", args=[draft.pk]),
                {"prompt": "A kite [sandbox:internal-error]", "model": "gpt-image-2"})
    run_queue_pictures(queue)
    assert ImageRequest.objects.filter(status=ImageRequest.FAILED).count() == 1
    assert credits.balance_of(owner) == before - 12  # the failed request's hold came back


def test_without_enough_credits_nothing_is_made_and_the_page_says_why(client, owner, media_root, queue):
    from accounts import credits

    credits.adjust(owner, -credits.balance_of(owner), reason="Test: empty the account")
    client.force_login(owner)
    draft = new_draft(client)
    html = client.post(reverse("wizard_make", args=[draft.pk]),
                       {"prompt": "A lighthouse", "model": "gemini-2.5-flash-image"}).content.decode()
    assert "no credits left" in html
    assert ImageRequest.objects.count() == 0 and queue == []
