"""The studio's client for Pixapi, the async video API (the wire contract: docs/pixapi-contract.md).

Liberal in what it accepts: statuses, result shapes and error bodies vary between Pixapi's own
pages and its peers, so everything is read defensively and normalised into a Task or a PixapiError.

Reads (task status, models) retry with Pixapi's backoff. Anything that creates a task or spends
money (submits, sync images) is sent exactly once: if its answer is lost, that is OutcomeUnknown.
"""

import base64
import binascii
import logging
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any, Self
from urllib.parse import quote, urljoin

import httpx
from django.conf import settings

from pixapi.errors import (  # noqa: F401  (re-exported: callers use client.X)
    AuthError,
    DownloadTooLarge,
    InsufficientCredits,
    InvalidRequest,
    MalformedResponse,
    NotFound,
    OutcomeUnknown,
    PixapiError,
    PromptRejected,
    RateLimited,
    ResultExpired,
    Unavailable,
    from_response,
)

log = logging.getLogger(__name__)

USER_AGENT = f"studio/0.1 httpx/{httpx.__version__}"
MAX_BACKOFF = 8.0
# A Retry-After longer than this is not slept through in a worker thread: the error goes to the
# caller, which reschedules (it has retry_after).
MAX_RETRY_WAIT = 60.0
# Longer ids or URLs than these are not Pixapi's: the studio stores both (task ids are task_ + 26).
MAX_ID_LENGTH = 64
MAX_URL_LENGTH = 2000
# An answer other than a result file (a task, an error, the model list) is JSON of a few KB; one past
# this is refused as it arrives instead of being read whole into a worker's memory.
MAX_ANSWER_BYTES = 1_000_000

QUEUED = "queued"
RUNNING = "running"
COMPLETED = "completed"
FAILED = "failed"

STATUS_MAP = {
    "submitted": QUEUED,
    "queued": QUEUED,
    "pending": QUEUED,
    "in_progress": RUNNING,
    "running": RUNNING,
    "processing": RUNNING,
    "completed": COMPLETED,
    "succeeded": COMPLETED,
    "success": COMPLETED,
    "succeed": COMPLETED,
    "failed": FAILED,
    "canceled": FAILED,
    "cancelled": FAILED,
    "expired": FAILED,
    "error": FAILED,
}
# Terminal failures that carry their reason in the status itself.
STATUS_ERROR_CODES = {"canceled": "canceled", "cancelled": "canceled", "expired": "expired"}


@dataclass(frozen=True)
class Task:
    id: str
    status: str  # queued | running | completed | failed
    progress: int  # 0..100
    video_url: str | None
    error_code: str | None
    error_message: str | None
    raw_status: str  # what Pixapi said
    model: str | None = None
    created_at: datetime | None = None
    result_urls: tuple[str, ...] = ()

    @property
    def is_terminal(self) -> bool:
        return self.status in (COMPLETED, FAILED)


@dataclass(frozen=True)
class GeneratedImage:
    url: str | None
    data: bytes | None  # decoded b64_json


def normalise_status(raw: object) -> str:
    key = str(raw or "").strip().lower().replace("-", "_").replace(" ", "_")
    return STATUS_MAP.get(key, RUNNING)


def backoff(attempt: int) -> float:
    """Pixapi's documented backoff, in seconds, before retry number `attempt` (0-based)."""
    return min(MAX_BACKOFF, 0.5 * 2**attempt) + random.uniform(0, 0.25)


def _progress(value: Any, status: str) -> int:
    if status == COMPLETED:
        return 100
    if isinstance(value, str):
        value = value.strip().rstrip("%")
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0
    if number != number:  # NaN
        return 0
    return int(min(max(number, 0), 100))


