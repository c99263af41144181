"""Tokens and calls for the API tests."""

import io

from PIL import Image

from api.models import Token


def token_for(user, *scopes, name="test token"):
    return Token.make(user, name, scopes or (Token.READ, Token.CREATE))[1]


def auth(secret):
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def create(client, secret, key=None, **body):
    body = {"prompt": "A red fox in fresh snow", "model": "veo", "duration": 5, "size": "1280x720", **body}
    headers = auth(secret)
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post("/api/v1/videos", body, content_type="application/json", **headers)


def jpeg(width=640, height=360):
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 80, 40)).save(buffer, "JPEG")
    buffer.seek(0)
    buffer.name = "photo.jpg"
    return buffer
