"""Batches: many videos asked for at once, from a list of prompts (one a line) or a CSV file with a header
row (prompt, model, duration, size). Reading them is all here: every line checked against the catalog
and the creator's plan, every mistake named by its line number in plain words. Nothing is queued while
any mistake remains: generations.starting.start_batch queues the rows read here, all or none."""

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal

from catalog.models import CatalogModel
from catalog.sizes import LABELS, VideoSize
from catalog.sizes import label as size_label

MAX_ROWS = 200
MAX_BYTES = 1_000_000
MAX_PROMPT = 2000  # as the create form (generations.forms.MAX_PROMPT)
COLUMNS = ("prompt", "model", "duration", "size")
DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class Row:
    """One video of a batch, checked: what it makes and what it costs."""

    line: int
    prompt: str
    model: CatalogModel
    duration: int
    size: str
    cost: Decimal
    style: str = ""
    camera: str = ""

    @property
    def size_label(self):
        return size_label(self.size)


@dataclass
class Reading:
    """What was read: the rows, or the mistakes (one line each, in plain words)."""

    rows: list[Row] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    from_csv: bool = False
    text: str = ""  # what was read, as text: the preview sends it back with the confirmation

    @property
    def total(self):
        return sum((row.cost for row in self.rows), Decimal("0"))

    @property
    def ok(self):
        return bool(self.rows) and not self.errors

    def within_cap(self, cap):
        """How many rows, from the first, the cap pays for (the dispatcher stops the batch at the next)."""
        if cap is None:
            return len(self.rows)
        spent = Decimal("0")
        for i, row in enumerate(self.rows):
            spent += row.cost
            if spent > cap:
                return i
        return len(self.rows)


@dataclass(frozen=True)
class Defaults:
    """What the form chose, for the lines that do not say (every line of a pasted list)."""

    model: CatalogModel
    duration: int
    size: str
    style: str = ""
    camera: str = ""


# Reading a file or a text


def read_upload(data, *, offer, defaults):
    """An uploaded CSV file (bytes): UTF-8, with or without a BOM, a header row first."""
    if len(data) > MAX_BYTES:
        return Reading(errors=[f"That file is {_size_words(len(data))}; a batch file may be up to 1 MB."])
    text, problem = _decode(data)
    if problem:
        return Reading(errors=[problem])
    if not text.strip():
        return Reading(errors=["That file is empty."])
    if "prompt" not in _columns(_first_line(text)):
        return Reading(
            errors=[
                "Line 1: the first line must name the columns, for example prompt,model,duration,size "
                f'(only prompt is needed). It says "{_short(_first_line(text))}".'
            ]
        )
    return read_csv(text, offer=offer, defaults=defaults)


def read_text(text, *, offer, defaults):
    """Pasted text: one prompt a line; or, when its first line names the columns, CSV."""
    if len(text.encode()) > MAX_BYTES:
        return Reading(errors=["That is more than 1 MB of text; a batch may be up to 1 MB."])
    if _is_header(_first_line(text)):
        return read_csv(text, offer=offer, defaults=defaults)
    reading = Reading(text=text)
    check = _Checker(offer, defaults)
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        reading.errors.append("Write at least one prompt, one a line.")
    elif len(lines) > MAX_ROWS:
        reading.errors.append(_too_many(len(lines)))
    else:
        for n, line in lines:
            check.add(reading, n, prompt=line)
    return reading


