"""`Idempotency-Key` on creates, as payment APIs have it: the same key and request give the same video
and never a second hold; the same key with another request is refused."""

import hashlib
import json

from django.db import IntegrityError, transaction

from api.errors import ApiError
from api.models import IdempotencyKey

MAX_KEY = 255


def body_hash(data):
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def once(user, key, data, start):
    """`start()` -> (generation, created), run at most once for this creator's key. The key's row is
    written in the same transaction as the generation and its hold, under a unique (user, key): of
    concurrent requests with one key the database lets one write it, and the others, once it is committed,
    read its video. A refused request writes nothing, so it may be sent again with the same key."""
    if len(key) > MAX_KEY or not key.strip():
        raise ApiError(400, "idempotency_key", f"An Idempotency-Key is 1 to {MAX_KEY} characters, e.g. a UUID.")
    digest = body_hash(data)
    for _ in range(3):
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(user=user, key=key, body_hash=digest)
                generation, created = start()
                record.generation = generation
                record.save(update_fields=["generation"])
                return generation, created
        except IntegrityError:
            record = IdempotencyKey.objects.filter(user=user, key=key).select_related("generation__model").first()
        if record is not None:
            break
        # else the other request was refused and wrote nothing: this one tries itself
    else:
        raise ApiError(
            409,
            "idempotency_key_busy",
            "Another request with this Idempotency-Key is under way. Try again in a moment.",
        )
    if record.body_hash != digest:
        raise ApiError(
            422,
            "idempotency_key_reused",
            "This Idempotency-Key was used for another request. Use a new key for a new video.",
        )
    return record.generation, False
