"""Comparing models from the create form and the wizard: the confirm step, the one confirmation, the
comparison's page (its takes as they stand, its poller), its list, and its share link."""

import uuid

import pytest
from django.urls import reverse

from accounts import credits
from accounts.models import CreditEntry, Plan
from compare import sharing
from generations.models import Comparison, Draft, Generation
from tests.generations.videos import make_video

ASK = {"prompt": "A paper kite over a beach", "duration": "6", "size": "1280x720", "compare": ["veo", "wan", "kling"]}


def confirm(client, **changes):
    return client.post(reverse("compare_new"), {**ASK, **changes})


def start(client, token=None, **changes):
    page = confirm(client, **changes)
    total = page.context["total"]
    data = {**ASK, **changes, "client_token": token or str(uuid.uuid4()), "total": str(total)}
    return client.post(reverse("compare_start"), data)


def test_the_confirm_step_shows_each_take_as_made_and_the_total(client, owner):
    client.force_login(owner)
    before = credits.balance_of(owner)

    page = confirm(client)

    body = page.content.decode()
    rows = page.context["rows"]
    assert [(r["model"].slug, r["duration"]) for r in rows] == [("veo", 6), ("wan", 6), ("kling", 5)]
    assert "Kling" in body and "5 s" in body and "(nearest)" in body  # Kling makes 5 s, the nearest to 6
    total = sum(r["cost"] for r in rows)
    assert f"{float(total):g} credits" in body.replace(",", "") and "Make 3 takes" in body
    assert credits.balance_of(owner) == before and not Comparison.objects.exists()  # nothing held yet


def test_the_dashboard_offers_compare_with_locked_models_marked(client, owner):
    owner.plan = Plan.objects.get(slug="free")
    owner.save()
    client.force_login(owner)
    body = client.get(reverse("dashboard")).content.decode()
    assert "Compare models" in body and 'name="compare" value="wan"' in body
    assert 'value="veo" disabled' in body  # Free leaves Veo out: shown locked, with the plan that has it


def test_confirming_makes_one_comparison_with_its_takes_held(client, owner, queue):
    client.force_login(owner)
    before = credits.balance_of(owner)

    response = start(client)

    comparison = Comparison.objects.get(user=owner)
    assert response.status_code == 302 and response.url == reverse("comparison", args=[comparison.pk])
    takes = list(comparison.takes.order_by("created_at"))
    assert [t.model.slug for t in takes] == ["veo", "wan", "kling"]
    assert all(t.status == Generation.Status.WAITING or t.is_active for t in takes)
    holds = CreditEntry.objects.filter(user=owner, kind="hold")
    assert holds.count() == 3 and before - credits.balance_of(owner) == sum(t.cost for t in takes)

    page = client.get(response.url).content.decode()
    for take in takes:
        assert f'id="take-{take.pk}"' in page and take.model.name in page


def test_the_same_confirmation_twice_makes_one(client, owner, queue):
    client.force_login(owner)
    token = str(uuid.uuid4())
    first = start(client, token=token)
    second = start(client, token=token)
    assert first.url == second.url and Comparison.objects.count() == 1 and Generation.objects.count() == 3


def test_too_few_takes_and_not_enough_credits_are_said_plainly(client, owner, queue):
    client.force_login(owner)
    assert "Pick two models or more" in confirm(client, compare=["wan"]).content.decode()
    credits.adjust(owner, 10 - credits.balance_of(owner), reason="test")
    page = confirm(client).content.decode()
    assert "you have 10" in page and "disabled" in page
    refused = client.post(reverse("compare_start"), {**ASK, "client_token": str(uuid.uuid4())})
    assert refused.status_code == 409 and "credits" in refused.content.decode()
    assert not Comparison.objects.exists() and not CreditEntry.objects.filter(kind="hold").exists()


def test_a_plan_limit_is_said_next_to_the_button(client, owner, queue):
    owner.plan = Plan.objects.get(slug="free")
    owner.save()
    client.force_login(owner)
    response = client.post(reverse("compare_start"), {**ASK, "client_token": str(uuid.uuid4())})
    assert response.status_code == 409 and "Veo" in response.content.decode() and "plan" in response.content.decode()
    assert not Comparison.objects.exists()


def test_takes_of_one_model(client, owner, queue):
    client.force_login(owner)
    start(client, compare=["wan"], takes="3")
    assert list(Comparison.objects.get().takes.values_list("model__slug", flat=True)) == ["wan"] * 3


