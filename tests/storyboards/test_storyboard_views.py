"""The storyboard pages through the Django test client: the list and a new board, adding shots, refusals in
words beside their buttons, Make showing its cost first and holding once, reordering, choosing a take,
the cut of a shot, the export, the board's poller, a video's lineage, and nothing of another creator's."""

import pytest
from django.urls import reverse

from accounts import credits
from accounts.models import Plan
from catalog.models import CatalogModel
from generations.models import Generation, Shot, Storyboard, StoryboardExport
from storyboards import boards as storyboards
from tests.generations.videos import make_generation, make_video

Status = Generation.Status


def new_board(user, title="A walk through the dunes", size="1280x720"):
    return Storyboard.objects.create(user=user, title=title, size=size)


def shot_of(board, prompt="Dunes at dawn", slug="wan", duration=2, start=Shot.Start.TEXT, **fields):
    return storyboards.add_shot(
        board, prompt=prompt, model=CatalogModel.objects.get(slug=slug), duration=duration, start=start, **fields
    )


def board_url(board, name="storyboard", *more):
    return reverse(name, args=[board.pk, *more])


def text(response):
    return " ".join(response.content.decode().split())


def test_the_list_offers_a_new_board_in_four_shapes_and_lists_each_board(client, owner):
    client.force_login(owner)

    page = text(client.get(reverse("storyboard_list")))
    assert "No storyboard yet" in page
    for words in ("Landscape 16:9, 720p", "Landscape 16:9, 1080p", "Portrait 9:16, 720p", "Portrait 9:16, 1080p"):
        assert words in page
    assert 'href="/storyboards/"' in page  # in the header's links

    response = client.post(reverse("storyboard_new"), {"title": "  The lantern  ", "size": "720x1280"})

    board = Storyboard.objects.get(user=owner)
    assert response.status_code == 302 and response.url == board_url(board)
    assert (board.title, board.size) == ("The lantern", "720x1280")
    shot_of(board)
    page = text(client.get(reverse("storyboard_list")))
    assert "The lantern" in page and "Portrait 9:16, 720p · 1 shot" in page and "Not exported yet" in page


def test_a_new_board_without_a_title_is_refused_in_words_and_nothing_is_made(client, owner):
    client.force_login(owner)
    response = client.post(reverse("storyboard_new"), {"title": " ", "size": "1280x720"})
    assert response.status_code == 409
    assert "Give the storyboard a title" in text(response)
    response = client.post(reverse("storyboard_new"), {"title": "Odd", "size": "640x480"})
    assert "Pick one of the four shapes" in text(response) and 'value="Odd"' in text(response)
    assert not Storyboard.objects.exists()


def test_adding_shots_and_the_refusals_beside_the_add_button_keep_what_was_typed(client, owner):
    board = new_board(owner)
    client.force_login(owner)
    add = board_url(board, "storyboard_shot_add")

    refused = client.post(add, {"prompt": "The camera rises", "model": "wan", "duration": "3", "start": "continue"})
    assert refused.status_code == 409
    body = text(refused)
    assert "The first shot has nothing before it to continue" in body
    assert 'id="add-error"' in body and "The camera rises</textarea>" in body  # nothing lost
    refused = client.post(add, {"prompt": "Kling at 3 s", "model": "kling", "duration": "3", "start": "text"})
    assert "Kling makes 5, 10 seconds on your plan" in text(refused)
    refused = client.post(add, {"prompt": "From a picture", "model": "wan", "duration": "3", "start": "picture"})
    assert "Choose the picture this shot starts from" in text(refused)
    assert not board.shots.exists()

    assert (
        client.post(add, {"prompt": "Dunes at dawn", "model": "wan", "duration": "2", "start": "text"}).status_code
        == 302
    )
    refused = client.post(
        add, {"prompt": "The camera rises", "model": "wan", "duration": "2", "start": "continue", "frame_at": "4"}
    )
    assert "The shot before is 2 seconds long: pick a frame within it" in text(refused) and 'value="4"' in text(refused)
    ok = client.post(
        add, {"prompt": "The camera rises", "model": "wan", "duration": "2", "start": "continue", "frame_at": "1.5"}
    )
    assert ok.status_code == 302
    first, second = board.shots.all()
    assert (first.position, second.position, second.start, second.frame_at) == (1, 2, "continue", 1.5)
    page = text(client.get(board_url(board)))
    assert "Shot 1" in page and "Shot 2" in page and "Continues from the previous shot, frame at 1.5 s" in page
    assert "Not made yet" in page


