"""The library: newest first, filters, search, keyset pages, favourites, collections, bulk changes,
and one video's page."""

import re
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from catalog.models import CatalogModel
from generations.models import Collection, Generation, Picture, Shot, Storyboard, StoryboardExport
from library import listing as library
from tests.generations.videos import make_generation, make_video

HTMX = {"HX-Request": "true"}


def shown(response):
    """The ids of the videos on a library page, in order."""
    return re.findall(r'id="item-([0-9a-f-]{36})"', response.content.decode())


def many(user, count, start=None, **extra):
    """`count` finished generations one minute apart, newest last, written in one query."""
    start = start or timezone.now() - timedelta(days=30)
    wan = CatalogModel.objects.get(slug="wan")
    rows = [
        Generation(
            user=user,
            model=wan,
            prompt=f"Clip number {i}",
            full_prompt=f"Clip number {i}",
            duration=2,
            size="1280x720",
            status=Generation.Status.COMPLETED,
            created_at=start + timedelta(minutes=i),
            **extra,
        )
        for i in range(count)
    ]
    return Generation.objects.bulk_create(rows)


@pytest.fixture
def logged_in(client, owner):
    client.force_login(owner)
    return client


# Reading


def test_the_library_shows_only_the_creators_own_videos_newest_first(logged_in, owner, outsider):
    old = make_generation(owner, prompt="An old one", created_at=timezone.now() - timedelta(days=3))
    new = make_generation(owner, prompt="A new one")
    make_generation(outsider, prompt="Someone else's secret")

    response = logged_in.get(reverse("library"))

    assert response.status_code == 200
    assert shown(response) == [str(new.pk), str(old.pk)]
    assert "Someone else&#x27;s secret" not in response.content.decode()


def test_an_empty_library_says_where_videos_come_from(logged_in):
    response = logged_in.get(reverse("library"))
    assert "Your library is empty for now" in response.content.decode()


def test_search_finds_last_weeks_video_by_a_word_of_its_prompt(logged_in, owner):
    make_generation(owner, prompt="A red fox in the snow", created_at=timezone.now() - timedelta(days=6))
    lighthouse = make_generation(
        owner, prompt="Waves against a LIGHTHOUSE at dusk", created_at=timezone.now() - timedelta(days=7)
    )

    response = logged_in.get(reverse("library"), {"q": "lighthouse"})

    assert shown(response) == [str(lighthouse.pk)]
    assert "1 video matches." in response.content.decode()


def test_every_word_of_a_search_must_be_in_the_prompt(logged_in, owner):
    both = make_generation(owner, prompt="A fox runs through snow")
    make_generation(owner, prompt="A fox sleeps in the sun")
    assert shown(logged_in.get(reverse("library"), {"q": "fox snow"})) == [str(both.pk)]


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"status": "ready"}, ["ready", "shared"]),
        ({"status": "making"}, ["running", "veo", "picture", "old", "favourite"]),
        ({"status": "failed"}, ["failed", "canceled"]),
        ({"model": "veo"}, ["veo"]),
        ({"start": "image"}, ["picture"]),
        ({"when": "week"}, ["ready", "running", "failed", "canceled", "veo", "picture"]),
        ({"show": "favourites"}, ["favourite"]),
        ({"show": "shared"}, ["shared"]),
    ],
)
def test_each_filter_narrows_the_library(logged_in, owner, params, expected):
    made = {
        "ready": make_generation(owner, status=Generation.Status.COMPLETED),
        "running": make_generation(owner, status=Generation.Status.RUNNING),
        "failed": make_generation(owner, status=Generation.Status.FAILED),
        "canceled": make_generation(owner, status=Generation.Status.CANCELED),
        "veo": make_generation(owner, model="veo", status=Generation.Status.QUEUED),
        "picture": make_generation(owner, start=Generation.Start.IMAGE, status=Generation.Status.QUEUED),
        "old": make_generation(owner, status=Generation.Status.QUEUED, created_at=timezone.now() - timedelta(days=40)),
        "favourite": make_generation(
            owner, status=Generation.Status.QUEUED, favourite=True, created_at=timezone.now() - timedelta(days=41)
        ),
        "shared": make_generation(
            owner,
            status=Generation.Status.COMPLETED,
            share_token="t" * 43,
            created_at=timezone.now() - timedelta(days=42),
        ),
    }
    ids = set(shown(logged_in.get(reverse("library"), params)))
    assert ids == {str(made[name].pk) for name in expected}


