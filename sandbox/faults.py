"""Fault switches: how a test makes the sandbox misbehave on purpose.

Three ways to switch a fault on (README.md in this folder has the full list):

1. per request: the header `X-Sandbox-Fault: name[,name...]`;
2. per task, through the studio: a marker in the prompt, `[sandbox:name]` (several allowed, and
   `[sandbox:a,b]`); `[sandbox:seconds=N]` makes that task take N seconds;
3. per run: settings.PIXAPI_SANDBOX_FAULTS, a comma list of `[scope:]name[*count]`. The scope is
   one of submit, poll, images, models, file (or a route name); no scope means every route.
   `*count` switches the fault on for the next `count` matching requests only (a burst).

Request faults change the answer of the request they ride on; task faults are stored on the
task a submit creates and change how that task ends.
"""

import re
import threading
from dataclasses import dataclass, field

from django.conf import settings

HEADER = "X-Sandbox-Fault"

# name -> (HTTP status, error type, message)
ERROR_FAULTS = {
    "unauthorized": (401, "unauthorized", "Invalid API key."),
    "insufficient-credits": (
        402,
        "insufficient_credits",
        "Your Pixapi credit balance is too low for this request.",
    ),
    "prompt-rejected": (422, "prompt_rejected", "The prompt was rejected by moderation."),
    "model-not-found": (404, "model_not_found", "The model does not exist or is not available."),
    "rate-limited": (429, "rate_limited", "Too many requests. Slow down and try again."),
    "rate-limited-no-retry-after": (429, "rate_limited", "Too many requests. Slow down and try again."),
    "internal-error": (500, "internal_error", "An internal error occurred. Please try again."),
    "unavailable": (503, "model_unavailable", "The model is temporarily unavailable. Please try again."),
}
# Changes to how a request is answered, not an error of its own.
BEHAVIOUR_FAULTS = ("slow", "drop", "malformed-json", "numeric-codes")
# Stored on the task a submit creates.
TASK_FAULTS = ("never-finish", "fail-rejected", "fail-internal", "expire-url")
ALL_FAULTS = tuple(ERROR_FAULTS) + BEHAVIOUR_FAULTS + TASK_FAULTS

SUBMIT_ROUTES = frozenset({"submit_video", "submit_image"})
ROUTES = frozenset({"submit_video", "get_task", "images", "submit_image", "models", "file"})
SCOPES = {
    "submit": SUBMIT_ROUTES,
    "poll": frozenset({"get_task"}),
    "images": frozenset({"images", "submit_image"}),
    "models": frozenset({"models"}),
    "file": frozenset({"file"}),
    **{route: frozenset({route}) for route in ROUTES},
}
# Routes where a task fault means something (and so where a run burst of it is spent).
TASK_FAULT_ROUTES = {
    "never-finish": SUBMIT_ROUTES,
    "fail-rejected": SUBMIT_ROUTES,
    "fail-internal": SUBMIT_ROUTES,
    "expire-url": SUBMIT_ROUTES | {"images"},
    "seconds": SUBMIT_ROUTES,
}

MARKER_RE = re.compile(r"\[sandbox:([^\]]*)\]", re.IGNORECASE)
_SECONDS_RE = re.compile(r"seconds\s*=\s*([0-9]+(?:\.[0-9]+)?)$")
_RUN_ENTRY_RE = re.compile(r"^(?:(?P<scope>[a-z_]+):)?(?P<name>[a-z0-9.=-]+?)(?:\*(?P<count>[0-9]+))?$")


class FaultError(ValueError):
    """A fault switch that names no known fault."""


@dataclass
class Faults:
    """The faults switched on for one request."""

    names: set = field(default_factory=set)
    seconds: float | None = None

    def add(self, other):
        self.names |= other.names
        if other.seconds is not None:
            self.seconds = other.seconds

    def __contains__(self, name):
        return name in self.names

    def error(self):
        """The first error fault switched on, as (name, status, type, message), or None."""
        for name, (status, error_type, message) in ERROR_FAULTS.items():
            if name in self.names:
                return name, status, error_type, message
        return None

    def task_faults(self):
        return [name for name in TASK_FAULTS if name in self.names]