def test_a_model_left_out_of_the_plan_is_refused_in_the_plan_words_at_the_make_button(client, owner):
    owner.plan = Plan.objects.get(slug="free")
    owner.save()
    board = new_board(owner)
    shot_of(board, slug="veo", duration=4)  # added before the plan changed, say
    client.force_login(owner)

    page = text(client.get(board_url(board)))
    assert "Veo is not part of your Free plan" in page  # on the shot's card, before the click

    response = client.post(board_url(board, "storyboard_make"))

    assert response.status_code == 409
    assert 'id="make-error"' in text(response) and "Veo is not part of your Free plan" in text(response)
    assert not Generation.objects.filter(user=owner).exists()


def test_not_enough_credits_is_said_before_and_at_the_button(client, owner):
    board = new_board(owner)
    shot_of(board, duration=5)
    shot_of(board, duration=5)
    credits.adjust(owner, -(credits.balance_of(owner) - 12), reason="test")
    client.force_login(owner)

    page = text(client.get(board_url(board)))
    assert "These 2 shots cost 20 credits and you have 12 credits." in page
    response = client.post(board_url(board, "storyboard_make"))
    assert response.status_code == 409 and "These 2 shots cost 20 credits and you have 12 credits." in text(response)
    assert credits.balance_of(owner) == 12 and not Generation.objects.filter(user=owner).exists()


def test_make_shows_the_cost_and_the_balance_after_first_then_holds_it_all_once(client, owner, queue):
    board = new_board(owner)
    shot_of(board, duration=2)
    shot_of(board, duration=3, start=Shot.Start.CONTINUE)
    before = credits.balance_of(owner)
    client.force_login(owner)

    page = text(client.get(board_url(board)))
    assert "Make 2 shots" in page
    assert 'id="make-total">10 credits' in page and f'id="make-after">{int(before) - 10} credits' in page
    assert credits.balance_of(owner) == before  # nothing held by looking

    assert client.post(board_url(board, "storyboard_make")).status_code == 302
    assert client.post(board_url(board, "storyboard_make")).status_code == 302  # the double click

    takes = list(Generation.objects.filter(user=owner).order_by("created_at"))
    assert len(takes) == 2 and credits.balance_of(owner) == before - 10
    assert takes[1].after_id == takes[0].pk
    page = text(client.get(board_url(board)))
    assert "Every shot is made or on its way" in page
    assert "Starts when shot 1 is ready." in page  # the waiting continuing shot


def test_a_failed_shot_turns_the_button_into_make_the_rest(client, owner, queue):
    board = new_board(owner)
    shot_of(board, duration=2)
    shot_of(board, duration=2)
    first, second = storyboards.make(owner, board)
    first.refresh_from_db()
    first.claim_for_submit(60)
    first.mark_failed("pixapi_error", "The model could not make this one.")
    client.force_login(owner)

    page = text(client.get(board_url(board)))

    assert "Make the rest" in page and "1 shot still to make: 1." in page
    assert "The model could not make this one." in page and "credits are back" in page


def test_past_the_monthly_budget_the_studio_asks_first_then_makes_them_on_the_second_click(client, owner, queue):
    owner.monthly_budget = 5
    owner.save()
    board = new_board(owner)
    shot_of(board, duration=2)
    shot_of(board, duration=2)
    client.force_login(owner)
    assert "The studio will ask before it starts." in text(client.get(board_url(board)))

    asked = client.post(board_url(board, "storyboard_make"))

    body = text(asked)
    assert asked.status_code == 409 and not Generation.objects.exists()
    assert "These 2 shots (8 credits) would take this month&#x27;s spending to 8 credits" in body
    assert 'name="confirm_budget" value="1"' in body and "Make them anyway" in body
    assert client.post(board_url(board, "storyboard_make"), {"confirm_budget": "1"}).status_code == 302
    assert Generation.objects.filter(user=owner).count() == 2