def test_a_collection_shows_its_videos_and_the_side_list_counts_them(logged_in, owner):
    trips = Collection.objects.create(user=owner, name="Trips")
    inside = make_generation(owner, prompt="Mountain road", collection=trips)
    make_generation(owner, prompt="Kitchen timelapse")

    response = logged_in.get(reverse("library"), {"collection": trips.pk})
    page = response.content.decode()

    assert shown(response) == [str(inside.pk)]
    assert re.search(r"Trips <span class=\"count\">1</span>", page)
    assert shown(logged_in.get(reverse("library"), {"collection": "none"})) != [str(inside.pk)]


def test_a_filter_that_makes_no_sense_is_left_out_and_said_so(logged_in, owner):
    fox = make_generation(owner, prompt="A fox")
    response = logged_in.get(reverse("library"), {"status": "exploded", "q": "fox"})

    assert response.status_code == 200
    assert "Some filters did not make sense and were left out." in response.content.decode()
    assert shown(response) == [str(fox.pk)]


def test_someone_elses_collection_shows_nothing_of_theirs(logged_in, owner, outsider):
    theirs = Collection.objects.create(user=outsider, name="Private")
    make_generation(outsider, collection=theirs)
    response = logged_in.get(reverse("library"), {"collection": theirs.pk})
    assert shown(response) == []
    assert "Private" not in response.content.decode()


# Pages


def test_keyset_pages_cover_every_video_once_even_with_equal_times(logged_in, owner):
    same_moment = timezone.now() - timedelta(hours=1)
    wan = CatalogModel.objects.get(slug="wan")
    Generation.objects.bulk_create(
        [
            Generation(
                user=owner,
                model=wan,
                prompt=f"Tie {i}",
                full_prompt="x",
                duration=2,
                size="1280x720",
                created_at=same_moment,
            )
            for i in range(30)
        ]
    )
    many(owner, 40)

    seen, after = [], None
    while True:
        params = {"after": after} if after else {}
        response = logged_in.get(reverse("library"), params, headers=HTMX if after else {})
        ids = shown(response)
        assert len(ids) <= library.PAGE_SIZE
        seen += ids
        match = re.search(r'hx-get="[^"]*after=([0-9]+_[0-9a-f]{32})"', response.content.decode())
        if not match:
            break
        after = match.group(1)

    assert len(seen) == 70 == len(set(seen))
    assert seen == [
        str(pk) for pk in Generation.objects.for_user(owner).order_by("-created_at", "-pk").values_list("pk", flat=True)
    ]


def test_the_next_page_is_asked_for_as_it_scrolls_into_view(logged_in, owner):
    many(owner, library.PAGE_SIZE + 1)
    page = logged_in.get(reverse("library")).content.decode()
    assert 'hx-trigger="revealed"' in page
    assert "Show more" in page  # also a plain link, for a browser without scripts


def test_a_mangled_cursor_starts_at_the_top(logged_in, owner):
    newest = many(owner, 3)[-1]
    assert shown(logged_in.get(reverse("library"), {"after": "garbage_zz"}))[0] == str(newest.pk)


def test_the_filter_bar_gets_only_the_results_back(logged_in, owner):
    make_generation(owner, prompt="Fox")
    response = logged_in.get(reverse("library"), {"q": "fox"}, headers=HTMX)
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="results"')
    assert "<html" not in page


def count_queries(client, url, params=None, headers=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {}, headers=headers or {})
    assert response.status_code == 200
    return len(queries), response


