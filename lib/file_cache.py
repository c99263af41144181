"""Django's file cache, with `kept_get`: a read that skips the key's hashing and the unpickling while
the file still holds the bytes this process last read from it.

The dashboard's poller reads its creator's change mark once a second per open tab
(generations/changes.py). The stock read hashes the key, opens the file and unpickles two values;
most of that is the same work as last time. Here each thread keeps, per key, the file's name and the
bytes it held with the value they gave: reading the file is still a read of the file (so a change
written by another process is seen at once, whatever it did to the file), but when its bytes are the
same the value is the one already made.
"""

import io
import pickle
import time
import zlib
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.filebased import FileBasedCache

KEPT_KEYS = 10_000  # per thread; past it, the copy starts over


class KeptFileBasedCache(FileBasedCache):
    _key_to_file: Callable[[str], str]  # Django's own, which its stubs leave out

    def __init__(self, dir: str, params: dict[str, Any]) -> None:
        super().__init__(dir, params)
        self._files: dict[str, str] = {}
        self._held: dict[str, tuple[bytes, float | None, Any]] = {}

    def kept_get(self, key: str, default: Any = None) -> Any:
        fname = self._files.get(key)
        if fname is None:
            if len(self._files) >= KEPT_KEYS:
                self._files.clear()
                self._held.clear()
            fname = self._files[key] = self._key_to_file(key)
        try:
            with open(fname, "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            return default
        held = self._held.get(key)
        if held is None or held[0] != raw:
            try:
                content = io.BytesIO(raw)
                expiry = pickle.load(content)
                held = self._held[key] = (raw, expiry, pickle.loads(zlib.decompress(content.read())))
            except Exception:  # written as it was read: the stock read settles it
                self._held.pop(key, None)
                return self.get(key, default)
        if held[1] is not None and held[1] < time.time():
            return self.get(key, default)  # expired: the stock read removes the file
        return held[2]

    def kept_add(self, key: str, value: Any, timeout: float | None) -> bool:
        return self.add(key, value, timeout)

    def kept_set(self, key: str, value: Any, timeout: float | None) -> None:
        self.set(key, value, timeout)