def read_csv(text, *, offer, defaults):
    """CSV text whose first line names the columns (prompt, and any of model, duration, size)."""
    reading = Reading(from_csv=True, text=text)
    text = text.removeprefix("\ufeff")
    delimiter = _delimiter(_first_line(text))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records, last = [], 0
    try:
        for cells in reader:
            start, last = last + 1, reader.line_num
            if any(cell.strip() for cell in cells):
                records.append((start, cells))
    except csv.Error:
        reading.errors.append(f"Line {last + 1}: it could not be read as CSV. Check its quotes.")
        return reading
    if not records:
        reading.errors.append("There is nothing in it.")
        return reading
    (header_line, header), *records = records
    names = [_column(cell) for cell in header]
    problem = _header_problem(names)
    if problem:
        reading.errors.append(f"Line {header_line}: {problem}")
        return reading
    if not records:
        reading.errors.append("There are no prompts under the first line.")
        return reading
    if len(records) > MAX_ROWS:
        reading.errors.append(_too_many(len(records)))
        return reading
    check = _Checker(offer, defaults)
    for n, cells in records:
        if len(cells) > len(names) and any(c.strip() for c in cells[len(names) :]):
            reading.errors.append(
                f"Line {n}: it has {len(cells)} values, but the first line names {len(names)} columns. "
                "Put a prompt with commas in double quotes."
            )
            continue
        values = dict(zip(names, cells, strict=False))
        check.add(
            reading,
            n,
            prompt=values.get("prompt", ""),
            model=values.get("model", ""),
            duration=values.get("duration", ""),
            size=values.get("size", ""),
        )
    return reading


# Checking one line


class _Checker:
    def __init__(self, offer, defaults):
        self.offer, self.defaults = offer, defaults
        self.plan = offer.plan
        self.models = list(CatalogModel.objects.filter(kind=CatalogModel.Kind.VIDEO))
        self.offered = [m.name for m in offer.video_models()]

    def add(self, reading, n, *, prompt, model="", duration="", size=""):
        """Adds the line's row to the reading, or its mistake."""
        try:
            reading.rows.append(self.row(n, prompt, model.strip(), duration.strip(), size.strip()))
        except _Mistake as mistake:
            reading.errors.append(f"Line {n}: {mistake}")

    def row(self, n, prompt, model_text, duration_text, size_text):
        prompt = " ".join(prompt.split())
        if not prompt:
            raise _Mistake("the prompt is empty. Describe the video, or remove the line.")
        if len(prompt) > MAX_PROMPT:
            raise _Mistake(f"the prompt is {len(prompt):,} characters long; keep it under {MAX_PROMPT:,}.")
        model = self.model(model_text) if model_text else self.defaults.model
        duration = self.duration(model, duration_text)
        size = self.size(model, size_text)
        d = self.defaults
        return Row(n, prompt, model, duration, size, model.price(duration, size), style=d.style, camera=d.camera)

    def use(self):
        return f"Use {_listed(self.offered)}." if self.offered else "Your plan makes no videos."

    def model(self, text):
        wanted = text.lower()
        found = next((m for m in self.models if wanted in (m.slug.lower(), m.name.lower())), None)
        if found is None:
            image = CatalogModel.objects.filter(kind=CatalogModel.Kind.IMAGE).filter(slug__iexact=text).first()
            image = image or CatalogModel.objects.filter(kind=CatalogModel.Kind.IMAGE, name__iexact=text).first()
            if image is not None:
                raise _Mistake(f"{image.name} makes pictures, not videos. {self.use()}")
            raise _Mistake(f'there is no model called "{_short(text)}". {self.use()}')
        if not (found.enabled and found.text_to_video):
            raise _Mistake(f"{found.name} is not available right now. {self.use()}")
        if not self.offer.includes(found):
            raise _Mistake(f"{found.name} is not part of your {self.plan.name} plan. {self.use()}")
        return found

    def duration(self, model, text):
        if text:
            value = text.lower()
            for unit in ("seconds", "second", "secs", "sec", "s"):
                value = value.removesuffix(unit)
            try:
                seconds = int(value.strip())
            except ValueError:
                raise _Mistake(f'the length "{_short(text)}" is not a whole number of seconds.') from None
            chosen = ""
        else:
            seconds, chosen = (
                self.defaults.duration,
                " (the length chosen on the form). Give one in the duration column",
            )
        if seconds not in model.durations:
            raise _Mistake(
                f"{model.name} makes videos of {_listed(model.durations, 'or')} seconds, not {seconds}{chosen}."
            )
        if seconds not in self.offer.durations(model):
            raise _Mistake(
                f"your {self.plan.name} plan makes videos of up to {self.plan.max_duration} seconds, not {seconds}{chosen}."
            )
        return seconds

    def size(self, model, text):
        if not text:
            size, chosen = self.defaults.size, " (the shape chosen on the form). Give one in the size column"
        else:
            size, chosen = _size(text), ""
            if size is None:
                raise _Mistake(f'"{_short(text)}" is not a shape. Use one like 1280x720 or Landscape 720p.')
        if size not in model.sizes:
            shapes = _listed([size_label(s) for s in model.sizes], "or")
            raise _Mistake(f"{model.name} cannot make {size_label(size)}{chosen}. Use {shapes}.")
        if size not in self.offer.sizes(model):
            raise _Mistake(f"your {self.plan.name} plan makes 720p videos, not {size_label(size)}{chosen}.")
        return size


