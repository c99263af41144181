"""Batches: many prompts pasted or uploaded as CSV, every line checked before anything is queued, one
confirmation that queues all of them (each held) or none, a spending cap, and the batch's own page."""

import html
import re
import threading
import uuid
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import close_old_connections
from django.urls import reverse

from accounts import credits
from accounts.models import CreditEntry, Plan, User
from accounts.offer import offer_for
from batches import reading as batches
from catalog.models import CatalogModel
from generations import queue as studio_queue
from generations.models import Batch, Generation, StudioQueue
from generations.starting import start_batch
from tests.conftest import verified, with_credits

Status = Generation.Status
WAN_4S = Decimal("8")  # Wan, 4 seconds at 720p


def form(**fields):
    data = {
        "model": "wan",
        "duration": "4",
        "size": "1280x720",
        "style": "",
        "camera": "",
        "name": "",
        "spending_cap": "",
        "client_token": str(uuid.uuid4()),
        "action": "preview",
    }
    data.update(fields)
    return data


def csv_file(text, name="videos.csv", encoding="utf-8"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def holds(user):
    return CreditEntry.objects.filter(user=user, kind=CreditEntry.Kind.HOLD)


def ledger_balances(user):
    return sum(CreditEntry.objects.filter(user=user).values_list("amount", flat=True)) == credits.balance_of(user)


def text_of(response):
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def confirm_data(preview):
    """The confirmation form the preview page shows, as a browser would send it."""
    page = preview.content.decode()
    confirm = page[page.index('id="confirm-form"') : page.index("</form>", page.index('id="confirm-form"'))]
    data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', confirm))
    data = {k: html.unescape(v) for k, v in data.items()}
    data.pop("csrfmiddlewaretoken", None)
    data["action"] = "confirm"
    return data


@pytest.fixture
def logged_in(client, owner):
    client.force_login(owner)
    return client


# A file with a mistake queues nothing


def test_a_csv_with_a_bad_row_queues_nothing_and_names_the_row(logged_in, owner, queue):
    before = credits.balance_of(owner)
    upload = csv_file(
        "prompt,model,duration,size\n"
        "A fox in the snow,wan,4,1280x720\n"
        "Waves on black rocks,Wan,20,\n"
        '"A kite, high up",kling,5,Portrait 720p\n'
        "A lighthouse,sora,,\n"
    )
    for action in ("preview", "confirm"):
        upload.seek(0)
        response = logged_in.post(reverse("batch_new"), form(file=upload, action=action))
        assert response.status_code == 200
        page = text_of(response)
        assert "Nothing was queued" in page
        assert "Line 3: Wan makes videos of 2 to 15 seconds, not 20." in page
        assert 'Line 5: there is no model called "sora". Use Veo, Wan and Kling.' in page
        assert "Line 2" not in page and "Line 4" not in page  # the good rows, the quoted comma included
        assert "Fix the file, then choose it again." in page
    assert not Generation.objects.exists() and not Batch.objects.exists()
    assert not holds(owner).exists()
    assert credits.balance_of(owner) == before


def test_the_plan_is_checked_line_by_line(owner):
    owner.plan = Plan.objects.get(slug="free")
    owner.save(update_fields=["plan"])
    reading = batches.read_text(
        "prompt,model,duration,size\nA,wan,12,\nB,veo,4,\nC,wan,4,1920x1080\nD,wan,8,720x1280\n",
        offer=offer_for(owner),
        defaults=batches.Defaults(CatalogModel.objects.get(slug="wan"), 4, "1280x720"),
    )
    assert reading.errors == [
        "Line 2: your Free plan makes videos of up to 8 seconds, not 12.",
        "Line 3: Veo is not part of your Free plan. Use Wan.",
        "Line 4: your Free plan makes 720p videos, not Landscape 1080p.",
    ]
    assert [(r.line, r.duration, r.size) for r in reading.rows] == [(5, 8, "720x1280")]


def test_the_files_form_is_checked_in_plain_words(owner):
    offer = offer_for(owner)
    defaults = batches.Defaults(CatalogModel.objects.get(slug="kling"), 5, "1280x720")

    def errors(data):
        return batches.read_upload(data, offer=offer, defaults=defaults).errors

    assert errors(b"PK\x03\x04rest of a workbook") == [
        "That looks like a spreadsheet workbook, not a CSV file. Save it as “CSV UTF-8” from your spreadsheet, "
        "and upload that."
    ]
    assert errors(b"\x89PNG\r\n\x1a\n\x00\x00") == [
        "That is not a CSV file: it holds binary data. Upload a CSV file (comma-separated text)."
    ]
    assert errors("prompt\nUn café".encode("latin-1"))[0].startswith("That file is not UTF-8 text.")
    assert errors(b"A fox,wan,4\n")[0].startswith("Line 1: the first line must name the columns")
    assert errors(b"prompt,colour\nA fox,red\n") == [
        'Line 1: "colour" is not a column the studio reads. Name the columns prompt, model, duration and size.'
    ]
    assert errors(b"x" * (batches.MAX_BYTES + 1)) == ["That file is 1.0 MB; a batch file may be up to 1 MB."]
    many = "prompt\n" + "".join(f"Shot {i}\n" for i in range(batches.MAX_ROWS + 1))
    assert errors(many.encode()) == [
        "There are 201 videos in it; a batch makes at most 200. Split it into smaller batches."
    ]
    assert errors(b"prompt,model\nA fox,wan\n") == []  # the form's 5 seconds and 720p: Wan makes them too
    ok = batches.read_upload(
        "\ufeffPrompt;Model;Duration;Size\r\nUn café à Paris;Wan;6 s;landscape 720p\r\n;;;\r\nA fox;;;\r\n".encode(),
        offer=offer,
        defaults=defaults,
    )
    assert ok.errors == []
    assert [(r.line, r.prompt, r.model.slug, r.duration, r.size) for r in ok.rows] == [
        (2, "Un café à Paris", "wan", 6, "1280x720"),
        (4, "A fox", "kling", 5, "1280x720"),
    ]
    ten = batches.read_upload(
        b"prompt,model\nA fox,veo\n", offer=offer, defaults=batches.Defaults(defaults.model, 10, "1280x720")
    )
    assert ten.errors == [
        "Line 2: Veo makes videos of 4, 5, 6, 7 or 8 seconds, not 10 (the length chosen on the form). Give one in the "
        "duration column."
    ]


# A pasted list, confirmed once


def test_five_pasted_prompts_make_five_held_videos_in_one_go(logged_in, owner, queue):
    before = credits.balance_of(owner)
    prompts = "\n".join(f"Shot {i}: a lighthouse at dusk" for i in range(1, 6))
    preview = logged_in.post(reverse("batch_new"), form(prompts=prompts + "\n\n", name="Lighthouses"))

    page = text_of(preview)
    assert "Check your batch" in page
    assert "Total 40 credits" in page
    assert f"Left after it {int(before - 5 * WAN_4S):,} credits" in page
    assert not Generation.objects.exists()  # the preview queues nothing

    response = logged_in.post(reverse("batch_new"), confirm_data(preview))
    batch = Batch.objects.get()
    assert response.status_code == 302 and response.url == reverse("batch_detail", args=[batch.pk])
    videos = list(batch.generations.order_by("created_at"))
    assert [v.prompt for v in videos] == [f"Shot {i}: a lighthouse at dusk" for i in range(1, 6)]
    assert {v.status for v in videos} <= {Status.WAITING, Status.QUEUED}
    assert all(v.user == owner and v.cost == WAN_4S and v.duration == 4 for v in videos)
    assert sorted(holds(owner).values_list("reference", flat=True)) == sorted(v.ledger_reference for v in videos)
    assert credits.balance_of(owner) == before - 5 * WAN_4S
    assert batch.name == "Lighthouses" and ledger_balances(owner)

    page = text_of(logged_in.get(response.url))
    assert "Lighthouses" in page and "Credits held 40" in page
    assert page.count("Shot ") == 5

    # While videos wait or are made, the progress is asked for again (htmx) and comes back alone.
    progress = logged_in.get(response.url, headers={"HX-Request": "true"})
    assert 'hx-trigger="every 5s"' in progress.content.decode() and "<html" not in progress.content.decode()


def test_not_enough_credits_for_the_whole_batch_makes_nothing(client, db, queue):
    poor = with_credits(
        User.objects.create_user(username="poor", email="poor@example.com", password="pw-poor-12345", **verified()),
        amount=20,
    )
    client.force_login(poor)
    preview = client.post(reverse("batch_new"), form(prompts="One\nTwo\nThree"))  # 24 credits
    page = text_of(preview)
    assert "This batch costs 24 credits and you have 20 credits, so nothing can be queued." in page
    assert re.search(r'id="confirm-batch"[^>]* disabled', preview.content.decode())

    response = client.post(reverse("batch_new"), confirm_data(preview))  # sent anyway
    assert "so nothing can be queued" in text_of(response)
    assert not Generation.objects.exists() and not Batch.objects.exists()
    assert not holds(poor).exists() and credits.balance_of(poor) == 20


def test_a_double_click_on_confirm_makes_one_batch(logged_in, owner, queue):
    preview = logged_in.post(reverse("batch_new"), form(prompts="One\nTwo\nThree"))
    data = confirm_data(preview)
    first = logged_in.post(reverse("batch_new"), data)
    second = logged_in.post(reverse("batch_new"), data)

    batch = Batch.objects.get()
    assert first.url == second.url == reverse("batch_detail", args=[batch.pk])
    assert Generation.objects.count() == 3 and holds(owner).count() == 3


def test_the_batch_over_the_monthly_budget_is_confirmed_once(logged_in, owner, queue):
    User.objects.filter(pk=owner.pk).update(monthly_budget=20)
    preview = logged_in.post(reverse("batch_new"), form(prompts="One\nTwo\nThree"))
    assert "past your monthly budget of 20 credits. Confirming queues it anyway." in text_of(preview)
    logged_in.post(reverse("batch_new"), confirm_data(preview))
    assert Batch.objects.get().generations.count() == 3


def test_a_price_change_after_the_preview_shows_the_new_total_first(logged_in, owner, queue):
    preview = logged_in.post(reverse("batch_new"), form(prompts="One\nTwo"))
    CatalogModel.objects.filter(slug="wan").update(credits_per_second=3)
    response = logged_in.post(reverse("batch_new"), confirm_data(preview))
    assert "The prices changed since you looked." in text_of(response)
    assert "Total 24 credits" in text_of(response)
    assert not Generation.objects.exists()


# The spending cap


def finish(gen):
    gen.refresh_from_db()
    Generation.objects.filter(pk=gen.pk).update(status=Status.DOWNLOADING)
    gen.refresh_from_db()
    assert gen.mark_completed("videos/x.mp4", "posters/x.jpg", {"bytes": 1, "width": 1, "height": 1, "seconds": 4})


def test_a_batch_stops_at_its_spending_cap_and_returns_the_rest(
    client, owner, queue, django_capture_on_commit_callbacks
):
    StudioQueue.lock()
    StudioQueue.objects.filter(pk=1).update(max_in_flight=1)  # one at a time, so the order is plain
    before = credits.balance_of(owner)
    reading = batches.read_text(
        "\n".join(f"Shot {i}" for i in range(5)),
        offer=offer_for(owner),
        defaults=batches.Defaults(CatalogModel.objects.get(slug="wan"), 4, "1280x720"),
    )
    assert reading.within_cap(Decimal("20")) == 2
    with django_capture_on_commit_callbacks(execute=True):
        batch, created = start_batch(owner, reading.rows, spending_cap=Decimal("20"))
    assert created and credits.balance_of(owner) == before - 5 * WAN_4S
    videos = list(batch.generations.order_by("created_at"))

    finish(videos[0])
    with django_capture_on_commit_callbacks(execute=True):
        assert [g.pk for g in studio_queue.dispatch()] == [videos[1].pk]  # 16 of 20: still under
    finish(videos[1])
    with django_capture_on_commit_callbacks(execute=True):
        assert studio_queue.dispatch() == []  # 24 would pass 20: the batch stops

    for video in videos:
        video.refresh_from_db()
    assert [v.status for v in videos] == [Status.COMPLETED] * 2 + [Status.CANCELED] * 3
    assert credits.balance_of(owner) == before - 2 * WAN_4S  # the three holds came back
    released = CreditEntry.objects.filter(user=owner, kind=CreditEntry.Kind.RELEASE)
    assert {v.ledger_reference for v in videos[2:]} <= set(released.values_list("reference", flat=True))
    assert ledger_balances(owner)

    client.force_login(owner)
    response = client.get(reverse("batch_detail", args=[batch.pk]))
    assert "every 5s" not in response.content.decode()  # nothing left to wait for: no more asking
    page = text_of(response)
    assert "Stopped at its spending cap: 3 videos not made, their credits returned." in page
    assert "Spent 16" in page and "Credits held 0" in page
    assert page.count("Its batch reached its spending cap") == 3


def test_the_preview_says_where_the_cap_stops_the_batch(logged_in, owner):
    preview = logged_in.post(reverse("batch_new"), form(prompts="One\nTwo\nThree\nFour", spending_cap="20"))
    assert (
        "Your cap of 20 credits pays for the first 2 of these 4 videos (16 credits). The batch stops there: the "
        "other 2 are canceled and their credits returned" in text_of(preview)
    )


# Whose batch it is


def test_another_creators_batch_is_not_found(client, owner, outsider, queue):
    batch, _ = start_batch(owner, _rows(owner, 2))
    client.force_login(outsider)
    assert client.get(reverse("batch_detail", args=[batch.pk])).status_code == 404
    assert "No batches yet" in text_of(client.get(reverse("batch_list")))
    client.force_login(owner)
    assert client.get(reverse("batch_detail", args=[batch.pk])).status_code == 200
    assert f'href="{reverse("batch_detail", args=[batch.pk])}"' in client.get(reverse("batch_list")).content.decode()


def test_the_batch_page_says_what_each_video_became(logged_in, owner, queue):
    batch, _ = start_batch(owner, _rows(owner, 3), name="Three shots")
    first, second, third = batch.generations.order_by("created_at")
    finish(first)
    second.refresh_from_db()
    Generation.objects.filter(pk=second.pk).update(status=Status.RUNNING)
    second.refresh_from_db()
    second.mark_failed("pixapi_error", "Pixapi could not make this video. Your credits were returned.")

    response = logged_in.get(reverse("batch_detail", args=[batch.pk]))
    page = text_of(response)
    assert "Ready 1" in page and "Failed 1" in page
    assert "Pixapi could not make this video. Your credits were returned." in page
    assert reverse("generation_detail", args=[first.pk]) in response.content.decode()
    assert "Watch video 1" in page


def test_the_dashboard_links_to_batches(logged_in):
    html = logged_in.get(reverse("dashboard")).content.decode()
    assert f'href="{reverse("batch_new")}"' in html


def _rows(user, n):
    wan = CatalogModel.objects.get(slug="wan")
    return batches.read_text(
        "\n".join(f"Shot {i}" for i in range(n)), offer=offer_for(user), defaults=batches.Defaults(wan, 4, "1280x720")
    ).rows


def test_a_hold_refused_midway_rolls_the_whole_batch_back(owner, queue, monkeypatch):
    """The balance checked first, then moved by another request before the fourth hold: nothing stays."""
    real_hold, calls = credits.hold, []

    def hold(user, amount, **kwargs):
        calls.append(kwargs["reference"])
        if len(calls) == 4:
            raise credits.NotEnoughCredits(amount, Decimal("0"))
        return real_hold(user, amount, **kwargs)

    monkeypatch.setattr(credits, "hold", hold)
    before = credits.balance_of(owner)
    with pytest.raises(credits.NotEnoughCredits):
        start_batch(owner, _rows(owner, 5), client_token=uuid.uuid4())
    assert len(calls) == 4
    assert not Batch.objects.exists() and not Generation.objects.exists()
    assert not holds(owner).exists() and credits.balance_of(owner) == before


def test_a_pasted_list_names_its_long_lines_and_its_limit(owner):
    offer = offer_for(owner)
    defaults = batches.Defaults(CatalogModel.objects.get(slug="wan"), 4, "1280x720")
    reading = batches.read_text("A fox\n\n" + "x" * 2001 + "\nA kite", offer=offer, defaults=defaults)
    assert reading.errors == ["Line 3: the prompt is 2,001 characters long; keep it under 2,000."]
    assert [r.line for r in reading.rows] == [1, 4]
    many = batches.read_text("\n".join(["Shot"] * 201), offer=offer, defaults=defaults)
    assert many.errors == ["There are 201 videos in it; a batch makes at most 200. Split it into smaller batches."]
    assert batches.read_text(" \n\n", offer=offer, defaults=defaults).errors == [
        "Write at least one prompt, one a line."
    ]


@pytest.mark.django_db(transaction=True)
def test_two_confirmations_at_the_same_moment_make_one_batch(owner, queue):
    """Two requests with the same form token, on two threads (a double click reaching two workers)."""
    rows, token = _rows(owner, 3), uuid.uuid4()
    barrier, results = threading.Barrier(2), []

    def confirm():
        barrier.wait()
        try:
            results.append(start_batch(owner, rows, client_token=token))
        finally:
            close_old_connections()

    threads = [threading.Thread(target=confirm) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2 and results[0][0].pk == results[1][0].pk
    assert sorted(created for _, created in results) == [False, True]
    assert Batch.objects.count() == 1 and Generation.objects.count() == 3 and holds(owner).count() == 3
    assert ledger_balances(owner)