@pytest.mark.parametrize("params", [{}, {"q": "clip", "status": "ready", "when": "year"}, {"show": "favourites"}])
def test_a_library_page_costs_the_same_queries_for_10_or_1000_videos(logged_in, owner, params):
    many(owner, 10, favourite=True)
    small, response = count_queries(logged_in, reverse("library"), params)
    assert len(shown(response)) == 10
    many(owner, 990, favourite=True)
    large, response = count_queries(logged_in, reverse("library"), params)
    assert len(shown(response)) == library.PAGE_SIZE
    assert small == large <= 8

    cursor = re.search(r"after=([0-9]+_[0-9a-f]{32})", response.content.decode()).group(1)
    following, response = count_queries(logged_in, reverse("library"), {**params, "after": cursor}, HTMX)
    assert len(shown(response)) == library.PAGE_SIZE
    assert following <= small


# Storyboards


def board_with_shots(user, title, *prompts):
    board = Storyboard.objects.create(user=user, title=title, size="720x1280")
    wan = CatalogModel.objects.get(slug="wan")
    shots = [
        Shot.objects.create(storyboard=board, position=i, prompt=prompt, model=wan, duration=2)
        for i, prompt in enumerate(prompts, start=1)
    ]
    return board, shots


def boards_shown(response):
    return [int(pk) for pk in re.findall(r'id="board-([0-9]+)"', response.content.decode())]


def test_the_storyboards_filter_shows_a_card_per_board_of_the_creators_own(logged_in, owner, outsider):
    dunes, (lantern, rising) = board_with_shots(owner, "A walk through the dunes", "A lantern lit", "The camera rises")
    take = make_video(owner, prompt="A lantern lit", shot=lantern)
    Shot.objects.filter(pk=lantern.pk).update(chosen=take)
    making = make_generation(owner, prompt="The camera rises", shot=rising)
    Shot.objects.filter(pk=rising.pk).update(chosen=making)  # not ready: no link yet
    empty, _ = board_with_shots(owner, "Nothing made yet", "A quiet harbour")
    Storyboard.objects.filter(pk=empty.pk).update(updated_at=timezone.now() - timedelta(days=2))
    theirs, their_shots = board_with_shots(outsider, "Their secret board", "Their secret shot")
    their_take = make_video(outsider, prompt="Their secret shot", shot=their_shots[0])
    Shot.objects.filter(pk=their_shots[0].pk).update(chosen=their_take)

    response = logged_in.get(reverse("library"), {"show": "storyboards"})

    assert response.status_code == 200
    html = response.content.decode()
    assert boards_shown(response) == [dunes.pk, empty.pk]  # last changed first
    assert shown(response) == []  # boards, not the videos' cards
    assert "Their secret" not in html and str(their_take.pk) not in html
    card = html[html.index(f'id="board-{dunes.pk}"') : html.index(f'id="board-{empty.pk}"')]
    assert "A walk through the dunes" in card and "Portrait 9:16, 720p" in card and "2 shots" in card
    assert reverse("generation_poster", args=[take.pk]) in card  # the first shot's chosen take stands for it
    assert f'<a href="{reverse("generation_detail", args=[take.pk])}">A lantern lit</a>' in card
    assert "The camera rises" in card and reverse("generation_detail", args=[making.pk]) not in card
    assert "(Wan" in card
    try:
        assert f'href="{reverse("storyboard", args=[dunes.pk])}"' in card  # the card opens its board
    except NoReverseMatch:
        pass  # the board pages are not in this tree yet
    assert "No shot is made yet" in html
    assert 'name="scope" value="storyboard"' in card and f'name="pk" value="{dunes.pk}"' in card  # its ZIP
    assert 'name="csrfmiddlewaretoken"' in card
    assert 'aria-current="page">Storyboards <span class="count">2</span>' in html

    default = logged_in.get(reverse("library"))
    assert boards_shown(default) == [] and str(take.pk) in shown(default)  # the default view is as it was
    assert 'Storyboards <span class="count">2</span>' in default.content.decode()

    logged_in.force_login(outsider)
    assert boards_shown(logged_in.get(reverse("library"), {"show": "storyboards"})) == [theirs.pk]