def test_the_poller_brings_the_export_section_once_an_export_ends(client, owner, queue):
    board = new_board(owner)
    shot = shot_of(board)
    take = make_video(owner, shot=shot, prompt=shot.prompt)
    Shot.objects.filter(pk=shot.pk).update(chosen=take)
    export, _ = storyboards.request_export(owner, board)
    client.force_login(owner)
    page = client.get(board_url(board))
    poller = page.context["poller"]
    assert poller["active"] and poller["seen"] == ""  # while an export is made, the database is asked each time
    ask = {"since": poller["since"], "exports": poller["exports"]}
    assert client.get(board_url(board, "storyboard_poll"), ask).status_code == 204

    export.mark_failed("The export could not be made. Try again in a moment; nothing was charged.")

    answer = text(client.get(board_url(board, "storyboard_poll"), ask))
    assert (
        'id="export" class="card stack-sm board-export" aria-labelledby="export-heading" hx-swap-oob="outerHTML"'
        in answer
    )
    assert "The export could not be made. Try again in a moment; nothing was charged." in answer


def test_moving_a_shot_with_the_buttons_and_putting_shots_in_order_by_a_drag(client, owner, outsider):
    board = new_board(owner)
    a, b, c = shot_of(board, "A"), shot_of(board, "B"), shot_of(board, "C")
    elsewhere = shot_of(new_board(outsider), "Theirs")
    client.force_login(owner)

    client.post(board_url(board, "storyboard_shot_move", c.pk), {"steps": "up"})
    assert [s.prompt for s in board.shots.all()] == ["A", "C", "B"]

    client.post(board_url(board, "storyboard_order"), {"ids": [str(b.pk), str(elsewhere.pk), str(a.pk)]})
    assert [s.prompt for s in board.shots.all()] == ["B", "A", "C"]
    assert [s.position for s in board.shots.all()] == [1, 2, 3]
    page = text(client.get(board_url(board)))
    assert 'aria-label="Move shot 1 up" disabled' in page and 'aria-label="Move shot 3 down" disabled' in page


def test_choosing_the_take_a_shot_uses(client, owner):
    board = new_board(owner)
    shot = shot_of(board)
    one = make_video(owner, shot=shot, prompt=shot.prompt)
    two = make_video(owner, shot=shot, prompt=shot.prompt)
    Shot.objects.filter(pk=shot.pk).update(chosen=one)
    other = make_video(owner, shot=shot_of(board, "Another"), prompt="Another")
    Shot.objects.filter(pk=other.shot_id).update(chosen=other)
    client.force_login(owner)

    page = text(client.get(board_url(board)))
    assert "2 takes" in page and page.count("Use this take") == 1 and "Used" in page

    response = client.post(board_url(board, "storyboard_shot_choose", shot.pk), {"take": str(two.pk)})
    assert response.status_code == 302
    shot.refresh_from_db()
    assert shot.chosen_id == two.pk

    refused = client.post(board_url(board, "storyboard_shot_choose", shot.pk), {"take": str(other.pk)})
    assert refused.status_code == 409 and "Choose one of this shot&#x27;s ready takes." in text(refused)
    shot.refresh_from_db()
    assert shot.chosen_id == two.pk


def test_the_cut_of_a_shot_is_saved_and_a_cut_of_everything_is_refused_with_the_numbers_kept(client, owner):
    board = new_board(owner)
    first = shot_of(board)
    second = shot_of(board)
    take = make_video(owner, shot=second, prompt=second.prompt)  # one second long
    Shot.objects.filter(pk=second.pk).update(chosen=take)
    client.force_login(owner)
    page = text(client.get(board_url(board)))
    assert f'id="transition-{second.pk}"' in page and f'id="transition-{first.pk}"' not in page
    assert "Trim start (s)" in page and 'step="0.1"' in page

    ok = client.post(
        board_url(board, "storyboard_shot_cut", second.pk),
        {"trim_head": "0.2", "trim_tail": "0.1", "transition": "crossfade"},
    )
    assert ok.status_code == 302
    second.refresh_from_db()
    assert (second.trim_head, second.trim_tail, second.transition) == (0.2, 0.1, "crossfade")

    refused = client.post(
        board_url(board, "storyboard_shot_cut", second.pk),
        {"trim_head": "0.6", "trim_tail": "0.5", "transition": "cut"},
    )
    assert refused.status_code == 409
    body = text(refused)
    assert "That trims the whole shot away: it is 1 seconds long." in body and 'value="0.6"' in body
    refused = client.post(board_url(board, "storyboard_shot_cut", first.pk), {"trim_head": "-1", "trim_tail": "x"})
    assert "Trim a number of seconds from 0 to 30" in text(refused)
    second.refresh_from_db()
    assert (second.trim_head, second.transition) == (0.2, "crossfade")


