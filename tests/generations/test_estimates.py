"""Honest time (generations.estimates): the figures come from the studio's own history of real durations
per model and length, a video past its usual range says so, and a waiting video's start and finish are
worked out from what runs before it."""

from datetime import timedelta

import pytest
from django.db import connection
from django.template import Context, Template
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Plan
from catalog.models import CatalogModel
from generations import estimates
from generations.models import Generation, StudioQueue

Status = Generation.Status
NOW = timezone.now().replace(microsecond=0)


@pytest.fixture(autouse=True)
def fresh_now():
    """NOW is each test's own moment: a whole run takes minutes, and "30 s ago" must stay 30 s ago."""
    global NOW
    NOW = timezone.now().replace(microsecond=0)


def made(user, seconds, model="wan", duration=4, ago=3600):
    """A finished video that took `seconds` from leaving the queue to being ready."""
    catalog = CatalogModel.objects.get(slug=model)
    queued = NOW - timedelta(seconds=ago + seconds)
    return Generation.objects.create(
        user=user,
        model=catalog,
        prompt="history",
        full_prompt="history",
        duration=duration,
        size="1280x720",
        status=Status.COMPLETED,
        created_at=queued - timedelta(seconds=5),
        queued_at=queued,
        submitted_at=queued + timedelta(seconds=1),
        finished_at=queued + timedelta(seconds=seconds),
    )


def history(user, times=(100, 120, 140, 160, 180), **kwargs):
    for i, seconds in enumerate(times):
        made(user, seconds, ago=3600 + i, **kwargs)


def video(user, status, ago=30, model="wan", duration=4, position=0, **extra):
    return Generation.objects.create(
        user=user,
        model=CatalogModel.objects.get(slug=model),
        prompt=f"A {status} video",
        full_prompt="x",
        duration=duration,
        size="1280x720",
        status=status,
        cost=8,
        created_at=NOW - timedelta(seconds=ago + 10),
        queued_at=None if status == Status.WAITING else NOW - timedelta(seconds=ago),
        queue_position=position,
        **extra,
    )


def on_plan(user, slug):
    user.plan = Plan.objects.get(slug=slug)
    user.save(update_fields=["plan"])


def seconds_from_now(moment):
    return round((moment - NOW).total_seconds())


def test_the_median_and_range_come_from_the_models_history_at_that_length(owner):
    history(owner)
    history(owner, times=(1000, 1000, 1000), duration=8)  # another length: not mixed in

    usual = estimates.durations(CatalogModel.objects.get(slug="wan"), 4)

    assert (usual.median, usual.low, usual.high, usual.samples) == (140, 116, 164, 5)


def test_without_enough_of_that_length_the_models_any_length_then_the_catalogs_time(owner):
    wan, kling = CatalogModel.objects.get(slug="wan"), CatalogModel.objects.get(slug="kling")
    history(owner, times=(60, 60, 90, 90))
    made(owner, 600, duration=6)  # one of that length is not enough

    any_length = estimates.durations(wan, 6)
    guess = estimates.durations(kling, 5)

    assert any_length.samples == 5 and any_length.median == 90
    assert (guess.median, guess.samples) == (kling.expected_seconds, 0)
    assert guess.low < guess.median < guess.high


def test_only_the_last_videos_count(owner):
    history(owner, times=[10] * 10)  # long ago
    for i in range(estimates.HISTORY):
        made(owner, 200, ago=60 + i)  # the newest fifty

    assert estimates.durations(CatalogModel.objects.get(slug="wan"), 4).median == 200


def test_a_page_of_cards_asks_the_database_once_per_model(owner):
    history(owner)
    running = [video(owner, Status.RUNNING, ago=10 + i) for i in range(24)]
    for gen in running:
        gen.refresh_from_db()
    running = list(Generation.objects.filter(pk__in=[g.pk for g in running]).select_related("model"))

    with CaptureQueriesContext(connection) as first:
        [estimates.for_active(gen, NOW) for gen in running]
    with CaptureQueriesContext(connection) as again:
        [estimates.for_active(gen, NOW) for gen in running]

    assert len(first.captured_queries) == 1
    assert len(again.captured_queries) == 0


def test_time_left_is_the_range_less_the_time_so_far(owner):
    history(owner)
    gen = video(owner, Status.RUNNING, ago=30)

    left = estimates.for_active(gen, NOW)

    assert seconds_from_now(left.ready_low) == 86 and seconds_from_now(left.ready_high) == 134
    assert not left.late
    assert left.words == "About 1-2 minutes left"
    assert left.data()["since"] == int((NOW - timedelta(seconds=30)).timestamp())


def test_past_its_estimate_it_says_taking_longer_than_usual_with_the_time_so_far(owner):
    history(owner)
    gen = video(owner, Status.RUNNING, ago=250)

    left = estimates.for_active(gen, NOW)

    assert left.late
    assert left.words == "Taking longer than usual: 4 min so far"


