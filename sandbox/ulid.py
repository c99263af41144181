"""Task ids: `task_` + a 26-character ULID, as Pixapi hands them out.

A ULID is 48 bits of milliseconds since the epoch and 80 random bits, written in
Crockford's base32, so ids sort by creation time.
"""

import os
import re
import time

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TASK_ID_RE = re.compile(r"task_[0-9A-HJKMNP-TV-Z]{26}")


def new_ulid(now=None):
    millis = int((time.time() if now is None else now) * 1000) & ((1 << 48) - 1)
    value = (millis << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_task_id(now=None):
    return "task_" + new_ulid(now)