def _parse_token(token, where):
    """One fault name (or seconds=N) -> Faults; raises FaultError for an unknown name."""
    token = token.strip().lower()
    seconds = _SECONDS_RE.match(token)
    if seconds:
        return Faults(seconds=float(seconds.group(1)))
    if token not in ALL_FAULTS:
        raise FaultError(
            f"Unknown sandbox fault {token!r} in {where}. Known faults: {', '.join(ALL_FAULTS)}, seconds=N."
        )
    return Faults(names={token})


def parse_list(text, where):
    """'a, b,seconds=3' -> Faults."""
    faults = Faults()
    for token in (text or "").split(","):
        if token.strip():
            faults.add(_parse_token(token, where))
    return faults


def from_header(request):
    return parse_list(request.headers.get(HEADER, ""), f"the {HEADER} header")


def from_prompt(prompt):
    """The faults named by `[sandbox:...]` markers in a prompt."""
    faults = Faults()
    if isinstance(prompt, str):
        for marker in MARKER_RE.findall(prompt):
            faults.add(parse_list(marker, "a [sandbox:...] prompt marker"))
    return faults


def strip_markers(prompt):
    """The prompt as a creator wrote it, without the sandbox markers."""
    return re.sub(r"\s{2,}", " ", MARKER_RE.sub("", prompt or "")).strip()


@dataclass(frozen=True)
class RunEntry:
    raw: str
    scope: str | None
    name: str
    count: int | None
    seconds: float | None = None

    def routes(self):
        return SCOPES[self.scope] if self.scope else ROUTES

    def applies_to(self, route):
        if route not in self.routes():
            return False
        kind = "seconds" if self.seconds is not None else self.name
        return route in TASK_FAULT_ROUTES.get(kind, ROUTES)


def parse_run(value):
    """PIXAPI_SANDBOX_FAULTS -> [RunEntry]; raises FaultError naming the bad entry."""
    entries = []
    for raw in (value or "").split(","):
        raw = raw.strip().lower()
        if not raw:
            continue
        match = _RUN_ENTRY_RE.match(raw.replace(" ", ""))
        if not match:
            raise FaultError(f"PIXAPI_SANDBOX_FAULTS entry {raw!r} is not [scope:]name[*count].")
        scope, name, count = match.group("scope"), match.group("name"), match.group("count")
        if scope and scope not in SCOPES:
            raise FaultError(
                f"PIXAPI_SANDBOX_FAULTS entry {raw!r} has an unknown scope; use one of "
                "submit, poll, images, models, file."
            )
        parsed = _parse_token(name, "PIXAPI_SANDBOX_FAULTS")
        if count is not None and int(count) < 1:
            raise FaultError(f"PIXAPI_SANDBOX_FAULTS entry {raw!r}: the count must be at least 1.")
        entries.append(
            RunEntry(
                raw=raw,
                scope=scope,
                name=next(iter(parsed.names), "seconds"),
                count=int(count) if count is not None else None,
                seconds=parsed.seconds,
            )
        )
    return entries


# Burst counters: how many more requests each `*count` entry of the run setting may hit.
# They belong to the setting's current value: changing PIXAPI_SANDBOX_FAULTS re-arms them.
_lock = threading.Lock()
_used = {}
_armed_for = None


def reset():
    """Forget how much of every burst has been spent."""
    global _armed_for
    with _lock:
        _used.clear()
        _armed_for = None


def from_run(route):
    """The run-wide faults for one request to `route`, spending one unit of each matching burst."""
    global _armed_for
    value = getattr(settings, "PIXAPI_SANDBOX_FAULTS", "") or ""
    entries = parse_run(value)
    faults = Faults()
    with _lock:
        if value != _armed_for:
            _used.clear()
            _armed_for = value
        for index, entry in enumerate(entries):
            if not entry.applies_to(route):
                continue
            if entry.count is not None:
                spent = _used.get(index, 0)
                if spent >= entry.count:
                    continue
                _used[index] = spent + 1
            if entry.seconds is not None:
                faults.seconds = entry.seconds
            else:
                faults.names.add(entry.name)
    return faults
