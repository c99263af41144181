"""Failover the creator agreed to: a waiting video leaves a model that is unavailable for the next model
they allow, within their extra credits, its hold moved; an opted-out one waits. Through the sandbox with
one model down (PIXAPI_SANDBOX_DOWN_MODELS), the whole way to a playable video."""

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts import credits
from accounts.models import CreditEntry, User
from catalog.models import CatalogModel
from generations import failover
from generations.models import Generation
from generations.starting import start_generation
from sandbox import faults, stats
from tests.api.helpers import auth, create, token_for
from tests.worker.test_lifecycle import drive, fast_sandbox  # noqa: F401 (a fixture)
from webhooks.models import WebhookDelivery, WebhookEndpoint

Status = Generation.Status


def allow(user, extra, order=()):
    User.objects.filter(pk=user.pk).update(failover_extra=Decimal(extra), failover_models=list(order))
    user.refresh_from_db()


def ask(user, model="veo", duration=5, size="1280x720", **extra):
    gen, created = start_generation(
        user,
        model=CatalogModel.objects.get(slug=model),
        prompt="A lighthouse at dusk",
        duration=duration,
        size=size,
        **extra,
    )
    assert created
    return gen


def holds(gen):
    return list(CreditEntry.objects.filter(reference__startswith=f"generation:{gen.pk}").values_list("kind", "amount"))


def break_model(slug, strikes):
    for _ in range(strikes):
        CatalogModel.objects.get(slug=slug).note_busy()


def test_a_video_asked_with_failover_carries_its_limit_and_one_without_does_not(owner, queue):
    allow(owner, 3)
    with_it = ask(owner)
    without = ask(owner, failover=False)
    assert with_it.failover_limit == with_it.cost + 3
    assert without.failover_limit is None
    User.objects.filter(pk=owner.pk).update(failover_extra=None)
    owner.refresh_from_db()
    assert ask(owner, failover=True).failover_limit is None  # the profile says never: nothing to allow


def test_a_waiting_video_moves_to_the_next_model_and_its_hold_moves_with_it(owner, queue):
    allow(owner, 0, order=["kling", "wan"])
    CatalogModel.objects.filter(slug="veo").update(queue_paused=True)
    gen = ask(owner)
    assert gen.status == Status.WAITING
    before = credits.balance_of(owner)
    old_cost = gen.cost

    moved = failover.reroute_stuck()

    gen.refresh_from_db()
    assert moved == [gen] and gen.model.slug in ("kling", "wan") and gen.rerouted_from.slug == "veo"
    assert gen.cost <= old_cost  # never past the limit: the cost plus 0
    assert credits.balance_of(owner) == before + old_cost - gen.cost  # the unused difference is back
    assert gen.rerouted_note.startswith(f"Made on {gen.model.name} because Veo was paused for maintenance")
    kinds = [kind for kind, _ in holds(gen)]
    assert kinds == ["hold", "release", "hold"]


def test_the_creators_order_is_followed_and_a_model_past_the_limit_is_skipped(owner, queue):
    veo, kling, wan = (CatalogModel.objects.get(slug=s) for s in ("veo", "kling", "wan"))
    allow(owner, 0, order=["kling", "wan"])
    CatalogModel.objects.filter(pk=veo.pk).update(queue_paused=True)
    gen = ask(owner)
    # Kling dearer than the limit (Veo's cost plus 0): Wan, the second choice
    expected = "wan" if kling.price(5, "1280x720") > gen.cost else "kling"
    failover.reroute_stuck()
    gen.refresh_from_db()
    assert gen.model.slug == expected
    assert gen.cost <= gen.failover_limit
    assert wan.pk  # both offered


def test_an_opted_out_video_waits_and_says_why(owner, queue, client):
    allow(owner, 5)
    CatalogModel.objects.filter(slug="veo").update(queue_paused=True)
    gen = ask(owner, failover=False)
    assert failover.reroute_stuck() == []
    gen.refresh_from_db()
    assert gen.model.slug == "veo" and gen.status == Status.WAITING and not gen.rerouted_note


def test_a_breaker_closed_only_briefly_keeps_the_video_where_it_is(owner, queue, settings):
    settings.FAILOVER_BREAKER_SECONDS = 20  # the third busy answer in a row closes it for 20 s
    allow(owner, 5)
    break_model("veo", strikes=2)
    gen = ask(owner)
    assert failover.reroute_stuck() == []
    break_model("veo", strikes=1)
    assert failover.reroute_stuck() == [gen]


def test_nothing_the_plan_leaves_out_is_chosen(owner, queue):
    from accounts.models import Plan

    owner.plan = Plan.objects.get(slug="free")  # Wan only
    owner.save()
    allow(owner, 50, order=["kling", "veo"])
    CatalogModel.objects.filter(slug="wan").update(queue_paused=True)
    gen = ask(owner, model="wan", duration=5, size="1280x720")
    assert failover.reroute_stuck() == []
    gen.refresh_from_db()
    assert gen.model.slug == "wan"


