"""The queue as a creator sees it: waiting cards that say why and where, the Queue page, and changing a
waiting video (move, reorder, edit with its cost, pause, cancel) until a worker takes it."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import credits
from accounts.models import CreditEntry, User
from catalog.models import CatalogModel
from generations import queue as studio_queue
from generations.models import Generation, StudioQueue
from generations.starting import start_generation
from generations.updates import token
from tests.conftest import verified

Status = Generation.Status
NOT_WAITING = "A worker has already started this video, so it can no longer be changed."
HTMX = {"hx-request": "true"}


@pytest.fixture
def free_creator(db, client):
    user = User.objects.create_user(
        username="fern", email="fern@example.com", password="x", display_name="Fern", **verified()
    )
    credits.welcome(user)  # the Free plan (2 at once) and its 100 credits
    client.force_login(user)
    return user


def ask(user, prompt, duration=4):
    gen, _ = start_generation(
        user, model=CatalogModel.objects.get(slug="wan"), prompt=prompt, duration=duration, size="1280x720"
    )
    gen.refresh_from_db()
    return gen


@pytest.fixture
def four(free_creator, queue):
    """Four videos asked for on the Free plan: two hold its places, two wait."""
    return [ask(free_creator, f"Shot {i}") for i in range(1, 5)]


def text(response):
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


def finish(gen):
    gen.refresh_from_db()
    Generation.objects.filter(pk=gen.pk).update(status=Status.DOWNLOADING)
    gen.refresh_from_db()
    assert gen.mark_completed("videos/x.mp4", "posters/x.jpg", {"bytes": 1, "width": 1, "height": 1, "seconds": 4})


def hold_of(user, reference):
    return CreditEntry.objects.filter(user=user, reference=reference)


def test_two_hold_places_and_two_wait_with_their_words_and_places(client, four):
    assert [g.status for g in four] == [Status.QUEUED, Status.QUEUED, Status.WAITING, Status.WAITING]

    page = text(client.get(reverse("dashboard")))
    assert page.count("Waiting: starts when one of your 2 running videos finishes.") == 2
    assert "Next in your line" in page and "2nd in your line" in page

    card = text(client.get(reverse("generation_card", args=[four[3].pk])))
    assert "Waiting Waiting: starts when one of your 2 running videos finishes. 2nd in your line" in card
    for button in ("Edit", "Move up", "Move down", "Pause", "Cancel", "Yes, cancel it"):
        assert button in card

    queue_page = text(client.get(reverse("queue")))
    assert "Being made now" in queue_page and "Shot 1" in queue_page and "Shot 2" in queue_page
    assert re.search(r"Place 1 Shot 3 Wan · 4 s · 1280×720 · 8 credits", queue_page)
    assert re.search(r"Place 2 Shot 4 Wan · 4 s · 1280×720 · 8 credits", queue_page)
    assert "Pause the whole queue" in queue_page


def test_the_waiting_words_follow_what_holds_a_video_back(client, four, free_creator):
    third, fourth = four[2], four[3]
    wan = CatalogModel.objects.get(slug="wan")

    finish(four[0])  # a place is free for the third, but the studio's valve is full
    StudioQueue.objects.update_or_create(pk=1, defaults={"max_in_flight": 1})
    studio_queue.dispatch()
    assert "Waiting: the studio is busy; your video starts when a slot frees." in text(
        client.get(reverse("generation_card", args=[third.pk]))
    )
    assert "Waiting: starts when your running video finishes." in text(
        client.get(reverse("generation_card", args=[fourth.pk]))
    )
    StudioQueue.objects.filter(pk=1).update(paused=True, max_in_flight=None)
    assert "the studio is busy" in text(client.get(reverse("generation_card", args=[third.pk])))
    StudioQueue.objects.filter(pk=1).update(paused=False)
    Generation.objects.filter(pk=third.pk).update(turn=1)  # has its turn, room at the valve
    assert "Waiting: starts in a moment." in text(client.get(reverse("generation_card", args=[third.pk])))

    wan.busy_until = timezone.now() + timezone.timedelta(minutes=5)
    wan.save(update_fields=["busy_until"])
    assert "Wan is busy at Pixapi; your video will start when it recovers." in text(
        client.get(reverse("generation_card", args=[third.pk]))
    )
    CatalogModel.objects.filter(pk=wan.pk).update(queue_paused=True)
    assert "Wan is paused by the studio for maintenance; your video waits." in text(
        client.get(reverse("generation_card", args=[third.pk]))
    )

    client.post(reverse("queue_pause", args=[fourth.pk]), {"paused": "1"})
    card = text(client.get(reverse("generation_card", args=[fourth.pk])))
    assert "Paused It waits until you resume it." in card and "Resume" in card

    client.post(reverse("queue_pause_all"), {"paused": "1"})
    card = text(client.get(reverse("generation_card", args=[third.pk])))
    assert "Paused Your queue is paused, so nothing of yours starts until you resume it." in card
    assert "Resume the queue" in text(client.get(reverse("queue")))


def test_moving_and_reordering_change_which_starts_next(client, four, queue):
    first, _, third, fourth = four
    response = client.post(reverse("queue_move", args=[fourth.pk]), {"steps": "up", "from": "queue"}, headers=HTMX)
    assert response.status_code == 200
    assert re.search(r"Place 1 Shot 4 .* Place 2 Shot 3", text(response))  # the queue, swapped in

    finish(first)
    started = studio_queue.dispatch()
    assert [g.pk for g in started] == [fourth.pk]

    # A drag sends the whole order; a stranger's ids and nonsense are ignored.
    fifth, sixth = ask(third.user, "Shot 5"), ask(third.user, "Shot 6")
    response = client.post(reverse("queue_reorder"), {"ids": [str(sixth.pk), "nonsense", str(third.pk)]})
    assert response.status_code == 302 and response.url == reverse("queue")
    line = [g.pk for g in studio_queue.line_of(third.user)]
    assert line == [sixth.pk, third.pk, fifth.pk]
    finish(four[1])
    assert [g.pk for g in studio_queue.dispatch()] == [sixth.pk]


def test_a_move_from_a_card_answers_the_card(client, four):
    response = client.post(reverse("queue_move", args=[four[3].pk]), {"steps": "up", "from": "card"}, headers=HTMX)
    assert "Next in your line" in text(response)
    assert f'id="generation-{four[3].pk}"' in response.content.decode()
    assert 'id="credit-balance"' in response.content.decode()  # the balance, out of band


def test_edit_shows_the_difference_first_then_moves_the_hold(client, four, free_creator):
    gen = four[3]
    url = reverse("queue_edit", args=[gen.pk])
    page = text(client.get(url))
    assert "This costs the same: 8 credits." in page

    preview = client.get(url, {"prompt": "Shot 4", "model": "wan", "duration": "5", "size": "1280x720"}, headers=HTMX)
    assert "This costs 2 credits more: 10 instead of 8." in text(preview)
    before = credits.balance_of(free_creator)

    data = {"prompt": "Shot 4, at dusk", "model": "wan", "duration": "5", "size": "1280x720", "style": "", "camera": ""}
    response = client.post(url, {**data, "preview": "1"})
    assert "This costs 2 credits more: 10 instead of 8." in text(response)
    assert credits.balance_of(free_creator) == before  # nothing changed yet

    response = client.post(url, data, follow=True)
    assert "Changed. It costs 10 credits now" in text(response)
    gen.refresh_from_db()
    assert (gen.prompt, gen.duration, gen.cost) == ("Shot 4, at dusk", 5, Decimal("10"))
    assert credits.balance_of(free_creator) == before - 2
    old = hold_of(free_creator, f"generation:{gen.pk}")
    assert set(old.values_list("kind", flat=True)) == {CreditEntry.Kind.HOLD, CreditEntry.Kind.RELEASE}
    new = hold_of(free_creator, f"generation:{gen.pk}#1")
    assert list(new.values_list("kind", "amount")) == [(CreditEntry.Kind.HOLD, Decimal("-10"))]


def test_edit_offers_only_what_the_plan_allows_and_says_a_refusal_by_the_button(client, four, free_creator):
    url = reverse("queue_edit", args=[four[3].pk])
    page = client.get(url).content.decode()
    assert 'value="wan"' in page and 'value="veo"' not in page  # Free makes Wan only
    assert 'value="1920x1080"' not in page and 'value="10"' not in page  # 720p, up to 8 seconds

    response = client.post(url, {"prompt": "x", "model": "veo", "duration": "4", "size": "1280x720"})
    assert "That model is not part of your Free plan" in text(response)

    for i in range(8):  # 68 credits left after four; eight more leave 4, short of the 8 more an 8 s video needs
        ask(free_creator, f"More {i}")
    before = credits.balance_of(free_creator)
    data = {"prompt": "Shot 4", "model": "wan", "duration": "8", "size": "1280x720", "style": "", "camera": ""}
    response = client.post(url, data)
    assert response.status_code == 200
    assert 'id="edit-problem"' in response.content.decode()
    assert credits.balance_of(free_creator) == before
    four[3].refresh_from_db()
    assert four[3].duration == 4 and four[3].hold_version == 0


def test_cancel_returns_the_hold_at_once(client, four, free_creator):
    gen = four[2]
    before = credits.balance_of(free_creator)
    response = client.post(reverse("queue_cancel", args=[gen.pk]), {"from": "card"}, headers=HTMX)
    assert "You canceled it before it started. Nothing was charged." in text(response)
    assert credits.balance_of(free_creator) == before + 8
    gen.refresh_from_db()
    assert gen.status == Status.CANCELED

    response = client.post(reverse("queue_cancel", args=[four[3].pk]), follow=True)
    assert "Canceled. Its 8 credits are back in your balance." in text(response)
    assert "Nothing is waiting." in text(response)


def test_another_creators_video_is_not_found(client, four, outsider):
    client.force_login(outsider)
    gen = four[3]
    for name, data in [
        ("queue_move", {"steps": "up"}),
        ("queue_pause", {"paused": "1"}),
        ("queue_cancel", {}),
        ("queue_edit", {"prompt": "Mine now", "model": "wan", "duration": "4", "size": "1280x720"}),
    ]:
        assert client.post(reverse(name, args=[gen.pk]), data).status_code == 404, name
    assert client.get(reverse("queue_edit", args=[gen.pk])).status_code == 404
    client.post(reverse("queue_reorder"), {"ids": [str(gen.pk)]})
    gen.refresh_from_db()
    assert (gen.status, gen.prompt, gen.paused) == (Status.WAITING, "Shot 4", False)
    assert "Shot 4" not in text(client.get(reverse("queue")))


def test_a_video_that_left_the_queue_says_it_can_no_longer_be_changed(client, four, free_creator):
    gen = four[3]
    Generation.objects.filter(pk=gen.pk).update(status=Status.QUEUED)  # the dispatcher took it a moment ago
    for name, data in [("queue_move", {"steps": "up"}), ("queue_pause", {"paused": "1"}), ("queue_cancel", {})]:
        response = client.post(reverse(name, args=[gen.pk]), {**data, "from": "card"}, headers=HTMX)
        assert NOT_WAITING in text(response), name
        response = client.post(reverse(name, args=[gen.pk]), {**data, "from": "queue"}, headers=HTMX)
        assert NOT_WAITING in text(response), name
        assert NOT_WAITING in text(client.post(reverse(name, args=[gen.pk]), data, follow=True)), name
    data = {"prompt": "Changed", "model": "wan", "duration": "5", "size": "1280x720", "style": "", "camera": ""}
    assert NOT_WAITING in text(client.post(reverse("queue_edit", args=[gen.pk]), data, follow=True))
    assert NOT_WAITING in text(client.get(reverse("queue_edit", args=[gen.pk]), follow=True))
    gen.refresh_from_db()
    assert (gen.status, gen.prompt, gen.cost) == (Status.QUEUED, "Shot 4", Decimal("8"))


def test_the_empty_queue_in_plain_words(client, free_creator):
    page = text(client.get(reverse("queue")))
    assert "Nothing is being made right now." in page
    assert "Nothing is waiting." in page
    assert 'hx-trigger="every 3s"' not in client.get(reverse("queue")).content.decode()  # nothing to refresh


def test_actions_are_posts(client, four):
    for name in ("queue_move", "queue_pause", "queue_cancel"):
        assert client.get(reverse(name, args=[four[3].pk])).status_code == 405
    assert client.get(reverse("queue_reorder")).status_code == 405
    assert client.get(reverse("queue_pause_all")).status_code == 405


def test_a_new_model_shows_its_own_first_length_and_its_price(client, owner, queue):
    client.force_login(owner)
    studio_queue.pause_all(owner)  # nothing starts: the video waits
    gen = ask(owner, "A kite")
    assert gen.status == Status.WAITING
    url = reverse("queue_edit", args=[gen.pk])
    preview = client.get(url, {"prompt": "A kite", "model": "kling", "duration": "4", "size": "1280x720"}, headers=HTMX)
    assert "This costs 3 credits more: 11 instead of 8." in text(preview)  # Kling's 5 seconds, its shortest
    assert re.findall(r'<option value="(\d+)"', preview.content.decode()) == ["5", "10"]  # Kling's lengths
    data = {"prompt": "A kite", "model": "kling", "duration": "5", "size": "1280x720", "style": "", "camera": ""}
    client.post(url, data)
    gen.refresh_from_db()
    assert (gen.model.slug, gen.duration, gen.cost) == ("kling", 5, Decimal("11"))


def test_the_dashboard_reads_the_waiting_facts_once(client, four, free_creator):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as two_waiting:
        client.get(reverse("dashboard"))
    for i in range(4):
        ask(free_creator, f"More {i}")
    with CaptureQueriesContext(connection) as six_waiting:
        page = text(client.get(reverse("dashboard")))
    assert page.count("Waiting: starts when one of your 2 running videos finishes.") == 6
    assert len(six_waiting) - len(two_waiting) <= 4  # a place in line each, nothing more


def test_when_one_starts_the_poller_brings_the_others_their_new_place(client, four, free_creator):
    extra = ask(free_creator, "Shot 5")
    since = token(timezone.now())
    finish(four[0])
    studio_queue.dispatch()  # Shot 3 starts: Shot 4 and Shot 5 move up a place

    answer = text(client.get(reverse("generation_poll"), {"since": since, "have": f"{four[3].pk},{extra.pk}"}))

    assert "Waiting: starts when one of your 2 running videos finishes. Next in your line" in answer
    assert "2nd in your line" in answer and "3rd in your line" not in answer


def test_a_waiting_video_says_when_it_should_start_and_be_ready(client, four):
    card = text(client.get(reverse("generation_card", args=[four[2].pk])))
    queue_page = text(client.get(reverse("queue")))

    for page in (card, queue_page):
        assert "Starts in about" in page and "ready in about" in page


def test_a_waiting_video_whose_model_went_away_offers_to_switch(client, four):
    CatalogModel.objects.filter(slug="wan").update(queue_paused=True)
    card = text(client.get(reverse("generation_card", args=[four[2].pk])))
    assert "Switch model" in card


def test_an_edited_video_reaches_the_dashboards_poller(client, four, free_creator):
    since = token(timezone.now())
    studio_queue.edit(
        free_creator,
        four[3].pk,
        model=CatalogModel.objects.get(slug="wan"),
        prompt="A tram at dusk",
        duration=4,
        size="1280x720",
    )
    answer = text(client.get(reverse("generation_poll"), {"since": since, "have": str(four[3].pk)}))
    assert "A tram at dusk" in answer