def _timestamp(value: object) -> datetime | None:
    """Unix seconds (or milliseconds) or an ISO 8601 string -> aware datetime, else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        if value > 1e11:  # milliseconds
            value = value / 1000
        try:
            return datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            return _timestamp(float(text))
        except ValueError:
            pass
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _urls(items: object) -> list[str]:
    """Every URL in a list of {"url": ...} objects or plain strings."""
    urls = []
    for item in items if isinstance(items, list) else [items]:
        if isinstance(item, dict):
            item = item.get("url") or item.get("video_url")
        if isinstance(item, str) and item.strip() and len(item.strip()) <= MAX_URL_LENGTH:
            urls.append(item.strip())
    return urls


def _result_urls(body: dict[str, Any]) -> list[str]:
    """The result URLs: result.data[*].url as documented, or the shapes peers use."""
    result = body.get("result")
    if isinstance(result, dict):
        for key in ("data", "videos", "images", "output", "url", "video_url"):
            if key in result:
                urls = _urls(result[key])
                if urls:
                    return urls
    elif isinstance(result, list | str):
        if urls := _urls(result):
            return urls
    for key in ("output", "video_url", "url", "videos"):
        if key in body:
            urls = _urls(body[key])
            if urls:
                return urls
    return []


def _error_fields(body: dict[str, Any]) -> tuple[str | None, str | None]:
    error = body.get("error")
    code = message = None
    if isinstance(error, dict):
        raw = error.get("code")
        code = raw if isinstance(raw, str) and raw.strip() else error.get("type")
        if not isinstance(code, str) and isinstance(raw, int | float) and not isinstance(raw, bool):
            code = str(int(raw))
        message = error.get("message")
    elif isinstance(error, str):
        message = error
    code = code or body.get("error_code") or body.get("failure_code")
    message = message or body.get("error_message") or body.get("failure_reason")
    return (
        str(code).strip() if code not in (None, "") else None,
        message.strip() if isinstance(message, str) and message.strip() else None,
    )


def parse_task(body: object, task_id: str | None = None) -> Task:
    """A Task from Pixapi's task object; raises MalformedResponse when it is not one."""
    if isinstance(body, dict) and not ({"id", "task_id", "status"} & body.keys()):
        if isinstance(body.get("data"), dict):  # some peers wrap the task: {"code": 0, "data": {...}}
            body = body["data"]
    if not isinstance(body, dict):
        raise MalformedResponse("Pixapi's answer was not a task object.")
    found_id = body.get("id") or body.get("task_id") or task_id
    raw_status = body.get("status") or body.get("state") or body.get("task_status")
    if not isinstance(found_id, str | int) or isinstance(found_id, bool) or not raw_status:
        raise MalformedResponse("Pixapi's task object has no id or no status.")
    if len(str(found_id)) > MAX_ID_LENGTH:
        raise MalformedResponse(f"Pixapi's task id is longer than {MAX_ID_LENGTH} characters.")
    raw_status = str(raw_status)
    status = normalise_status(raw_status)
    urls = _result_urls(body) if status == COMPLETED else []
    error_code = error_message = None
    if status == FAILED:
        error_code, error_message = _error_fields(body)
        error_code = error_code or STATUS_ERROR_CODES.get(raw_status.strip().lower())
    model = body.get("model")
    return Task(
        id=str(found_id),
        status=status,
        progress=_progress(body.get("progress"), status),
        video_url=urls[0] if urls else None,
        error_code=error_code,
        error_message=error_message,
        raw_status=raw_status,
        model=model if isinstance(model, str) else None,
        created_at=_timestamp(body.get("created_at")),
        result_urls=tuple(urls),
    )


def _decode_image(text: str) -> bytes:
    if text.startswith("data:") and "," in text:
        text = text.split(",", 1)[1]
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedResponse("Pixapi sent an image that is not valid base64.") from None


def parse_images(body: object) -> list[GeneratedImage]:
    items = body.get("data") if isinstance(body, dict) else body
    if not isinstance(items, list) or not items:
        raise MalformedResponse("Pixapi's image answer has no images.")
    images = []
    for item in items:
        if isinstance(item, str):
            images.append(GeneratedImage(url=item, data=None))
        elif isinstance(item, dict) and isinstance(item.get("b64_json"), str):
            images.append(GeneratedImage(url=item.get("url"), data=_decode_image(item["b64_json"])))
        elif isinstance(item, dict) and isinstance(item.get("url"), str):
            images.append(GeneratedImage(url=item["url"], data=None))
        else:
            raise MalformedResponse("Pixapi's image answer has an entry with neither url nor b64_json.")
    return images


def _describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _not_sent(exc: BaseException) -> bool:
    """True when httpx failed before any byte of the request reached Pixapi."""
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)


class PixapiClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        transport: httpx.BaseTransport | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        read_retries: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        max_download_bytes: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.read_timeout = read_timeout
        self.read_retries = read_retries
        self.max_download_bytes = max_download_bytes
        self.sleep = sleep
        self._origin = httpx.URL(self.base_url + "/")
        self._http = httpx.Client(
            transport=transport,
            headers={
                "Authorization": f"Bearer {api_key}",
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
                **(headers or {}),
            },
            timeout=httpx.Timeout(connect=connect_timeout, read=read_timeout, write=read_timeout, pool=read_timeout),
            # Room for the sweeper's ~50 concurrent polls plus downloads, all from threads.
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=50, keepalive_expiry=30),
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Routes

    def submit_video(
        self,
        *,
        model: str,
        prompt: str,
        duration: int | None = None,
        size: str | None = None,
        input_image: str | None = None,
    ) -> Task:
        body: dict[str, Any] = {"model": model, "prompt": prompt}
        if duration is not None:
            body["duration"] = duration
        if size:
            body["size"] = size
        if input_image:
            body["input_image"] = input_image
        return _created_task(self._create("/v1/async/videos/generations", body, what="video task"))

    def submit_image(
        self, *, model: str, prompt: str, n: int = 1, size: str | None = None, quality: str | None = None
    ) -> Task:
        body = _image_body(model, prompt, n, size, quality)
        return _created_task(self._create("/v1/async/images/generations", body, what="image task"))

    def generate_images(
        self,
        *,
        model: str,
        prompt: str,
        n: int = 1,
        size: str | None = None,
        quality: str | None = None,
        response_format: str = "url",
        timeout: float | None = None,
    ) -> list[GeneratedImage]:
        """Sync image generation. `timeout` overrides the read timeout: these calls can take a while."""
        body = _image_body(model, prompt, n, size, quality)
        body["response_format"] = response_format
        answer = self._create("/v1/images/generations", body, what="images", timeout=timeout)
        try:
            return parse_images(answer)
        except MalformedResponse as e:
            raise OutcomeUnknown(f"{e.message} The images may have been made and charged.") from e

    def get_task(self, task_id: str, *, retries: int | None = None) -> Task:
        """The task's state; retries=0 for callers that reschedule on their own."""
        path = f"/v1/tasks/{quote(str(task_id), safe='')}"
        return self._read(path, lambda body: parse_task(body, task_id), retries)

    def list_models(self) -> list[dict[str, Any]]:
        def parse(body: object) -> list[dict[str, Any]]:
            items = body.get("data", body.get("models")) if isinstance(body, dict) else body
            if not isinstance(items, list):
                raise MalformedResponse("Pixapi's model list is not a list.")
            return [item if isinstance(item, dict) else {"id": str(item)} for item in items]

        return self._read("/v1/models", parse, None)

    def download(
        self,
        url: str,
        dest: str | os.PathLike[str] | IO[bytes],
        *,
        max_bytes: int | None = None,
        seconds: float | None = None,
    ) -> int:
        """Streams a result file to `dest` (a path or a binary file object). Returns the bytes written.

        `seconds` bounds the whole transfer (the read timeout bounds only each wait for bytes, so a
        trickling server could otherwise hold a worker for ever): past it, Unavailable."""
        max_bytes = max_bytes if max_bytes is not None else self.max_download_bytes
        give_up = time.monotonic() + seconds if seconds is not None else None
        try:
            target = httpx.URL(urljoin(self.base_url + "/", url))
        except (httpx.InvalidURL, ValueError) as e:
            raise PixapiError(f"Pixapi gave a result URL that is not a URL: {_describe(e)}") from None
        if target.scheme not in ("http", "https"):
            raise PixapiError(f"Pixapi gave a result URL that is not http(s): {target.scheme}:")
        request = self._http.build_request("GET", target, headers={"Accept": "*/*"})
        # The key is for Pixapi only; result files usually live on a CDN or bucket.
        if (target.scheme, target.host, target.port) != (self._origin.scheme, self._origin.host, self._origin.port):
            del request.headers["Authorization"]

        path = dest if isinstance(dest, str | os.PathLike) else None
        written = 0
        try:
            response = self._http.send(request, stream=True, follow_redirects=True)
            try:
                _check_download(response, max_bytes)
                out = open(dest, "wb") if isinstance(dest, str | os.PathLike) else dest
                try:
                    for chunk in response.iter_bytes():
                        written += len(chunk)
                        if max_bytes is not None and written > max_bytes:
                            raise DownloadTooLarge(f"The result file is larger than {max_bytes} bytes.")
                        if give_up is not None and time.monotonic() > give_up:
                            raise Unavailable(f"The result file took longer than {seconds:g} s to download.")
                        out.write(chunk)
                finally:
                    if path is not None:
                        out.close()
            finally:
                response.close()
        except httpx.RequestError as e:  # and redirect loops, bodies that do not decode
            _remove(path)
            raise Unavailable(f"Could not download the result file: {_describe(e)}") from e
        except BaseException:
            _remove(path)
            raise
        return written

    # Plumbing

    def _url(self, path: str) -> str:
        return self.base_url + path

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """The answer, its body read as it arrives and refused past MAX_ANSWER_BYTES."""
        with self._http.stream(method, url, **kwargs) as streamed:
            body = bytearray()
            for chunk in streamed.iter_bytes():
                body += chunk
                if len(body) > MAX_ANSWER_BYTES:
                    raise _AnswerTooLarge(
                        f"Pixapi's answer was larger than {MAX_ANSWER_BYTES:,} bytes", streamed.status_code
                    )
        # Kept as read: decoded already, so without the headers that described it on the wire.
        headers = [
            (k, v) for k, v in streamed.headers.multi_items() if k.lower() not in ("content-encoding", "content-length")
        ]
        return httpx.Response(streamed.status_code, headers=headers, content=bytes(body), request=streamed.request)

    def _create(self, path: str, body: dict[str, Any], *, what: str, timeout: float | None = None) -> Any:
        """POSTs something that creates a task or spends money: exactly once, never retried."""
        unknown = f"the {what} may or may not have been created."
        kwargs: dict[str, Any] = {"json": body}
        if timeout is not None:
            kwargs["timeout"] = httpx.Timeout(self._http.timeout.connect, read=timeout, write=timeout, pool=timeout)
        try:
            response = self._send("POST", self._url(path), **kwargs)
        except _AnswerTooLarge as e:
            if 400 <= e.status < 500:  # refused: nothing was created, whatever the body would have said
                message = f"Pixapi refused the request (HTTP {e.status}); {e.message}."
                kind = RateLimited if e.status == 429 else PixapiError
                raise kind(message, http_status=e.status) from None
            raise OutcomeUnknown(f"{e.message}; {unknown}", http_status=e.status) from None
        except httpx.TimeoutException as e:
            if _not_sent(e):
                raise Unavailable(f"Could not reach Pixapi: {_describe(e)}") from e
            raise OutcomeUnknown(f"Pixapi did not answer in time; {unknown}") from e
        except httpx.TransportError as e:
            if _not_sent(e):
                raise Unavailable(f"Could not reach Pixapi: {_describe(e)}") from e
            raise OutcomeUnknown(f"The connection to Pixapi broke after sending ({_describe(e)}); {unknown}") from e
        except httpx.RequestError as e:  # e.g. an answer whose body does not decode
            raise OutcomeUnknown(f"Pixapi's answer could not be read ({_describe(e)}); {unknown}") from e

        if response.status_code >= 500:
            error = from_response(response)
            if response.status_code == 503 and _says_unavailable(response):
                # Pixapi itself says the model or service is down: it made nothing, so asking again
                # later is safe (the lifecycle sends the video back to its line, as for a 429).
                raise Unavailable(
                    error.message,
                    code=error.code,
                    http_status=503,
                    retry_after=error.retry_after,
                    request_id=error.request_id,
                )
            raise OutcomeUnknown(
                f"Pixapi failed while answering ({error.message}); {unknown}",
                code=error.code,
                http_status=response.status_code,
                request_id=error.request_id,
            ) from error
        if not response.is_success:
            raise _error_for(response)
        try:
            return response.json()
        except (ValueError, RecursionError):
            raise OutcomeUnknown(
                f"Pixapi's answer was not valid JSON; {unknown}",
                http_status=response.status_code,
                request_id=response.headers.get("x-request-id"),
            ) from None

    def _read[T](self, path: str, parse: Callable[[Any], T], retries: int | None) -> T:
        """GETs and parses, retrying what can pass with Pixapi's backoff."""
        retries = self.read_retries if retries is None else retries
        attempt = 0
        while True:
            try:
                return parse(self._get_json(path))
            except PixapiError as e:
                wait = backoff(attempt)
                if e.retry_after is not None:
                    wait = max(wait, e.retry_after)
                if not e.retryable or attempt >= retries or wait > MAX_RETRY_WAIT:
                    raise
                log.info("Pixapi GET %s: %s; retrying in %.1f s", path, e.message, wait)
                self.sleep(wait)
                attempt += 1

    def _get_json(self, path: str) -> Any:
        try:
            response = self._send("GET", self._url(path), follow_redirects=True)
        except _AnswerTooLarge as e:
            raise MalformedResponse(f"{e.message}.", http_status=e.status) from None
        except httpx.TimeoutException as e:
            raise Unavailable(f"Pixapi did not answer in time: {_describe(e)}") from e
        except httpx.RequestError as e:  # also a redirect loop, a body that does not decode
            raise Unavailable(f"Could not reach Pixapi: {_describe(e)}") from e
        if not response.is_success:
            raise _error_for(response)
        try:
            return response.json()
        except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
            raise MalformedResponse(
                "Pixapi's answer was not valid JSON.",
                http_status=response.status_code,
                request_id=response.headers.get("x-request-id"),
            ) from None