def test_a_shot_is_deleted_only_while_none_of_its_takes_is_being_made(client, owner, queue):
    board = new_board(owner)
    a = shot_of(board, "A")
    b = shot_of(board, "B")
    storyboards.make(owner, board, only=a)
    client.force_login(owner)

    refused = client.post(board_url(board, "storyboard_shot_delete", a.pk))
    assert refused.status_code == 409 and "delete it once it is finished" in text(refused)
    assert client.post(board_url(board, "storyboard_shot_delete", b.pk)).status_code == 302
    assert [s.prompt for s in board.shots.all()] == ["A"]


def test_a_board_is_renamed_and_deleted_once_nothing_of_it_is_being_made_its_videos_kept(client, owner, queue):
    board = new_board(owner)
    shot = shot_of(board, "A harbour at dawn")
    (take,) = storyboards.make(owner, board)
    client.force_login(owner)

    refused = client.post(board_url(board, "storyboard_rename"), {"title": "   "})
    assert refused.status_code == 409 and "Give the storyboard a title" in text(refused)
    assert client.post(board_url(board, "storyboard_rename"), {"title": "  Harbour   piece "}).status_code == 302
    assert Storyboard.objects.get(pk=board.pk).title == "Harbour piece"

    refused = client.post(board_url(board, "storyboard_delete"))
    assert refused.status_code == 409 and "Some of its shots are being made" in text(refused)
    assert Storyboard.objects.filter(pk=board.pk).exists()

    take.refresh_from_db()
    assert take.mark_failed("service_error", "Pixapi could not make it.")
    answer = client.post(board_url(board, "storyboard_delete"), follow=True)
    assert "“Harbour piece” is deleted. Its videos stay in your library." in text(answer)
    assert not Storyboard.objects.filter(pk=board.pk).exists() and not Shot.objects.filter(pk=shot.pk).exists()
    take.refresh_from_db()
    assert take.shot is None  # the video itself stays


def test_a_retake_shows_its_cost_holds_one_more_take_and_refuses_while_one_is_on_its_way(client, owner, queue):
    board = new_board(owner)
    shot = shot_of(board, duration=3)
    take = make_video(owner, shot=shot, prompt=shot.prompt)
    Shot.objects.filter(pk=shot.pk).update(chosen=take)
    before = credits.balance_of(owner)
    client.force_login(owner)
    assert "Re-take · 6 credits" in text(client.get(board_url(board)))

    assert client.post(board_url(board, "storyboard_shot_retake", shot.pk)).status_code == 302
    again = client.post(board_url(board, "storyboard_shot_retake", shot.pk))

    assert again.status_code == 409 and "A take of this shot is on its way already." in text(again)
    assert shot.takes.count() == 2 and credits.balance_of(owner) == before - 6


def test_export_is_asked_for_and_listed_and_refused_in_words_while_a_shot_has_no_ready_take(client, owner, queue):
    board = new_board(owner)
    first = shot_of(board)
    client.force_login(owner)

    refused = client.post(board_url(board, "storyboard_export"))
    assert refused.status_code == 409
    assert 'id="export-error"' in text(refused) and "Shot 1 has no ready take yet" in text(refused)

    take = make_video(owner, shot=first, prompt=first.prompt)
    Shot.objects.filter(pk=first.pk).update(chosen=take)
    assert client.post(board_url(board, "storyboard_export")).status_code == 302
    assert client.post(board_url(board, "storyboard_export")).status_code == 302  # the one being made

    export = StoryboardExport.objects.get(storyboard=board)
    assert export.version == 1 and export.parts[0]["take"] == str(take.pk)
    assert queue == [("export_storyboard", (export.pk,))]
    page = text(client.get(board_url(board)))
    assert "Version 1" in page and "Being made" in page and "1 part: shot 1" in page