def test_the_card_the_page_the_api_and_a_webhook_say_what_happened(owner, queue, client):
    allow(owner, 5)
    WebhookEndpoint.objects.create(user=owner, url="https://example.com/hook", events=["video.rerouted"])
    CatalogModel.objects.filter(slug="veo").update(queue_paused=True)
    gen = ask(owner)
    failover.reroute_stuck()
    gen.refresh_from_db()
    client.force_login(owner)
    note = gen.rerouted_note
    assert note in client.get(reverse("dashboard")).content.decode()
    assert note in client.get(reverse("generation_detail", args=[gen.pk])).content.decode()
    delivery = WebhookDelivery.objects.get(event="video.rerouted")
    assert '"rerouted_from":"veo"' in delivery.body and note in delivery.body


def test_the_profile_saves_the_choice_and_refuses_a_model_twice(client, owner):
    client.force_login(owner)
    response = client.post(
        reverse("profile_failover"),
        {"failover-allow": "on", "failover-extra": "4", "failover-first": "kling", "failover-second": "kling"},
    )
    assert "Pick each model once." in response.content.decode()
    owner.refresh_from_db()
    assert owner.failover_extra is None
    client.post(
        reverse("profile_failover"),
        {"failover-allow": "on", "failover-extra": "4", "failover-first": "kling", "failover-second": "wan"},
    )
    owner.refresh_from_db()
    assert owner.failover_extra == 4 and owner.failover_models == ["kling", "wan"]


@pytest.mark.django_db(transaction=True)
def test_with_one_model_down_opted_in_videos_finish_on_the_next_and_opted_out_ones_wait(
    owner,
    fast_sandbox,
    queue,
    settings,  # noqa: F811
):
    settings.PIXAPI_SANDBOX_DOWN_MODELS = ["veo"]
    allow(owner, 5, order=["wan"])
    opted_in = [ask(owner, duration=5) for _ in range(3)]
    opted_out = ask(owner, failover=False)

    for gen in opted_in:
        gen = drive(gen, queue, timeout=60)
        assert gen.status == Status.COMPLETED and gen.model.slug == "wan" and gen.rerouted_from.slug == "veo"
        assert gen.cost <= gen.failover_limit
        assert "because Veo was unavailable" in gen.rerouted_note

    opted_out.refresh_from_db()
    assert opted_out.status == Status.WAITING and opted_out.model.slug == "veo"
    assert holds(opted_out) == [("hold", -opted_out.cost)] or holds(opted_out)[0][0] == "hold"


def test_the_create_form_offers_failover_as_the_profile_says_and_takes_the_answer(client, owner, queue):
    client.force_login(owner)
    assert "make it on the next one I allow" not in client.get(reverse("dashboard")).content.decode()
    allow(owner, 3)
    assert "at most 3 credits more" in client.get(reverse("dashboard")).content.decode()
    fields = {"prompt": "A fox in the snow", "model": "veo", "duration": "5", "size": "1280x720"}
    client.post(reverse("create"), {**fields, "failover": "on", "client_token": str(uuid.uuid4())})
    client.post(reverse("create"), {**fields, "client_token": str(uuid.uuid4())})  # the box left unticked
    made = list(Generation.objects.filter(user=owner).order_by("created_at").values_list("failover_limit", "cost"))
    assert made[0][0] == made[0][1] + 3 and made[1][0] is None


def test_the_api_takes_failover_and_says_what_happened(client, owner, queue):
    allow(owner, 2)
    secret = token_for(owner)
    CatalogModel.objects.filter(slug="veo").update(queue_paused=True)
    answer = create(client, secret, failover=True).json()
    failover.reroute_stuck()
    video = client.get(f"/api/v1/videos/{answer['id']}", **auth(secret)).json()
    assert video["rerouted_from"] == "veo" and video["model"] != "veo"
    assert video["rerouted_note"].startswith(f"Made on {video['model'].capitalize()}")
    no = create(client, secret, failover=False, prompt="Another").json()
    assert Generation.objects.get(pk=no["id"]).failover_limit is None


@pytest.mark.django_db(transaction=True)
def test_a_task_that_fails_through_its_model_is_made_on_the_next_one(owner, fast_sandbox, queue, settings):  # noqa: F811
    settings.PIXAPI_SANDBOX_FAULTS = "submit:fail-internal*1"  # Veo's task fails at Pixapi with internal_error
    faults.reset()
    allow(owner, 5, order=["wan"])
    before = credits.balance_of(owner)
    gen = drive(ask(owner, duration=5), queue, timeout=60)

    assert gen.status == Status.COMPLETED and gen.model.slug == "wan" and gen.rerouted_from.slug == "veo"
    assert "because Veo was unavailable" in gen.rerouted_note
    assert stats.snapshot()["routes"]["submit_video"] == 2  # Veo's failed task, then Wan's
    assert credits.balance_of(owner) == before - gen.cost  # charged once, for the video made


@pytest.mark.django_db(transaction=True)
def test_without_failover_a_task_that_fails_ends_failed_with_its_credits_back(owner, fast_sandbox, queue, settings):  # noqa: F811
    settings.PIXAPI_SANDBOX_FAULTS = "submit:fail-internal*1"
    faults.reset()
    before = credits.balance_of(owner)
    gen = drive(ask(owner, duration=5), queue, timeout=60)
    assert gen.status == Status.FAILED and gen.error_code == "service_error" and gen.model.slug == "veo"
    assert credits.balance_of(owner) == before
