"""The API's operations, as a program using a token meets them: the pages' rules, words and money."""

from datetime import datetime
from decimal import Decimal

import pytest

from accounts import credits
from accounts.models import CreditEntry, Plan
from generations import estimates
from generations.models import Generation, Picture
from tests.api.helpers import auth, create, jpeg, token_for
from tests.generations.videos import make_generation, make_video


@pytest.fixture
def secret(owner):
    return token_for(owner)


def test_a_video_from_a_prompt_is_queued_with_its_cost_held(client, owner, secret, queue):
    before = credits.balance_of(owner)
    answer = create(client, secret, style="cinematic")
    assert answer.status_code == 201
    body = answer.json()
    gen = Generation.objects.get(user=owner)
    assert body["id"] == str(gen.pk) and body["status"] == "queued" and body["progress"] == 0
    assert body["cost"] == "10.00" and body["download_url"] is None and body["estimated_finish"]
    assert "cinematic lighting" in gen.full_prompt and gen.start == Generation.Start.TEXT
    assert credits.balance_of(owner) == before - Decimal("10")
    assert CreditEntry.objects.filter(user=owner, kind=CreditEntry.Kind.HOLD).count() == 1
    assert queue == [("submit_generation", (str(gen.pk),))]


def test_a_video_from_an_uploaded_picture(client, owner, secret, queue, media_root):
    uploaded = client.post("/api/v1/pictures", {"picture": jpeg()}, **auth(secret))
    assert uploaded.status_code == 201
    picture = Picture.objects.get(user=owner)
    assert uploaded.json()["id"] == str(picture.pk) and uploaded.json()["width"] == 640
    answer = create(client, secret, picture_id=str(picture.pk), fit="letterbox")
    assert answer.status_code == 201
    gen = Generation.objects.get(user=owner)
    assert gen.input_picture == picture and gen.start == Generation.Start.IMAGE and gen.fit == "letterbox"
    assert answer.json()["picture_id"] == str(picture.pk)
    listed = client.get("/api/v1/pictures", **auth(secret)).json()
    assert [p["id"] for p in listed["items"]] == [str(picture.pk)]


def test_a_file_that_is_not_a_picture_is_refused_in_words(client, owner, secret, media_root):
    from django.core.files.uploadedfile import SimpleUploadedFile

    answer = client.post("/api/v1/pictures", {"picture": SimpleUploadedFile("a.jpg", b"not a picture")}, **auth(secret))
    assert answer.status_code == 422
    assert answer.json()["error"] == {"code": "picture_refused", "message": answer.json()["error"]["message"]}
    assert "not a picture we can read" in answer.json()["error"]["message"]
    assert not Picture.objects.exists()