def test_from_the_wizard_the_picture_goes_with_every_take(client, owner, queue, media_root):
    from generations.models import Picture

    client.force_login(owner)
    picture = Picture.objects.create(user=owner, origin="upload", width=1280, height=720, image="pictures/x.jpg")
    draft = Draft.objects.create(user=owner, picture=picture, step="review", prompt="The kite rises")
    page = client.get(reverse("compare_new"), {"draft": draft.pk, "compare": ["wan", "kling"]})
    assert page.status_code == 200 and "Make 2 takes" in page.content.decode()
    response = client.post(
        reverse("compare_start"),
        {"draft": draft.pk, "compare": ["wan", "kling"], "client_token": str(uuid.uuid4())},
    )
    comparison = Comparison.objects.get()
    assert response.url == reverse("comparison", args=[comparison.pk])
    assert set(comparison.takes.values_list("input_picture", flat=True)) == {picture.pk}
    assert Draft.objects.get(pk=draft.pk).generation is not None  # the wizard is done with it


def test_a_failed_take_says_why_and_gives_its_credits_back(client, owner, queue):
    client.force_login(owner)
    start(client)
    comparison = Comparison.objects.get()
    failed = comparison.takes.get(model__slug="wan")
    before = credits.balance_of(owner)
    failed.mark_failed("content_policy", "The model would not make this prompt.")
    held_back = failed.cost
    assert credits.balance_of(owner) == before + held_back  # only its share comes back

    page = client.get(reverse("comparison", args=[comparison.pk])).content.decode()

    assert "The model would not make this prompt." in page
    assert f"Your {float(held_back):g} credits are back." in page


def test_the_poller_brings_only_the_takes_that_changed(client, owner, queue):
    client.force_login(owner)
    start(client)
    comparison = Comparison.objects.get()
    page = client.get(reverse("comparison", args=[comparison.pk]))
    since = page.context["poller"]["since"]
    failed = comparison.takes.get(model__slug="kling")
    failed.mark_failed("busy", "Kling is busy right now.")

    answer = client.get(reverse("comparison_poll", args=[comparison.pk]), {"since": since})

    body = answer.content.decode()
    assert answer.status_code == 200 and f'id="take-{failed.pk}"' in body and "Kling is busy right now." in body
    others = comparison.takes.exclude(pk=failed.pk)
    assert all(f'id="take-{t.pk}"' not in body for t in others)


def test_the_list_shows_the_creators_comparisons_newest_first(client, owner, outsider, queue):
    client.force_login(owner)
    start(client, prompt="The first idea")
    start(client, prompt="The second idea")
    body = client.get(reverse("compare_list")).content.decode()
    assert body.index("The second idea") < body.index("The first idea")
    client.force_login(outsider)
    assert "The first idea" not in client.get(reverse("compare_list")).content.decode()


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("comparison", "get"),
        ("comparison_poll", "get"),
        ("comparison_share", "post"),
        ("comparison_unshare", "post"),
    ],
)
def test_another_creator_and_nobody_get_nothing(client, owner, outsider, queue, name, method):
    client.force_login(owner)
    start(client)
    comparison = Comparison.objects.get()
    url = reverse(name, args=[comparison.pk])

    client.force_login(outsider)
    assert getattr(client, method)(url).status_code == 404
    client.logout()
    response = getattr(client, method)(url)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert Comparison.objects.get().share_token is None


def test_a_shared_grid_shows_finished_takes_only_and_dies_when_revoked(client, owner, queue, media_root):
    client.force_login(owner)
    start(client)
    comparison = Comparison.objects.get()
    ready = make_video(owner, prompt=ASK["prompt"])
    Generation.objects.filter(pk=ready.pk).update(comparison=comparison, created_at=comparison.created_at)

    client.post(reverse("comparison_share", args=[comparison.pk]))
    comparison.refresh_from_db()
    token = comparison.share_token
    assert token and len(token) >= 43

    client.logout()
    page = client.get(reverse("shared_comparison", args=[token]))
    body = page.content.decode()
    number = next(t.number for t in sharing.shared_takes(comparison))
    file_url = reverse("shared_comparison_file", args=[token, number])
    assert page.status_code == 200 and file_url in body and body.count("<video") == 1
    assert ASK["prompt"] not in body and owner.email not in body and str(ready.pk) not in body
    assert client.get(file_url)["Content-Type"] == "video/mp4"
    waiting = 1 if number != 1 else 2  # a take still waiting has no public file
    assert client.get(reverse("shared_comparison_file", args=[token, waiting])).status_code == 404

    client.force_login(owner)
    client.post(reverse("comparison_unshare", args=[comparison.pk]))
    client.logout()
    gone = client.get(reverse("shared_comparison", args=[token]))
    assert gone.status_code == 404 and "no longer shared" in gone.content.decode()
    assert client.get(file_url).status_code == 404
    client.force_login(owner)
    client.post(reverse("comparison_share", args=[comparison.pk]))
    comparison.refresh_from_db()
    assert comparison.share_token != token  # sharing again makes a new link; the old one stays dead
