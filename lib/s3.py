"""Media on an S3-compatible store (MEDIA_S3_* settings), read by byte ranges.

django-storages' own S3 file downloads the whole object into a temporary file on the first read.
Videos are served through the Range view (generations/serving.py), which seeks and reads a few
hundred kilobytes at a time, so here a file opened for reading asks S3 for exactly the bytes from
where it stands: a seek costs nothing, a read streams, and memory stays flat whatever the size.
"""

import io
from collections.abc import Iterator
from typing import Any

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError
from django.core.files import File
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

PART = 5 * 1024 * 1024


class RangedS3File(File):
    """A read-only file on S3 that fetches `bytes=<position>-` on the first read after a seek."""

    def __init__(self, storage: "MediaS3Storage", name: str) -> None:
        self.name = name
        self.mode = "rb"
        self._object = storage.bucket.Object(storage._normalize_name(clean_name(name)))
        self._position = 0
        self._size: int | None = None
        self._body: Any = None  # botocore's StreamingBody

    @property
    def size(self) -> int:
        if self._size is None:
            self._size = self._object.content_length
        return self._size

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            offset += self._position
        elif whence == io.SEEK_END:
            offset += self.size
        if offset < 0:
            raise ValueError("Negative seek position.")
        if offset != self._position:
            self._drop_body()
            self._position = offset
        return self._position

    def read(self, size: int | None = -1) -> bytes:
        if self._body is None:
            try:
                self._body = self._object.get(Range=f"bytes={self._position}-")["Body"]
            except ClientError as e:
                if e.response.get("Error", {}).get("Code") == "InvalidRange":
                    return b""  # at or past the end
                raise
        data = self._body.read(None if size is None or size < 0 else size)
        self._position += len(data)
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks()

    @property
    def closed(self) -> bool:
        return False

    def close(self) -> None:
        self._drop_body()

    def _drop_body(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None


def transfer_config() -> TransferConfig:
    """Uploads in 5 MB parts (S3's smallest), two at a time, at most two read ahead: storing a 200 MB
    video holds a few parts in memory, not s3transfer's default of ten 8 MB ones."""
    config = TransferConfig(multipart_threshold=PART, multipart_chunksize=PART, max_concurrency=2)
    config.max_in_memory_upload_chunks = 2
    return config


class MediaS3Storage(S3Storage):
    """The studio's media storage on S3: django-storages for writes, RangedS3File for reads."""

    def get_default_settings(self) -> dict[str, Any]:
        return {**super().get_default_settings(), "transfer_config": transfer_config()}

    def _open(self, name: str, mode: str = "rb") -> File:
        if mode != "rb":
            return super()._open(name, mode)
        return RangedS3File(self, name)