def test_a_boards_card_shows_its_latest_ready_export(logged_in, owner):
    board, (shot,) = board_with_shots(owner, "A walk through the dunes", "A lantern lit")
    take = make_video(owner, prompt="A lantern lit", shot=shot)
    Shot.objects.filter(pk=shot.pk).update(chosen=take)
    first = make_video(owner, prompt=board.title)
    second = make_video(owner, prompt=board.title)
    StoryboardExport.objects.create(storyboard=board, version=1, video=first, status=StoryboardExport.Status.READY)
    StoryboardExport.objects.create(storyboard=board, version=2, video=second, status=StoryboardExport.Status.READY)
    StoryboardExport.objects.create(storyboard=board, version=3)  # still being made

    html = logged_in.get(reverse("library"), {"show": "storyboards"}).content.decode()

    assert reverse("generation_poster", args=[second.pk]) in html
    assert reverse("generation_poster", args=[take.pk]) not in html
    assert "Export, version 2" in html and reverse("generation_detail", args=[second.pk]) in html


def test_the_storyboards_part_costs_the_same_queries_for_2_or_20_boards(logged_in, owner):
    def add(count):
        for i in range(count):
            board, shots = board_with_shots(owner, f"Board {i}", "One", "Two", "Three")
            take = make_generation(owner, status=Generation.Status.COMPLETED, shot=shots[0])
            Shot.objects.filter(pk=shots[0].pk).update(chosen=take)

    add(2)
    small, response = count_queries(logged_in, reverse("library"), {"show": "storyboards"})
    assert len(boards_shown(response)) == 2
    add(18)
    large, response = count_queries(logged_in, reverse("library"), {"show": "storyboards"})
    assert len(boards_shown(response)) == 20
    assert small == large


# Favourites, collections, bulk changes


def test_the_star_makes_a_favourite_and_answers_with_the_card(logged_in, owner):
    gen = make_generation(owner)
    response = logged_in.post(reverse("generation_favourite", args=[gen.pk]), {"favourite": "on"}, headers=HTMX)

    assert response.status_code == 200
    assert 'aria-pressed="true"' in response.content.decode()
    gen.refresh_from_db()
    assert gen.favourite

    logged_in.post(reverse("generation_favourite", args=[gen.pk]), {}, headers=HTMX)
    gen.refresh_from_db()
    assert not gen.favourite


def test_bulk_favourite_and_move_change_only_the_creators_ticked_videos(logged_in, owner, outsider):
    mine = [make_generation(owner) for _ in range(3)]
    theirs = make_generation(outsider)
    trips = Collection.objects.create(user=owner, name="Trips")
    ids = [mine[0].pk, mine[1].pk, theirs.pk]

    response = logged_in.post(reverse("library_bulk"), {"ids": ids, "action": "favourite"}, follow=True)
    assert "2 videos added to your favourites." in response.content.decode()
    logged_in.post(reverse("library_bulk"), {"ids": ids, "action": "move", "collection": trips.pk})

    assert set(Generation.objects.filter(favourite=True).values_list("pk", flat=True)) == {mine[0].pk, mine[1].pk}
    assert set(trips.generations.values_list("pk", flat=True)) == {mine[0].pk, mine[1].pk}
    theirs.refresh_from_db()
    assert not theirs.favourite and theirs.collection is None

    logged_in.post(reverse("library_bulk"), {"ids": [mine[0].pk], "action": "move", "collection": "none"})
    assert set(trips.generations.values_list("pk", flat=True)) == {mine[1].pk}


def test_moving_into_someone_elses_collection_is_refused(logged_in, owner, outsider):
    gen = make_generation(owner)
    theirs = Collection.objects.create(user=outsider, name="Theirs")
    response = logged_in.post(
        reverse("library_bulk"), {"ids": [gen.pk], "action": "move", "collection": theirs.pk}, follow=True
    )
    assert "Choose a collection to move the videos to." in response.content.decode()
    gen.refresh_from_db()
    assert gen.collection is None