class _Mistake(Exception):
    pass


# Small helpers


def _size(text):
    """ "1280x720" from "1280x720", "1280 × 720" or "Landscape 720p"; None for anything else."""
    by_label = {label.lower(): size for size, label in LABELS.items()}
    if text.lower() in by_label:
        return by_label[text.lower()]
    compact = "".join(text.lower().split()).replace("×", "x")
    try:
        return str(VideoSize.parse(compact))
    except ValueError:
        return None


def _decode(data):
    """(text, None), or (None, what is wrong with the file in plain words)."""
    if data.startswith(b"PK\x03\x04"):
        return None, (
            "That looks like a spreadsheet workbook, not a CSV file. Save it as “CSV UTF-8” from your "
            "spreadsheet, and upload that."
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, "That file is saved as UTF-16. Save it as “CSV UTF-8” from your spreadsheet, and upload that."
    if b"\x00" in data:
        return None, "That is not a CSV file: it holds binary data. Upload a CSV file (comma-separated text)."
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, "That file is not UTF-8 text. Save it as “CSV UTF-8” from your spreadsheet, and upload that."
    if any(ord(c) < 32 and c not in "\t\r\n" for c in text):
        return None, "That is not a CSV file: it holds binary data. Upload a CSV file (comma-separated text)."
    return text, None


def _first_line(text):
    for line in text.removeprefix("\ufeff").splitlines():
        if line.strip():
            return line
    return ""


def _delimiter(line):
    return max(DELIMITERS, key=line.count) if any(d in line for d in DELIMITERS) else ","


def _column(cell):
    return cell.strip().strip('"').strip().lower()


def _columns(line):
    return [_column(cell) for cell in line.split(_delimiter(line))]


def _is_header(line):
    """Whether a line names the columns: prompt, and none but the studio's."""
    names = _columns(line)
    return "prompt" in names and set(names) <= {*COLUMNS, ""}


def _header_problem(names):
    unknown = [name for name in names if name and name not in COLUMNS]
    if unknown:
        return f'"{_short(unknown[0])}" is not a column the studio reads. Name the columns prompt, model, duration and size.'
    if "prompt" not in names:
        return "the first line must name a prompt column (and any of model, duration and size)."
    twice = next((name for name in names if name and names.count(name) > 1), None)
    if twice:
        return f'it names the column "{twice}" twice.'
    return ""


def _too_many(n):
    return f"There are {n:,} videos in it; a batch makes at most {MAX_ROWS}. Split it into smaller batches."


def _listed(values, last="and"):
    values = [str(v) for v in values]
    if len(values) > 6 and all(v.isdigit() for v in values):
        return f"{values[0]} to {values[-1]}"
    return ", ".join(values[:-1]) + f" {last} {values[-1]}" if len(values) > 1 else "".join(values)


def _short(text, limit=40):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _size_words(n):
    return f"{n / 1_000_000:.1f} MB"