class _AnswerTooLarge(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message, self.status = message, status


def _image_body(model: str, prompt: str, n: int, size: str | None, quality: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "prompt": prompt, "n": n}
    if size:
        body["size"] = size
    if quality:
        body["quality"] = quality
    return body


def _created_task(answer: object) -> Task:
    try:
        return parse_task(answer)
    except MalformedResponse as e:
        raise OutcomeUnknown(f"{e.message} A task may have been created.") from e


UNAVAILABLE_CODES = frozenset({"model_unavailable", "service_unavailable"})


def _says_unavailable(response: httpx.Response) -> bool:
    """Whether the body is Pixapi's own error JSON, `{"error": {"code" or "type": ...}}`, naming an outage."""
    try:
        body = response.json()
    except (ValueError, RecursionError):
        return False
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return False
    return any(isinstance(error.get(name), str) and error[name] in UNAVAILABLE_CODES for name in ("code", "type"))


def _error_for(response: httpx.Response) -> PixapiError:
    if response.is_redirect:
        location = response.headers.get("location", "")
        return PixapiError(
            f"Pixapi redirected the request to {location!r}; check PIXAPI_BASE_URL.",
            http_status=response.status_code,
        )
    return from_response(response)


def _check_download(response: httpx.Response, max_bytes: int | None) -> None:
    status = response.status_code
    if status in (403, 404, 410):
        raise ResultExpired(f"The result file is gone (HTTP {status}).", http_status=status)
    if not response.is_success:
        response.read()
        error = from_response(response)
        if status >= 500:
            raise Unavailable(f"Could not download the result file: {error.message}", http_status=status) from error
        raise error
    length = response.headers.get("content-length", "")
    if max_bytes is not None and length.isdigit() and int(length) > max_bytes:
        raise DownloadTooLarge(f"The result file is {length} bytes, more than the {max_bytes} allowed.")


def _remove(path: str | os.PathLike[str] | None) -> None:
    if path is None:
        return
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


# The shared client

_lock = threading.Lock()
_shared: PixapiClient | None = None
_shared_key: tuple[object, ...] | None = None


def get_client() -> PixapiClient:
    """One client per process, so polls share a connection pool; rebuilt when the settings change."""
    global _shared, _shared_key
    api_key = settings.PIXAPI_SANDBOX_KEY if settings.PIXAPI_USE_SANDBOX else settings.PIXAPI_API_KEY
    key = (
        settings.PIXAPI_BASE_URL,
        api_key,
        settings.PIXAPI_CONNECT_TIMEOUT,
        settings.PIXAPI_READ_TIMEOUT,
        settings.PIXAPI_READ_RETRIES,
        settings.PIXAPI_MAX_DOWNLOAD_BYTES,
    )
    with _lock:
        if _shared is None or _shared_key != key:
            # The old client is not closed: another thread may still be using it. Its pool goes with it.
            _shared = PixapiClient(
                settings.PIXAPI_BASE_URL,
                api_key,
                connect_timeout=settings.PIXAPI_CONNECT_TIMEOUT,
                read_timeout=settings.PIXAPI_READ_TIMEOUT,
                read_retries=settings.PIXAPI_READ_RETRIES,
                max_download_bytes=settings.PIXAPI_MAX_DOWNLOAD_BYTES,
            )
            _shared_key = key
        return _shared