def test_a_ready_export_plays_on_the_board_and_its_page_lists_its_lineage(client, owner):
    board = new_board(owner, title="Lantern")
    shot = shot_of(board)
    take = make_video(owner, shot=shot, prompt=shot.prompt)
    Shot.objects.filter(pk=shot.pk).update(chosen=take, trim_head=0.5)
    export = StoryboardExport.objects.create(storyboard=board, version=1, parts=storyboards.export_parts(board))
    video = make_video(owner, prompt="Lantern")
    export.mark_ready(video, "remux")
    client.force_login(owner)

    page = text(client.get(board_url(board)))
    assert f'src="/generations/{video.pk}/video.mp4"' in page and "Download version 1" in page
    assert f'href="/generations/{video.pk}/"' in page

    detail = text(client.get(reverse("generation_detail", args=[video.pk])))
    assert f'<a href="/storyboards/{board.pk}/">Storyboard Lantern, version 1</a>' in detail
    assert f'Shot 1 · Wan · <a href="/generations/{take.pk}/">its take</a> · trimmed 0.5 s from the start' in detail
    # Stitched, not made from a prompt: no "Generate again", "Make final" or other model to try.
    assert "Storyboard export · " in detail and "Stitched from its storyboard's shots" in detail
    assert "<dt>Made by</dt><dd>Stitching its storyboard's shots</dd>" in detail and "<dt>Model</dt>" not in detail
    assert "Generate again" not in detail and "Make final" not in detail and 'id="try-model"' not in detail
    take_page = text(client.get(reverse("generation_detail", args=[take.pk])))
    assert f'<a href="/storyboards/{board.pk}/#shot-{shot.pk}">Shot 1 of Lantern</a>: the take used' in take_page


def test_the_poller_answers_204_while_nothing_changed_and_swaps_the_changed_shot(
    client, owner, queue, django_capture_on_commit_callbacks
):
    board = new_board(owner)
    shot = shot_of(board)
    (take,) = storyboards.make(owner, board)
    client.force_login(owner)
    page = client.get(board_url(board))
    poller = page.context["poller"]
    assert poller["active"] and 'hx-trigger="every 1s"' in text(page)
    ask = {"since": poller["since"], "exports": poller["exports"]}

    assert client.get(board_url(board, "storyboard_poll"), ask, HTTP_X_POLLER_SEEN=poller["seen"]).status_code == 204

    take.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):  # the creator's change mark moves
        assert take.claim_for_submit(60)
    answer = client.get(board_url(board, "storyboard_poll"), ask, HTTP_X_POLLER_SEEN=poller["seen"])
    assert answer.status_code == 200
    body = text(answer)
    assert f'id="shot-{shot.pk}-takes" class="shot-takes" hx-swap-oob="outerHTML"' in body
    assert 'id="make"' in body and 'id="poller"' in body


def test_another_creator_finds_nothing_of_the_board(client, owner, outsider, queue):
    board = new_board(owner)
    shot = shot_of(board)
    client.force_login(outsider)
    for name in ("storyboard", "storyboard_poll"):
        assert client.get(board_url(board, name)).status_code == 404
    for name in (
        "storyboard_make",
        "storyboard_order",
        "storyboard_export",
        "storyboard_shot_add",
        "storyboard_rename",
    ):
        assert client.post(board_url(board, name), {"prompt": "x", "model": "wan", "duration": "2"}).status_code == 404
    for name in ("storyboard_shot_move", "storyboard_shot_retake", "storyboard_shot_choose", "storyboard_shot_cut"):
        assert client.post(board_url(board, name, shot.pk), {"steps": "up", "trim_head": "1"}).status_code == 404
    assert client.post(board_url(board, "storyboard_shot_delete", shot.pk)).status_code == 404
    assert client.post(board_url(board, "storyboard_delete")).status_code == 404
    assert board.shots.count() == 1 and not Generation.objects.exists()
    assert Storyboard.objects.get(pk=board.pk).title == "A walk through the dunes"
    assert "A walk through the dunes" not in text(client.get(reverse("storyboard_list")))
    # A shot of the owner's reached through a board of the outsider's is not found either.
    theirs = new_board(outsider)
    assert client.post(board_url(theirs, "storyboard_shot_delete", shot.pk)).status_code == 404


@pytest.mark.parametrize("name", ["storyboard_make", "storyboard_export", "storyboard_order"])
def test_actions_are_post_only(client, owner, name):
    board = new_board(owner)
    client.force_login(owner)
    assert client.get(board_url(board, name)).status_code == 405


def test_a_page_for_a_running_take_and_the_poller_after_login_is_gone(client, owner):
    board = new_board(owner)
    shot = shot_of(board)
    make_generation(owner, shot=shot)
    assert client.get(board_url(board)).status_code == 302  # to log in
