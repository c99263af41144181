"""The Pixapi error family, and how an error answer is read.

Callers branch on the class; `message` is plain words for logs (the studio words its own text for
creators), `retryable` says whether asking again later can help.
"""

import json
import time
from collections.abc import Iterable
from email.utils import parsedate_to_datetime

import httpx

# A Retry-After beyond this is not believed ("wait a day", "1e400", a date in the year 9999): the
# caller asks again after this long.
MAX_RETRY_AFTER = 600.0


class PixapiError(Exception):
    retryable = False

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        http_status: int | None = None,
        retryable: bool | None = None,
        retry_after: float | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.http_status = http_status
        if retryable is not None:
            self.retryable = retryable
        self.retry_after = retry_after
        self.request_id = request_id

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code!r}, http_status={self.http_status!r})"


class AuthError(PixapiError):
    """The studio's key was refused: an operator problem, never the creator's."""


class InsufficientCredits(PixapiError):
    """The studio's Pixapi account is short of credits."""


class InvalidRequest(PixapiError):
    """Pixapi would not accept these parameters; the message can be shown (reworded) to the creator."""


class NotFound(PixapiError):
    """Unknown model or unknown task."""


class PromptRejected(PixapiError):
    """Moderation turned the prompt down."""


class RateLimited(PixapiError):
    retryable = True


class Unavailable(PixapiError):
    """Pixapi failed or could not be reached; worth asking again later."""

    retryable = True


class OutcomeUnknown(PixapiError):
    """A submit whose answer never arrived intact: a task may exist (and cost money). Never retried."""


class MalformedResponse(PixapiError):
    """A 2xx answer that is not the JSON we need."""

    retryable = True


class ResultExpired(PixapiError):
    """The result URL no longer serves the file (403/404/410)."""


class DownloadTooLarge(PixapiError):
    pass


# What Pixapi (and APIs like it) put in error.type or error.code, normalised with _key().
KINDS = {
    "unauthorized": AuthError,
    "authentication_error": AuthError,
    "invalid_api_key": AuthError,
    "forbidden": AuthError,
    "permission_denied": AuthError,
    "insufficient_credits": InsufficientCredits,
    "insufficient_quota": InsufficientCredits,
    "insufficient_balance": InsufficientCredits,
    "payment_required": InsufficientCredits,
    "invalid_request_error": InvalidRequest,
    "invalid_request": InvalidRequest,
    "bad_request": InvalidRequest,
    "validation_error": InvalidRequest,
    "invalid_parameter": InvalidRequest,
    "model_not_found": NotFound,
    "task_not_found": NotFound,
    "not_found": NotFound,
    "prompt_rejected": PromptRejected,
    "content_policy_violation": PromptRejected,
    "content_policy": PromptRejected,
    "content_filter": PromptRejected,
    "moderation": PromptRejected,
    "moderation_blocked": PromptRejected,
    "safety": PromptRejected,
    "rate_limited": RateLimited,
    "rate_limit_exceeded": RateLimited,
    "rate_limit_error": RateLimited,
    "too_many_requests": RateLimited,
    "internal_error": Unavailable,
    "internal_server_error": Unavailable,
    "server_error": Unavailable,
    "api_error": Unavailable,
    "model_unavailable": Unavailable,
    "service_unavailable": Unavailable,
    "overloaded": Unavailable,
    "overloaded_error": Unavailable,
}

STATUSES = {
    400: InvalidRequest,
    401: AuthError,
    402: InsufficientCredits,
    403: AuthError,
    404: NotFound,
    408: Unavailable,
    422: PromptRejected,
    429: RateLimited,
}

DEFAULT_MESSAGES = {
    AuthError: "Pixapi refused the studio's API key.",
    InsufficientCredits: "The studio's Pixapi account does not have enough credits.",
    InvalidRequest: "Pixapi did not accept the request.",
    NotFound: "Pixapi does not know this model or task.",
    PromptRejected: "Pixapi turned the prompt down.",
    RateLimited: "Pixapi asked the studio to slow down.",
    Unavailable: "Pixapi is having trouble right now.",
}


def _key(value: str) -> str:
    return value.strip().lower().replace("-", "_").replace(" ", "_")


def kind_for(status: int, names: Iterable[str]) -> type[PixapiError]:
    """The error class for an HTTP status and the type/code strings Pixapi gave, in that order.

    The first known name wins, except that a name agreeing with the HTTP status beats an earlier
    broader one (OpenAI-style `type: invalid_request_error, code: model_not_found` on a 404).
    """
    by_status = STATUSES.get(status) or (Unavailable if status >= 500 else PixapiError)
    known = [KINDS[_key(n)] for n in names if _key(n) in KINDS]
    if by_status in known:
        return by_status
    if known:
        return known[0]
    # Words peers use for moderation, whatever the exact code.
    if any(word in _key(n) for n in names for word in ("reject", "policy", "moderation", "safety")):
        return PromptRejected
    return by_status


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After in seconds, from delta-seconds or an HTTP date, at most MAX_RETRY_AFTER; None when
    absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - (now if now is not None else time.time())
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _text(value: object) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, (list, dict)) and value:
        # e.g. a list of validation problems: keep it readable rather than lose it
        return json.dumps(value, ensure_ascii=False)[:500]
    return ""


def _reason(response: httpx.Response) -> str:
    """A short plain-text body (not HTML), or empty."""
    try:
        text = response.text.strip()
    except Exception:
        return ""
    if not text or text.startswith("<") or len(text) > 300:
        return ""
    return " ".join(text.split())


def from_response(response: httpx.Response) -> PixapiError:
    """The PixapiError for a non-2xx httpx response, read liberally from whatever body it has."""
    status = response.status_code
    try:
        body = response.json()
    except (ValueError, RecursionError):
        body = None
    plain_text = "" if body is not None else _reason(response)
    if not isinstance(body, dict):
        body = {}

    error = body.get("error")
    if isinstance(error, dict):
        fields = error
    else:
        # Top-level shape {"code": ..., "message": ...}, or {"error": "some words"}.
        fields = body
    type_ = fields.get("type") if isinstance(fields.get("type"), str) else None
    raw_code = fields.get("code")
    string_code = raw_code if isinstance(raw_code, str) and raw_code.strip() else None
    names = [n for n in (type_, string_code) if n]

    message = (
        _text(fields.get("message"))
        or (_text(error) if isinstance(error, str) else "")
        or _text(body.get("message"))
        or _text(body.get("detail"))
        or plain_text
    )
    kind = kind_for(status, names)
    if not message:
        message = DEFAULT_MESSAGES.get(kind, "Pixapi gave an unexpected answer.")

    code = type_ or string_code
    if code is None and isinstance(raw_code, int | float) and not isinstance(raw_code, bool):
        code = str(int(raw_code))
    request_id = fields.get("request_id") or body.get("request_id") or response.headers.get("x-request-id")
    return kind(
        message,
        code=code,
        http_status=status,
        retry_after=parse_retry_after(response.headers.get("retry-after")),
        request_id=request_id if isinstance(request_id, str) else None,
    )
