"""Where credits went: spending per day and per model, the ledger's filters, and the day chart drawn as SVG
on the server (no script, no CDN; the page's CSP stays strict). Used by the usage page and by admin."""

from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import CreditEntry

Kind = CreditEntry.Kind

# The ledger's filters: what a creator can pick, and the kinds each shows.
FILTERS = {
    "": ("Everything", None),
    "spent": ("Spent", [Kind.CHARGE]),
    "held": ("In progress", [Kind.HOLD]),
    "returned": ("Returned", [Kind.RELEASE, Kind.REFUND]),
    "added": ("Added", [Kind.GRANT, Kind.ALLOWANCE, Kind.PURCHASE, Kind.ADJUSTMENT]),
}


def parse_month(month):
    """(year, month) from "YYYY-MM", or None. Years stay well inside what dates (and a time zone's
    offset from them) can hold."""
    year, _, number = month.partition("-")
    if len(year) == 4 and len(number) == 2 and year.isdigit() and number.isdigit():
        if 1900 <= int(year) <= 9000 and 1 <= int(number) <= 12:
            return int(year), int(number)
    return None


def filtered(entries, kind="", month=""):
    """The ledger narrowed to a filter from FILTERS and a month "YYYY-MM" (anything else: no narrowing)."""
    kinds = FILTERS.get(kind, FILTERS[""])[1]
    if kinds:
        entries = entries.filter(kind__in=kinds)
    if parsed := parse_month(month):
        entries = entries.filter(created_at__year=parsed[0], created_at__month=parsed[1])
    return entries


def months_with_entries(entries):
    days = entries.dates("created_at", "month", order="DESC")
    return [(f"{d:%Y-%m}", f"{d:%B %Y}") for d in days[:24]]


def daily_spending(entries, days=30, today=None):
    """[(day, credits spent)] for the last `days` days up to today, every day present (zero when none)."""
    today = today or timezone.localdate()
    first = today - timedelta(days=days - 1)
    totals = dict(
        entries.spending()
        .filter(created_at__date__gte=first)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(total=Sum("amount"))
        .values_list("day", "total")
    )
    return [(first + timedelta(days=i), -(totals.get(first + timedelta(days=i)) or Decimal("0"))) for i in range(days)]


def by_model(entries, since=None):
    """Spending per model, most first: [{"name", "videos", "credits", "share"}]."""
    spending = entries.spending()
    if since is not None:
        spending = spending.filter(created_at__gte=since)
    rows = (
        spending.values("model__name")
        .annotate(
            credits=-Sum("amount"),
            videos=Count("id", filter=Q(kind=Kind.CHARGE)),
        )
        .order_by("-credits", "model__name")
    )
    rows = [r for r in rows if r["credits"]]
    top = max((r["credits"] for r in rows), default=0)
    return [
        {
            "name": r["model__name"] or "Other",
            "videos": r["videos"],
            "credits": r["credits"],
            "share": int(100 * r["credits"] / top) if top else 0,
        }
        for r in rows
    ]


# One line per video: a video's money moves in up to three entries (hold; then release and charge
# together when it is stored, or release alone when it is not), and an edited waiting video returns its
# hold and holds again under a new version of its reference ("generation:<id>#2"). A creator reads one
# line per video: held while it is made, then spent, or returned when it was not made. The admin keeps
# every entry.
SETTLING = [Kind.HOLD, Kind.RELEASE, Kind.CHARGE]


def lines_only(entries):
    """The entries (of one creator) that stand for a line of their ledger: each settling reference by
    its last entry (a charge once stored, a release once returned, its hold while in progress; the
    line's balance is then the balance after all of them), and every other entry by itself. A returned
    hold that a later version of the same video replaced is left out: it changed nothing. So the
    ledger's filters keep their kinds: spent is a charge, held a hold still waiting, returned a release
    or a refund. One index lookup per entry, whatever the ledger's length."""
    # ~Q(reference="") is the unique index's own condition: with it the database looks the
    # reference up in that index instead of reading the creator's later entries one by one.
    later = CreditEntry.objects.filter(
        ~Q(reference=""),
        user_id=OuterRef("user_id"),
        kind__in=SETTLING,
        reference=OuterRef("reference"),
        id__gt=OuterRef("id"),
    )
    lines = entries.filter(~Q(kind__in=SETTLING) | Q(reference="") | ~Exists(later))
    replaced = _replaced_holds(entries)
    return lines.exclude(pk__in=replaced) if replaced else lines