def test_a_bulk_action_with_nothing_ticked_says_what_to_do(logged_in):
    response = logged_in.post(reverse("library_bulk"), {"action": "favourite"}, follow=True)
    assert "Choose one or more videos first" in response.content.decode()


def test_deleting_asks_first_then_removes_rows_and_files(
    logged_in, owner, outsider, media_root, django_capture_on_commit_callbacks
):
    first, second = make_video(owner, prompt="First"), make_video(owner, prompt="Second")
    theirs = make_video(outsider)
    files = [first.video.name, first.poster.name, second.video.name, second.poster.name]
    ids = [first.pk, second.pk, theirs.pk]

    asked = logged_in.post(reverse("library_bulk"), {"ids": ids, "action": "delete"})
    assert "Delete 2 videos?" in asked.content.decode()
    assert Generation.objects.count() == 3

    with django_capture_on_commit_callbacks(execute=True):
        done = logged_in.post(reverse("library_bulk"), {"ids": ids, "action": "delete", "confirm": "yes"}, follow=True)

    assert "2 videos deleted for good." in done.content.decode()
    assert list(Generation.objects.values_list("pk", flat=True)) == [theirs.pk]
    assert not any(default_storage.exists(name) for name in files)
    assert default_storage.exists(theirs.video.name)


def test_a_video_still_being_made_is_kept_when_deleting(logged_in, owner):
    busy = make_generation(owner, status=Generation.Status.RUNNING)
    done = make_generation(owner, status=Generation.Status.FAILED)
    response = logged_in.post(
        reverse("library_bulk"), {"ids": [busy.pk, done.pk], "action": "delete", "confirm": "yes"}, follow=True
    )
    assert "1 video deleted for good. 1 video still being made was kept" in response.content.decode()
    assert list(Generation.objects.values_list("pk", flat=True)) == [busy.pk]


def test_making_renaming_and_removing_a_collection(logged_in, owner):
    response = logged_in.post(reverse("collection_create"), {"name": "  Holiday   clips "}, follow=True)
    trips = Collection.objects.get(user=owner)
    assert trips.name == "Holiday clips"
    assert "Collection Holiday clips made." in response.content.decode()

    again = logged_in.post(reverse("collection_create"), {"name": "holiday CLIPS"}, follow=True)
    assert "You already have a collection with this name." in again.content.decode()
    blank = logged_in.post(reverse("collection_create"), {"name": "   "}, follow=True)
    assert "Give the collection a name" in blank.content.decode()

    logged_in.post(reverse("collection_rename", args=[trips.pk]), {"name": "Summer"})
    trips.refresh_from_db()
    assert trips.name == "Summer"

    gen = make_generation(owner, collection=trips)
    logged_in.post(reverse("collection_delete", args=[trips.pk]))
    gen.refresh_from_db()
    assert gen.collection is None and not Collection.objects.exists()


def test_collections_an_account_keeps_are_limited_with_words(logged_in, owner, outsider, settings):
    settings.COLLECTIONS_PER_ACCOUNT = 2
    Collection.objects.create(user=outsider, name="Not theirs")  # another creator's do not count
    for name in ["Trips", "Pets"]:
        logged_in.post(reverse("collection_create"), {"name": name})
    response = logged_in.post(reverse("collection_create"), {"name": "Food"}, follow=True)
    assert (
        "You have 2 collections, as many as one account keeps. Remove one you no longer use (its videos stay "
        "in your library), then make a new one."
    ) in response.content.decode()
    assert sorted(Collection.objects.filter(user=owner).values_list("name", flat=True)) == ["Pets", "Trips"]
    pets = Collection.objects.get(name="Pets")
    logged_in.post(reverse("collection_rename", args=[pets.pk]), {"name": "Dogs"})  # renaming is not adding
    pets.refresh_from_db()
    assert pets.name == "Dogs"


