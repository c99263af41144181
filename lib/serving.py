"""Serving stored files with HTTP Range support, so seeking works and Safari plays videos."""

import re
from collections.abc import Iterator
from typing import IO, Literal

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils.http import content_disposition_header

RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 64 * 1024
BEYOND_ANY_FILE = 10**18  # what a position of more digits than that stands for


def stored_file_response(
    request: HttpRequest,
    name: str | None,
    content_type: str,
    download_name: str | None = None,
    cache_seconds: int = 3600,
    inline_name: str | None = None,
) -> HttpResponseBase:
    """The file, whole or the range asked for. Its storage name (which holds the generation's id) is never
    told: a download is named `download_name`, a file shown in the page `inline_name` or nothing."""
    if not name:  # a generation without this file: the storage's root is no file to serve
        return HttpResponse("This file is not available.", status=404, content_type="text/plain")
    try:
        size = default_storage.size(name)
    except (FileNotFoundError, OSError):
        return HttpResponse("This file is no longer available.", status=404, content_type="text/plain")
    byte_range = _parse_range(request.headers.get("Range", ""), size)
    if byte_range == "unsatisfiable":
        response: HttpResponseBase = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response

    handle = default_storage.open(name, "rb")
    if byte_range is None:
        response = FileResponse(handle, content_type=content_type)
        response["Content-Length"] = str(size)
    else:
        start, end = byte_range
        handle.seek(start)
        response = StreamingHttpResponse(_read(handle, end - start + 1), status=206, content_type=content_type)
        response["Content-Length"] = str(end - start + 1)
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = f"private, max-age={cache_seconds}"
    if disposition := content_disposition_header(bool(download_name), download_name or inline_name or ""):
        response["Content-Disposition"] = disposition
    elif "Content-Disposition" in response:
        del response["Content-Disposition"]  # FileResponse names the stored file
    return response


def _parse_range(header: str, size: int) -> tuple[int, int] | Literal["unsatisfiable"] | None:
    """(start, end) inclusive for one satisfiable range, None for the whole file."""
    match = RANGE_RE.match(header.strip())
    if not match or size == 0:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":
        length = _position(last)
        if length == 0:
            return "unsatisfiable"
        return max(size - length, 0), size - 1
    start = _position(first)
    end = _position(last) if last else size - 1
    if start >= size or end < start:
        return "unsatisfiable"
    return start, min(end, size - 1)


def _position(digits: str) -> int:
    """A byte position from the header; thousands of digits must not cost time or raise (int() refuses
    strings over 4,300 digits), and anything that long is past the end of any file anyway."""
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= 18 else BEYOND_ANY_FILE


def _read(handle: IO[bytes], length: int) -> Iterator[bytes]:
    try:
        while length > 0:
            chunk = handle.read(min(CHUNK, length))
            if not chunk:
                break
            length -= len(chunk)
            yield chunk
    finally:
        handle.close()