def _replaced_holds(entries):
    """The returns of holds that a later version of the same video replaced ("generation:<id>" by
    "generation:<id>#2" when it was edited while it waited): ids of those release entries. Two small
    queries, over the versioned holds only."""
    versions = list(
        entries.filter(~Q(reference=""), kind=Kind.HOLD, reference__contains="#").values_list("reference", "id")
    )
    if not versions:
        return []
    newest: dict[str, int] = {}  # the part before '#' -> the id of its newest hold
    for reference, pk in versions:
        video = reference.partition("#")[0]
        newest[video] = max(newest.get(video, 0), pk)
    references = {reference for reference, _ in versions} | set(newest)
    returned = entries.filter(kind=Kind.RELEASE, reference__in=references).values_list("reference", "id")
    return [pk for reference, pk in returned if pk < newest[reference.partition("#")[0]]]


def _amount(value):
    """4 credits, 1 credit, 2.5 credits (accounts.words says it the same way; this layer may not import it)."""
    value = value.normalize()
    value = value.quantize(Decimal("1")) if value == value.to_integral() else value
    return f"{value:,} credit{'' if value == 1 else 's'}"


def describe(entry):
    """The ledger line in a creator's words: (label, what, model, note)."""
    what = entry.description or ""
    model = entry.model.name if entry.model_id else ""
    size = _amount(abs(entry.amount))
    if entry.kind == Kind.HOLD:
        return f"Held {size}", what, model, "in progress"
    if entry.kind == Kind.RELEASE:
        return f"Returned {size}", what, model, "not made, nothing spent"
    if entry.kind == Kind.CHARGE:
        return f"Spent {size}", what, model, ""
    if entry.kind == Kind.REFUND:
        return f"Refunded {size}", what, model, "by the studio"
    if entry.kind == Kind.ADJUSTMENT:
        return "Adjusted by the studio", entry.reason, "", ""
    if entry.kind == Kind.ALLOWANCE:
        return "Monthly credits", what, "", ""
    if entry.kind == Kind.PURCHASE:
        return "Credits bought", what, "", ""
    return "Credits added", entry.reason or (what if what != "Credits added" else ""), "", ""


def ledger_lines(entries):
    """The lines of one page of the ledger (entries from `lines_only`), each with its words and the
    change it stands for: a stored video's spending, a waiting video's hold, nothing for a video that
    was not made (its hold came back)."""
    lines = []
    for entry in entries:
        label, what, model, note = describe(entry)
        change = Decimal("0") if entry.kind == Kind.RELEASE and entry.reference else entry.amount
        lines.append({"entry": entry, "label": label, "what": what, "model": model, "note": note, "change": change})
    return lines


def _nice_top(value):
    """A round number at or above `value` for the chart's top line: 10, 20, 25, 50, 100, 200 ..."""
    value = max(Decimal(value), Decimal("10"))
    step = Decimal("1")
    while True:
        for mult in (1, 2, 2.5, 5):
            top = step * Decimal(str(mult))
            if top >= value:
                return top
        step *= 10


def day_chart(points, width=720, height=220):
    """The geometry of a bar chart of (day, credits): bars, three grid lines with labels, a few day labels.
    The template draws it; every number here is an SVG attribute, never a style."""
    left, right, top, bottom = 44, 8, 10, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((credits for _, credits in points), default=Decimal("0"))
    scale_top = _nice_top(peak)
    slot = plot_w / max(len(points), 1)
    bar_w = max(slot * 0.7, 1)
    today = timezone.localdate()
    bars = []
    for i, (day, credits) in enumerate(points):
        h = float(credits / scale_top) * plot_h if credits > 0 else 0
        h = max(h, 2) if credits > 0 else 0
        bars.append(
            {
                "x": round(left + i * slot + (slot - bar_w) / 2, 1),
                "y": round(top + plot_h - h, 1),
                "w": round(bar_w, 1),
                "h": round(h, 1),
                "day": day,
                "credits": credits,
                "today": day == today,
                "label": i % 7 == (len(points) - 1) % 7,
                "label_x": round(left + i * slot + slot / 2, 1),
            }
        )
    grid = [
        {"y": round(top + plot_h - plot_h * f, 1), "value": (scale_top * Decimal(str(f))).normalize()}
        for f in (0, 0.5, 1)
    ]
    total = sum((c for _, c in points), Decimal("0"))
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "baseline": top + plot_h,
        "label_y": height - 8,
        "bars": bars,
        "grid": grid,
        "total": total,
        "peak": peak,
        "first": points[0][0] if points else None,
        "last": points[-1][0] if points else None,
    }
