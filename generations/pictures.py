"""Pictures: checking uploads, keeping a clean copy, and handing one to Pixapi.

Every picture the studio keeps is its own normalised JPEG: the real type checked by Pillow (not
the file name), bytes, pixels and the memory decoding takes capped before anything is decoded
(decompression bombs refused), decoded at the size kept, EXIF orientation applied, then every bit of
metadata dropped (EXIF, XMP, ICC profile, comments, PNG text).
"""

import base64
import io
import warnings
from dataclasses import astuple
from typing import IO, Any

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from PIL import Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

from accounts import credits
from accounts.models import User
from catalog.sizes import VideoSize
from generations.models import Generation, Picture

register_heif_opener()  # iPhone photos (HEIC) open like any other picture
Image.MAX_IMAGE_PIXELS = settings.PICTURE_MAX_PIXELS  # Pillow's own guard, wherever a picture is opened

ACCEPTED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "MPO": "JPEG", "HEIF": "HEIC"}
LONGEST_SIDE = 2560  # what we keep: room to crop a 1080p frame from it
THUMB_SIDE = 480
ORIENTATION = 0x0112  # the EXIF tag that says how the camera was held
TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# Bytes one decoded pixel takes while it is opened. Pillow holds 4 a pixel (1 for grey and palette
# pictures); the HEIC and WebP decoders hold copies of their own besides (measured, Pillow 13 and
# pillow-heif 1.8).
DECODE_BYTES = {"HEIF": 5, "WEBP": 18}
BAND_PIXELS = 2_000_000  # source pixels converted at a time
SIGNING_SALT = "studio.picture-url"


class PictureRefused(Exception):
    """Why an upload cannot be used, in words for the creator."""


def check_room(user: User, adding: int = 1) -> None:
    """Raises PictureRefused when the creator already keeps as many pictures as one account may."""
    limit = settings.PICTURES_PER_ACCOUNT
    kept = Picture.objects.for_user(user).count()
    if kept + adding > limit:
        raise PictureRefused(
            f"You keep {kept:,} pictures, and the studio holds up to {limit:,} for one account. Delete some you "
            "no longer need (the Delete button under each picture), then try again."
        )


def _megabytes(n: int) -> str:
    return f"{n / 1_000_000:.0f} MB" if n >= 1_000_000 else f"{n / 1000:.0f} KB"


def read_upload(upload: UploadedFile) -> Image.Image:
    """Checks an uploaded file and returns a clean RGB image, or raises PictureRefused."""
    size, limit = upload.size or 0, settings.PICTURE_MAX_BYTES
    if size > limit:
        raise PictureRefused(
            f"That file is {_megabytes(size)}; pictures can be up to {_megabytes(limit)}. "
            "Export it smaller (a JPEG usually is) and try again."
        )
    if not size:
        raise PictureRefused("That file is empty. Choose a JPEG, PNG or WebP picture.")
    upload.seek(0)
    return read_file(upload)


def read_bytes(data: bytes) -> Image.Image:
    return read_file(io.BytesIO(data))


