"""The creator's ledger reads one line per video: held while it is made, then spent (or returned when it
was not made), with the balance after the last entry the line stands for. The ledger itself keeps
every entry (hold, release, charge), and so does the admin."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import credits
from accounts.models import CreditEntry


@pytest.fixture
def creator(client, owner):
    client.force_login(owner)
    return owner


ROW = re.compile(
    r'<tr class="kind-(\w+)">\s*<td class="when">[^<]*</td>\s*<td><span class="ledger-label">([^<]*)</span>'
    r'(?: <span class="ledger-what">([^<]*)</span>)?.*?</td>\s*'
    r'<td class="num amount[^"]*">([^<]*)</td>\s*<td class="num muted">([^<]*)</td>',
    re.S,
)


def rows(client, **params):
    """The ledger's rows as the creator reads them, newest first: (kind, label, what, change, balance)."""
    html = client.get(reverse("usage"), params).content.decode()
    ledger = html[html.index('id="ledger"') : html.index('id="budget-heading"')]
    return [tuple(part.strip() for part in row) for row in ROW.findall(ledger)]


def video(user, ref, prompt, cost=4, end=None):
    """A video's money as the studio moves it: held; then charged ("stored"), released ("failed"), or
    left held (None)."""
    credits.hold(user, cost, reference=ref, description=prompt)
    if end == "stored":
        credits.charge(user, ref)
    elif end == "failed":
        credits.release(user, ref)


def test_one_line_per_video_once_settled_and_a_hold_only_while_in_progress(client, creator):
    video(creator, "generation:kite", "A red kite over the dunes")
    assert rows(client)[0] == ("hold", "Held 4 credits:", "A red kite over the dunes", "-4", "996")
    html = client.get(reverse("usage")).content.decode()
    assert "in progress" in html

    credits.charge(creator, "generation:kite")

    lines = rows(client)
    assert [line[2] for line in lines].count("A red kite over the dunes") == 1
    assert lines[0] == ("charge", "Spent 4 credits:", "A red kite over the dunes", "-4", "996")
    assert CreditEntry.objects.filter(reference="generation:kite").count() == 3  # the ledger keeps all three


def test_a_video_that_was_not_made_is_one_line_that_changed_nothing(client, creator):
    video(creator, "generation:storm", "A storm at sea", end="failed")
    assert rows(client)[0] == ("release", "Returned 4 credits:", "A storm at sea", "0", "1,000")


def test_the_balance_column_reads_down_the_page(client, creator):
    video(creator, "generation:a", "First", end="stored")
    video(creator, "generation:b", "Second", cost=6, end="failed")
    credits.grant(creator, 10, description="A gift")
    video(creator, "generation:c", "Third", cost=8, end="stored")
    video(creator, "generation:d", "Fourth", cost=2)

    lines = rows(client)

    assert [(line[0], line[2]) for line in lines] == [
        ("hold", "Fourth"),
        ("charge", "Third"),
        ("grant", "A gift"),
        ("release", "Second"),
        ("charge", "First"),
        ("grant", "Test credits"),
    ]
    # Each line's balance is the one before it plus the line's change: no zig-zag.
    for newer, older in zip(lines, lines[1:]):
        before = Decimal(older[4].replace(",", ""))
        assert Decimal(newer[4].replace(",", "")) == before + Decimal(newer[3].replace("+", "")), (newer, older)
    assert Decimal(lines[0][4]) == credits.balance_of(creator) == 996


def test_an_edited_video_is_one_line_under_its_new_hold(client, creator):
    video(creator, "generation:fox", "A fox in snow", cost=4)
    credits.release(creator, "generation:fox")  # edited while it waited: the old hold back, the new one held
    video(creator, "generation:fox#2", "A fox in fresh snow", cost=6)

    assert rows(client) == [
        ("hold", "Held 6 credits:", "A fox in fresh snow", "-6", "994"),
        ("grant", "Credits added:", "Test credits", "+1,000", "1,000"),
    ]

    credits.charge(creator, "generation:fox#2")
    assert rows(client)[0] == ("charge", "Spent 6 credits:", "A fox in fresh snow", "-6", "994")
    assert len(rows(client)) == 2


def test_the_filters_pick_lines(client, creator):
    video(creator, "generation:kept", "Kept", end="stored")
    video(creator, "generation:broke", "Broke", end="failed")
    video(creator, "generation:going", "Going")

    assert [line[2] for line in rows(client, kind="spent")] == ["Kept"]
    assert [line[2] for line in rows(client, kind="held")] == ["Going"]
    assert [line[2] for line in rows(client, kind="returned")] == ["Broke"]
    assert [line[2] for line in rows(client, kind="added")] == ["Test credits"]


def test_a_video_settled_in_a_new_month_is_that_months_line(client, creator):
    video(creator, "generation:late", "Late at night", end="stored")
    last_month = timezone.now().replace(day=1) - timedelta(days=2)
    CreditEntry.objects.filter(reference="generation:late", kind=CreditEntry.Kind.HOLD).update(created_at=last_month)

    assert [line[2] for line in rows(client, month=f"{timezone.now():%Y-%m}")] == ["Late at night", "Test credits"]
    assert rows(client, month=f"{last_month:%Y-%m}") == []  # its hold alone is not a line


def test_pages_count_lines_not_entries(client, creator):
    for i in range(30):
        video(creator, f"generation:{i}", f"Video {i}", cost=1, end="stored")

    first, second = rows(client), rows(client, page=2)

    assert len(first) == 25 and first[0][2] == "Video 29"
    assert [line[2] for line in second] == [f"Video {i}" for i in range(4, -1, -1)] + ["Test credits"]


def test_operators_still_see_every_entry(client, creator, operator):
    video(creator, "generation:kite", "A red kite", end="stored")
    client.force_login(operator)
    html = client.get(reverse("admin:accounts_creditentry_changelist"), {"user__id__exact": creator.pk}).content
    assert html.decode().count("A red kite") >= 3


def test_a_video_edited_twice_then_not_made_is_one_returned_line(client, creator):
    video(creator, "generation:owl", "An owl", cost=4, end="failed")  # the first hold, returned by an edit
    video(creator, "generation:owl#1", "An owl at night", cost=6, end="failed")  # and the second
    video(creator, "generation:owl#2", "An owl at night, snow falling", cost=8, end="failed")  # then it failed

    assert rows(client)[0] == ("release", "Returned 8 credits:", "An owl at night, snow falling", "0", "1,000")
    assert len(rows(client)) == 2
    assert [line[2] for line in rows(client, kind="returned")] == ["An owl at night, snow falling"]