def test_someone_elses_collection_cannot_be_renamed_or_removed(logged_in, outsider):
    theirs = Collection.objects.create(user=outsider, name="Theirs")
    assert logged_in.post(reverse("collection_rename", args=[theirs.pk]), {"name": "Mine"}).status_code == 404
    assert logged_in.post(reverse("collection_delete", args=[theirs.pk])).status_code == 404
    assert Collection.objects.get().name == "Theirs"


# One video's page


def test_a_videos_page_shows_prompt_settings_cost_timings_and_actions(logged_in, owner, media_root):
    gen = make_video(owner, prompt="A paper boat on a puddle", style="watercolor", camera="push_in")
    page = logged_in.get(reverse("generation_detail", args=[gen.pk])).content.decode()

    assert "A paper boat on a puddle" in page
    for words in ("Wan", "2 seconds", "Landscape 720p", "Watercolour", "Slow push in", "credits", "Took"):
        assert words in page
    assert f'href="/?again={gen.pk}"' in page  # generate again
    assert f'name="again" value="{gen.pk}"' in page and 'value="veo"' in page  # try another model
    assert reverse("generation_download", args=[gen.pk]) in page
    assert "Create a share link" in page
    assert "Delete this video…" in page


def test_a_videos_page_shows_what_it_was_made_from_and_what_was_made_from_it(logged_in, owner):
    parent = make_generation(owner, prompt="The first try", status=Generation.Status.COMPLETED)
    gen = make_generation(owner, prompt="The second try", source=parent, status=Generation.Status.COMPLETED)
    child = make_generation(owner, prompt="The third try", source=gen)

    page = logged_in.get(reverse("generation_detail", args=[gen.pk])).content.decode()

    assert "Made again from" in page and reverse("generation_detail", args=[parent.pk]) in page
    assert "Made from this" in page and reverse("generation_detail", args=[child.pk]) in page


def test_lineage_follows_a_frame_that_was_animated(logged_in, owner):
    gen = make_generation(owner, prompt="A harbour at noon", status=Generation.Status.COMPLETED)
    frame = Picture.objects.create(
        user=owner,
        origin=Picture.FRAME,
        from_generation=gen,
        width=1280,
        height=720,
        image="pictures/frame.jpg",
        thumbnail="pictures/thumbs/frame.jpg",
        name="Harbour frame",
    )
    animated = make_generation(
        owner, prompt="The boats start to sway", start=Generation.Start.IMAGE, input_picture=frame
    )

    page = logged_in.get(reverse("generation_detail", args=[gen.pk])).content.decode()
    assert "Animated from a frame of it" in page and reverse("generation_detail", args=[animated.pk]) in page

    child_page = logged_in.get(reverse("generation_detail", args=[animated.pk])).content.decode()
    assert "Animates a picture" in child_page and "Harbour frame" in child_page
    assert reverse("picture_image", args=[frame.pk, "thumb"]) in child_page


def test_moving_one_video_from_its_page(logged_in, owner):
    gen = make_generation(owner)
    trips = Collection.objects.create(user=owner, name="Trips")
    response = logged_in.post(reverse("generation_move", args=[gen.pk]), {"collection": trips.pk}, follow=True)
    assert "Moved into Trips." in response.content.decode()
    gen.refresh_from_db()
    assert gen.collection == trips


def test_deleting_from_a_videos_page_comes_back_to_the_library(logged_in, owner):
    gen = make_generation(owner, status=Generation.Status.COMPLETED)
    detail = reverse("generation_detail", args=[gen.pk])
    response = logged_in.post(
        reverse("library_bulk"),
        {
            "ids": [gen.pk],
            "action": "delete",
            "confirm": "yes",
            "next": detail,
        },
    )
    assert response.url == reverse("library")
    assert not Generation.objects.exists()


def test_a_next_address_elsewhere_is_not_followed(logged_in, owner):
    gen = make_generation(owner)
    response = logged_in.post(
        reverse("library_bulk"),
        {
            "ids": [gen.pk],
            "action": "favourite",
            "next": "https://evil.example/",
        },
    )
    assert response.url == reverse("library")
