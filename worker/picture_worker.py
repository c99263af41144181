"""Making pictures with an image model, as the cluster's task: by the same rules as videos, never
asked for twice, failures told in plain words. The request itself is queued by
generations.starting.request_pictures."""

import io
from uuid import UUID

from PIL import Image

from generations import failures, pictures
from generations.models import ImageRequest, Picture
from pixapi import client as pixapi
from worker import lifecycle

LEASE_SECONDS = 180  # longer than an image call can take
MAX_IMAGE_BYTES = 30_000_000


def make(request_id: UUID | str) -> str:
    req = ImageRequest.objects.select_related("model", "user").filter(pk=request_id).first()
    if req is None or not req.claim(LEASE_SECONDS):
        return "not queued"
    client = pixapi.get_client()
    try:
        results = client.generate_images(model=req.model.slug, prompt=req.prompt, n=req.n, size=req.size)
        images = [_fetch(client, result) for result in results]
    except pixapi.PixapiError as e:
        code = lifecycle.code_for_submit_error(e)
        if isinstance(e, (pixapi.RateLimited, pixapi.Unavailable)):
            code = "service_error"
        message = failures.message_for(code, e.message, subject="pictures")
        req.mark_failed(code, message, detail=f"{type(e).__name__}: {e.message}")
        return code
    except pictures.PictureRefused as e:
        req.mark_failed("damaged", failures.message_for("damaged", subject="pictures"), detail=str(e))
        return "damaged"
    for image in images:
        pictures.keep(req.user, image, Picture.GENERATED, name=req.prompt, request=req)
    req.mark_completed()
    return "completed"


def _fetch(client: pixapi.PixapiClient, result: pixapi.GeneratedImage) -> Image.Image:
    if result.data is not None:
        return pictures.read_bytes(result.data)
    if result.url is None:  # parse_images gives one or the other
        raise pixapi.MalformedResponse("Pixapi's image answer has an entry with neither url nor b64_json.")
    buffer = io.BytesIO()
    client.download(result.url, buffer, max_bytes=MAX_IMAGE_BYTES)
    return pictures.read_bytes(buffer.getvalue())