def read_file(fp: IO[bytes]) -> Image.Image:
    """A clean RGB copy of the picture in `fp`, at most LONGEST_SIDE on its longest side.

    Memory stays bounded whatever the file claims: the size is checked before anything is decoded,
    a JPEG (or a HEIC with a thumbnail) is decoded at a reduced scale, the decoded picture is refused
    when it would take more than PICTURE_DECODE_MEMORY, and it is converted band by band into the
    smaller copy, so no second full-size copy is ever made."""
    max_pixels = settings.PICTURE_MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the checks below say it in words
            image = Image.open(fp)
    except Image.DecompressionBombError:
        raise PictureRefused(
            f"That picture has far more pixels than the studio takes ({max_pixels / 1_000_000:.0f} megapixels). "
            "Resize it and try again."
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise PictureRefused(
            "That file is not a picture we can read, whatever its name says. Choose a JPEG, PNG, WebP or HEIC picture."
        ) from None
    with image:
        kind = image.format
        width, height = image.size
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
            raise PictureRefused(
                f"That picture is only {width} × {height} pixels. Choose one at least 64 pixels on each side."
            )
        try:
            image.draft("RGB", _kept_size(width, height))  # a JPEG decodes at 1/2, 1/4 or 1/8 scale if enough
            _check_memory(image, kind, width, height)
            image.load()
            orientation = image.getexif().get(ORIENTATION)
            kept = _reduced(image)
        except (OSError, SyntaxError, ValueError, EOFError):
            raise PictureRefused(
                "That picture seems to be cut off or damaged. Export it again and try once more."
            ) from None
    if orientation in TRANSPOSE:
        kept = kept.transpose(TRANSPOSE[orientation])
    return kept


def _kept_size(width: int, height: int, side: int = LONGEST_SIDE) -> tuple[int, int]:
    scale = min(1, side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _check_memory(image: Image.Image, kind: str, width: int, height: int) -> None:
    """Refuses a picture whose decoded pixels, with the copy that is kept, would take more memory than
    PICTURE_DECODE_MEMORY."""
    per_pixel = DECODE_BYTES.get(kind) or (1 if image.mode in ("1", "L", "P") else 4)
    kept_width, kept_height = _kept_size(*image.size)
    needed = image.size[0] * image.size[1] * per_pixel + 4 * kept_width * kept_height
    budget = settings.PICTURE_DECODE_MEMORY
    if needed > budget:
        most = (budget // (per_pixel + 1)) / 1_000_000
        raise PictureRefused(
            f"That picture is {width:,} × {height:,} pixels, more than the studio can open as a "
            f"{ACCEPTED_FORMATS[kind]} (up to about {most:.0f} megapixels). Save it smaller, or as a JPEG, and try again."
        )


def _reduced(image: Image.Image) -> Image.Image:
    """The decoded picture as RGB at the kept size, flattened on white where it is transparent. Made a
    band of rows at a time, so the only full-size copy is the decoded one."""
    width, height = image.size
    size = _kept_size(width, height)
    out = Image.new("RGB", size)
    scale = height / size[1]
    margin = int(3 * scale) + 2 if size != image.size else 0  # Lanczos reads 3 source pixels past each edge
    rows = max(1, BAND_PIXELS // (width * max(1, int(scale))))
    for top in range(0, size[1], rows):
        bottom = min(size[1], top + rows)
        start, end = top * scale, bottom * scale
        first, last = max(0, int(start) - margin), min(height, int(end) + 1 + margin)
        band = _rgb(image.crop((0, first, width, last)))
        if size != image.size:
            box = (0, start - first, width, end - first)
            band = band.resize((size[0], bottom - top), Image.Resampling.LANCZOS, box=box)
        out.paste(band, (0, top))
    return out


def _rgb(band: Image.Image) -> Image.Image:
    if band.mode in ("RGBA", "LA", "PA") or (band.mode == "P" and "transparency" in band.info):
        band = band.convert("RGBA")
        flat = Image.new("RGB", band.size, (255, 255, 255))
        flat.paste(band, mask=band.getchannel("A"))
        return flat
    if band.mode.startswith("I"):  # 16-bit grey
        band = band.convert("I").point(lambda v: v / 256).convert("L")
    return band.convert("RGB")


def jpeg_bytes(image: Image.Image, quality: int = 90) -> bytes:
    out = io.BytesIO()
    # No EXIF, ICC profile, XMP or comment is written: Pillow would copy a comment from image.info.
    image.save(out, "JPEG", quality=quality, optimize=True, comment=b"")
    return out.getvalue()


def keep(user: User, image: Image.Image, origin: str, name: str = "", **extra: Any) -> Picture:
    """Stores a clean image as the creator's Picture, with its thumbnail."""
    data = jpeg_bytes(image)
    thumb = image.resize(_kept_size(image.width, image.height, side=THUMB_SIDE), Image.Resampling.LANCZOS)
    picture = Picture(
        user=user, origin=origin, width=image.width, height=image.height, bytes=len(data), name=name[:200], **extra
    )
    picture.image.save(f"{picture.pk}.jpg", ContentFile(data), save=False)
    picture.thumbnail.save(f"{picture.pk}.jpg", ContentFile(jpeg_bytes(thumb, quality=82)), save=False)
    picture.save()
    return picture


def delete(picture: Picture) -> None:
    """Deletes a creator's picture, then its files. Refused while a video is being made from it: Pixapi
    may still fetch it. Their account row is locked, as starting a video locks it, so none starts meanwhile."""
    with transaction.atomic():
        credits.lock_account(picture.user_id)
        if picture.generations.filter(status__in=Generation.ACTIVE).exists():
            raise PictureRefused(
                "A video is being made from this picture right now. Delete it once the video is ready."
            )
        names = [name for name in (picture.image.name, picture.thumbnail.name) if name]
        picture.delete()
        transaction.on_commit(lambda: _delete_files(names))


def _delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def open_image(picture: Picture) -> Image.Image:
    with default_storage.open(picture.image.name, "rb") as f:  # type: ignore[arg-type]  # a kept picture has its file
        image = Image.open(io.BytesIO(f.read()))
        image.load()
    return image.convert("RGB")


def fitted(picture: Picture, size: str, fit: str) -> Image.Image:
    """The picture at the video's exact size: cropped to fill, or letterboxed on black."""
    width, height = astuple(VideoSize.parse(size))
    image = open_image(picture)
    if fit == Generation.Fit.LETTERBOX:
        return ImageOps.pad(image, (width, height), Image.Resampling.LANCZOS, color=(0, 0, 0))
    return ImageOps.fit(image, (width, height), Image.Resampling.LANCZOS)


# Handing a picture to Pixapi


def signed_token(generation: Generation) -> str:
    return signing.dumps({"g": str(generation.pk)}, salt=SIGNING_SALT, compress=True)


def generation_from_token(token: str, max_age: int | None = None) -> Generation | None:
    """The generation a signed picture URL names, or None when the URL is bad or has expired."""
    from generations.models import Generation

    max_age = settings.PICTURE_URL_MAX_AGE if max_age is None else max_age
    try:
        data = signing.loads(token, salt=SIGNING_SALT, max_age=max_age)
    except signing.BadSignature:
        return None
    return Generation.objects.select_related("input_picture").filter(pk=data.get("g")).first()


def input_image_for(generation: Generation) -> str:
    """What Pixapi is given to fetch: a signed, expiring URL on the studio's public address, or the
    picture itself as a data URL where PIXAPI_IMAGE_AS_DATA_URL says so."""
    picture = generation.input_picture
    if settings.PIXAPI_IMAGE_AS_DATA_URL and picture is not None:
        data = jpeg_bytes(fitted(picture, generation.size, generation.fit))
        return "data:image/jpeg;base64," + base64.b64encode(data).decode()
    path = reverse("picture_for_pixapi", args=[signed_token(generation)])
    return f"{settings.SITE_URL}{path}"
