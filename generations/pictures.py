"""Pictures: checking uploads, keeping a clean copy, and handing one to Pixapi.

Every picture the studio keeps is its own normalised JPEG: the real type checked by Pillow (not
the file name), bytes and pixels capped (decompression bombs refused), EXIF orientation applied,
then every bit of metadata dropped.
"""

import base64
import io
import warnings

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

from generations.models import Picture

register_heif_opener()  # iPhone photos (HEIC) open like any other picture

ACCEPTED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "MPO": "JPEG", "HEIF": "HEIC"}
LONGEST_SIDE = 4096  # what we keep; plenty for a 1080p video
THUMB_SIDE = 480
SIGNING_SALT = "studio.picture-url"


class PictureRefused(Exception):
    """Why an upload cannot be used, in words for the creator."""


def _megabytes(n):
    return f"{n / 1_000_000:.0f} MB" if n >= 1_000_000 else f"{n / 1000:.0f} KB"


def read_upload(upload):
    """Checks an uploaded file and returns a clean RGB image, or raises PictureRefused."""
    limit = settings.PICTURE_MAX_BYTES
    if upload.size > limit:
        raise PictureRefused(
            f"That file is {_megabytes(upload.size)}; pictures can be up to {_megabytes(limit)}. "
            "Export it smaller (a JPEG usually is) and try again."
        )
    data = upload.read()
    if not data:
        raise PictureRefused("That file is empty. Choose a JPEG, PNG or WebP picture.")
    return read_bytes(data)


def read_bytes(data):
    max_pixels = settings.PICTURE_MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(io.BytesIO(data))
            kind = probe.format
            width, height = probe.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PictureRefused(
            f"That picture has far more pixels than the studio takes ({max_pixels / 1_000_000:.0f} megapixels). "
            "Resize it and try again."
        ) from None
    except (UnidentifiedImageError, OSError):
        raise PictureRefused(
            "That file is not a picture we can read, whatever its name says. Choose a JPEG, PNG, WebP or HEIC picture."
        ) from None
    if kind not in ACCEPTED_FORMATS:
        raise PictureRefused(
            f"That is a {kind} picture; the studio takes JPEG, PNG, WebP and HEIC. Save it as one of those and try again."
        )
    if width * height > max_pixels:
        raise PictureRefused(
            f"That picture is {width:,} × {height:,} pixels, more than the studio takes "
            f"({max_pixels / 1_000_000:.0f} megapixels). Resize it and try again."
        )
    if min(width, height) < 64:
        raise PictureRefused(f"That picture is only {width} × {height} pixels. Choose one at least 64 pixels on each side.")
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (OSError, SyntaxError, ValueError):
        raise PictureRefused("That picture seems to be cut off or damaged. Export it again and try once more.") from None
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        image = background
    image = image.convert("RGB")
    image.thumbnail((LONGEST_SIDE, LONGEST_SIDE), Image.Resampling.LANCZOS)
    return image


def jpeg_bytes(image, quality=90):
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True)  # no exif= argument: no metadata kept
    return out.getvalue()


def keep(user, image, origin, name="", **extra):
    """Stores a clean image as the creator's Picture, with its thumbnail."""
    data = jpeg_bytes(image)
    thumb = image.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    picture = Picture(user=user, origin=origin, width=image.width, height=image.height, bytes=len(data),
                      name=name[:200], **extra)
    picture.image.save(f"{picture.pk}.jpg", ContentFile(data), save=False)
    picture.thumbnail.save(f"{picture.pk}.jpg", ContentFile(jpeg_bytes(thumb, quality=82)), save=False)
    picture.save()
    return picture


def open_image(picture):
    with default_storage.open(picture.image.name, "rb") as f:
        image = Image.open(io.BytesIO(f.read()))
        image.load()
    return image.convert("RGB")


def fitted(picture, size, fit):
    """The picture at the video's exact size: cropped to fill, or letterboxed on black."""
    width, height = (int(n) for n in size.split("x"))
    image = open_image(picture)
    if fit == "letterbox":
        return ImageOps.pad(image, (width, height), Image.Resampling.LANCZOS, color=(0, 0, 0))
    return ImageOps.fit(image, (width, height), Image.Resampling.LANCZOS)


# Handing a picture to Pixapi


def signed_token(generation):
    return signing.dumps({"g": str(generation.pk)}, salt=SIGNING_SALT, compress=True)


def generation_from_token(token, max_age=None):
    """The generation a signed picture URL names, or None when the URL is bad or has expired."""
    from generations.models import Generation

    max_age = settings.PICTURE_URL_MAX_AGE if max_age is None else max_age
    try:
        data = signing.loads(token, salt=SIGNING_SALT, max_age=max_age)
    except signing.BadSignature:
        return None
    return Generation.objects.select_related("input_picture").filter(pk=data.get("g")).first()


def input_image_for(generation):
    """What Pixapi is given to fetch: a signed, expiring URL on the studio's public address, or the
    picture itself as a data URL where PIXAPI_IMAGE_AS_DATA_URL says so."""
    if settings.PIXAPI_IMAGE_AS_DATA_URL:
        data = jpeg_bytes(fitted(generation.input_picture, generation.size, generation.fit))
        return "data:image/jpeg;base64," + base64.b64encode(data).decode()
    path = reverse("picture_for_pixapi", args=[signed_token(generation)])
    return f"{settings.SITE_URL}{path}"