def test_uploads_past_the_sites_limit_get_429_with_retry_after(client, owner, secret, media_root, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "upload": "2/h"}
    answers = [client.post("/api/v1/pictures", {"picture": jpeg()}, **auth(secret)) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert answers[-1].json()["error"]["code"] == "rate_limited"
    assert 1 <= int(answers[-1]["Retry-After"]) <= 3600
    assert Picture.objects.filter(user=owner).count() == 2


def test_not_enough_credits_is_402_in_words_and_nothing_is_made(client, owner, secret, queue):
    credits.adjust(owner, -credits.balance_of(owner) + 3, reason="test")
    answer = create(client, secret)
    assert answer.status_code == 402
    assert answer.json()["error"]["code"] == "not_enough_credits"
    assert "costs 10 credits and you have 3" in answer.json()["error"]["message"]
    assert not Generation.objects.exists() and credits.balance_of(owner) == 3


def test_the_plan_refuses_what_it_does_not_make(client, owner, secret, queue):
    owner.plan = Plan.objects.get(slug="free")
    owner.save(update_fields=["plan"])
    answer = create(client, secret, model="veo", size="1920x1080")
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "plan_limit"
    assert not Generation.objects.exists()


def test_past_the_monthly_budget_is_402_until_confirmed(client, owner, secret, queue):
    owner.monthly_budget = Decimal("5")
    owner.save(update_fields=["monthly_budget"])
    answer = create(client, secret)
    assert answer.status_code == 402 and answer.json()["error"]["code"] == "over_budget"
    assert "confirm_budget" in answer.json()["error"]["message"]
    assert create(client, secret, confirm_budget=True).status_code == 201


@pytest.mark.parametrize(
    "change, words",
    [
        ({"model": "nope"}, "There is no video model “nope”"),
        ({"model": "gemini-2.5-flash-image"}, "There is no video model"),
        ({"duration": 3}, "Veo makes videos of 4, 5, 6, 7 or 8 seconds"),
        ({"size": "640x480"}, "Veo makes the sizes"),
        ({"prompt": "   "}, "Describe the video"),
        ({"duration": "five"}, "duration"),
        ({"style": "baroque"}, "style"),
    ],
)
def test_requests_that_are_not_valid_are_422_in_words(client, owner, secret, queue, change, words):
    answer = create(client, secret, **change)
    assert answer.status_code == 422
    assert words in answer.json()["error"]["message"]
    assert not Generation.objects.exists()


def test_a_nul_character_is_refused_in_the_one_shape(client, owner, secret, queue):
    answer = create(client, secret, prompt="a\u0000b")
    assert answer.status_code in (400, 422)
    assert "NUL" in answer.json()["error"]["message"]
    assert not Generation.objects.exists()


def test_a_body_that_is_not_json_is_refused_in_the_one_shape(client, owner, secret):
    answer = client.post("/api/v1/videos", "{nope", content_type="application/json", **auth(secret))
    assert answer.status_code in (400, 422)
    assert set(answer.json()) == {"error"} and answer.json()["error"]["message"]


def test_one_video_with_its_status_and_progress(client, owner, secret):
    gen = make_generation(owner, status=Generation.Status.RUNNING, progress=40)
    body = client.get(f"/api/v1/videos/{gen.pk}", **auth(secret)).json()
    assert body["status"] == "running" and body["progress"] == 40 and body["status_words"] == "Making"
    assert body["model"] == "wan" and body["error"] is None and body["title"] == ""
    usual = estimates.for_active(gen)  # the same estimate as the card's: its slow end
    finish = datetime.fromisoformat(body["estimated_finish"])
    assert abs((finish - max(usual.ready_high, usual.now)).total_seconds()) < 2
    failed = make_generation(
        owner,
        status=Generation.Status.FAILED,
        error_code="rejected",
        error_message="Pixapi turned this prompt down.",
        title="The one that got away",
    )
    body = client.get(f"/api/v1/videos/{failed.pk}", **auth(secret)).json()
    assert body["error"] == {"code": "rejected", "message": "Pixapi turned this prompt down."}
    assert body["title"] == "The one that got away"


def test_the_list_filters_and_pages(client, owner, outsider, secret):
    from datetime import timedelta

    from django.utils import timezone

    old = make_generation(owner, status=Generation.Status.COMPLETED, model="veo")
    Generation.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=40))
    running = [make_generation(owner, status=Generation.Status.RUNNING) for _ in range(3)]
    make_generation(outsider, status=Generation.Status.RUNNING)

    def ids(**query):
        answer = client.get("/api/v1/videos", query, **auth(secret))
        assert answer.status_code == 200, answer.content
        return answer.json()

    assert ids()["count"] == 4
    assert {v["id"] for v in ids(status="running")["items"]} == {str(g.pk) for g in running}
    assert [v["id"] for v in ids(model="veo")["items"]] == [str(old.pk)]
    assert ids(created_before=(timezone.now() - timedelta(days=30)).date().isoformat())["count"] == 1
    assert ids(created_after=(timezone.now() - timedelta(days=1)).isoformat())["count"] == 3
    first, second = ids(per_page=3), ids(per_page=3, page=2)
    assert first["pages"] == 2 and len(first["items"]) == 3 and len(second["items"]) == 1
    assert ids(page=9)["items"] == []
    bad = client.get("/api/v1/videos", {"created_after": "yesterday"}, **auth(secret))
    assert bad.status_code == 422 and "ISO 8601" in bad.json()["error"]["message"]
    assert client.get("/api/v1/videos", {"status": "lost"}, **auth(secret)).status_code == 422


def test_download_whole_and_in_ranges(client, owner, secret, media_root):
    gen = make_video(owner)
    body = client.get(f"/api/v1/videos/{gen.pk}", **auth(secret)).json()
    assert body["download_url"].endswith(f"/api/v1/videos/{gen.pk}/download")
    whole = client.get(f"/api/v1/videos/{gen.pk}/download", **auth(secret))
    data = b"".join(whole.streaming_content)
    assert whole.status_code == 200 and whole["Content-Type"] == "video/mp4" and whole["Accept-Ranges"] == "bytes"
    assert len(data) == gen.video_bytes and "attachment" in whole["Content-Disposition"]
    part = client.get(f"/api/v1/videos/{gen.pk}/download", HTTP_RANGE="bytes=10-19", **auth(secret))
    assert part.status_code == 206 and b"".join(part.streaming_content) == data[10:20]
    past = client.get(f"/api/v1/videos/{gen.pk}/download", HTTP_RANGE=f"bytes={len(data) + 5}-", **auth(secret))
    assert past.status_code == 416 and past.json()["error"]["code"] == "range_not_satisfiable"


def test_a_video_not_ready_is_409(client, owner, secret):
    gen = make_generation(owner, status=Generation.Status.RUNNING)
    answer = client.get(f"/api/v1/videos/{gen.pk}/download", **auth(secret))
    assert answer.status_code == 409 and answer.json()["error"]["code"] == "not_ready"


def test_balance_models_and_price(client, owner, secret, queue):
    balance = client.get("/api/v1/balance", **auth(secret)).json()
    assert balance == {"balance": "1000.00", "held": "0.00", "plan": "Pro"}
    slugs = [m["slug"] for m in client.get("/api/v1/models", **auth(secret)).json()]
    assert slugs == ["veo", "wan", "kling"]
    price = client.get("/api/v1/price", {"model": "veo", "duration": 5, "size": "1280x720"}, **auth(secret)).json()
    assert price["cost"] == "10.00" and price["allowed"] is True and price["refusal"] is None
    create(client, secret)  # the price is what the video then holds
    assert Generation.objects.get().cost == Decimal("10")
    credits.adjust(owner, -credits.balance_of(owner), reason="test")
    short = client.get("/api/v1/price", {"model": "veo", "duration": 5, "size": "1280x720"}, **auth(secret)).json()
    assert short["allowed"] is False and "no credits left" in short["refusal"]