def test_a_waiting_video_behind_two_running_starts_when_the_first_finishes(owner):
    on_plan(owner, "free")  # two at once
    history(owner)  # wan 4 s: 116 to 164 s, median 140
    video(owner, Status.RUNNING, ago=30)
    video(owner, Status.RUNNING, ago=30)
    first = video(owner, Status.WAITING, position=1)
    second = video(owner, Status.WAITING, position=2)
    third = video(owner, Status.WAITING, position=3)

    one, two, three = (estimates.for_waiting(g, NOW) for g in (first, second, third))

    # Quick: both running end 86 s from now (116 - 30); slow: 134 s (164 - 30).
    assert (seconds_from_now(one.start_low), seconds_from_now(one.start_high)) == (86, 134)
    assert (seconds_from_now(one.ready_low), seconds_from_now(one.ready_high)) == (86 + 116, 134 + 164)
    assert one.words == "Starts in about 1-2 minutes, ready in about 3-5 minutes."
    # The second takes the other place freed at the same time; the third waits for the first of them.
    assert (seconds_from_now(two.start_low), seconds_from_now(two.start_high)) == (86, 134)
    assert (seconds_from_now(three.start_low), seconds_from_now(three.start_high)) == (86 + 116, 134 + 164)


def test_a_paused_video_ahead_does_not_count_and_a_paused_one_has_no_estimate(owner):
    on_plan(owner, "free")
    history(owner)
    video(owner, Status.RUNNING, ago=30)
    video(owner, Status.RUNNING, ago=30)
    held = video(owner, Status.WAITING, position=1, paused=True)
    a = video(owner, Status.WAITING, position=2)
    b = video(owner, Status.WAITING, position=3)

    assert estimates.for_waiting(held, NOW) is None
    assert seconds_from_now(estimates.for_waiting(b, NOW).start_high) == 134  # only `a` is ahead of it
    assert estimates.for_waiting(a, NOW) is not None


def test_behind_a_full_valve_it_waits_for_the_studios_line(owner, outsider):
    history(owner)
    valve = StudioQueue.objects.get_or_create(pk=1)[0]
    valve.max_in_flight = 1
    valve.save()
    video(outsider, Status.RUNNING, ago=30)  # the studio's one slot is taken
    video(outsider, Status.WAITING, turn=1)  # and another creator's video has a turn before it
    mine = video(owner, Status.WAITING, turn=2)

    wait = estimates.for_waiting(mine, NOW)

    # Two rounds of the valve (the one ahead, then it), each as long as a wan video of 4 s.
    assert (seconds_from_now(wait.start_low), seconds_from_now(wait.start_high)) == (2 * 116, 2 * 164)


@pytest.mark.parametrize(
    ("low", "high", "words"),
    [
        (0, 20, "less than a minute"),
        (10, 80, "about a minute"),
        (10, 150, "less than 3 minutes"),
        (100, 250, "about 2-4 minutes"),
        (170, 190, "about 3 minutes"),
        (5400, 9000, "about 2-3 hours"),
    ],
)
def test_ranges_in_words(low, high, words):
    assert estimates.span_words(low, high) == words


def test_the_template_filter_gives_the_words_and_the_clocks_times(owner):
    history(owner)
    gen = video(owner, Status.WAITING, position=1)

    html = Template("{% load time_words %}{{ gen|waiting_estimate }}").render(Context({"gen": gen}))
    running = video(owner, Status.RUNNING, ago=30)
    card = Template("{% load time_words %}{{ gen|waiting_estimate }}").render(Context({"gen": running}))

    assert "ready in about 2-3 minutes" in html and 'data-time-left="waiting"' in html
    assert "data-start-high=" in html and "data-high=" in html
    assert card == ""


def test_the_dashboards_cards_show_the_time_left_from_history_and_past_it_say_so(client, owner):
    history(owner)
    video(owner, Status.RUNNING, ago=30)
    video(owner, Status.RUNNING, ago=600)
    client.force_login(owner)

    page = client.get("/").content.decode()

    assert 'data-time-left="active"' in page
    assert "About 1-2 minutes left" in page
    assert "Taking longer than usual: 10 min so far" in page
    assert "almost there" not in page and "data-eta" not in page


def test_a_page_of_waiting_cards_reads_the_line_once(owner):
    on_plan(owner, "free")
    history(owner)
    video(owner, Status.RUNNING, ago=30)
    video(owner, Status.RUNNING, ago=30)
    for i in range(10):
        video(owner, Status.WAITING, position=i + 1)
    cards = list(Generation.objects.filter(user=owner, status=Status.WAITING).select_related("model"))

    estimates.for_waiting(cards[0])
    with CaptureQueriesContext(connection) as rest:
        found = [estimates.for_waiting(gen) for gen in cards[1:]]

    assert all(found) and len(rest.captured_queries) == 0
