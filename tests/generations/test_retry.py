"""Try again (a failed video asked for afresh with the same settings, the cost shown, one confirmation)
and switch model (when its model is not available to its creator now, the price difference shown)."""

import uuid

import pytest
from django.utils import timezone

from accounts import credits
from accounts.models import CreditEntry, Plan
from catalog.models import CatalogModel
from generations import queue as studio_queue
from generations.models import Generation
from generations.starting import start_generation

Status = Generation.Status


@pytest.fixture(autouse=True)
def no_broker(queue):
    return queue


def failed(user, model="wan", duration=4, size="1280x720", **extra):
    catalog = CatalogModel.objects.get(slug=model)
    return Generation.objects.create(
        user=user,
        model=catalog,
        prompt="A heron lifting off a misty lake",
        style=extra.pop("style", "cinematic"),
        camera=extra.pop("camera", "push_in"),
        full_prompt="A heron lifting off a misty lake, with presets",
        duration=duration,
        size=size,
        status=Status.FAILED,
        cost=catalog.price(duration, size),
        error_message="Pixapi could not make this video. Your credits are back.",
        finished_at=timezone.now(),
        **extra,
    )


def on_plan(user, slug):
    user.plan = Plan.objects.get(slug=slug)
    user.save(update_fields=["plan"])


def retry_url(gen):
    return f"/generations/{gen.pk}/retry/"


def holds_for(gen):
    return CreditEntry.objects.filter(user=gen.user, reference=gen.ledger_reference, kind="hold").count()


def test_the_retry_page_shows_the_same_settings_and_the_cost(client, owner):
    gen = failed(owner)
    client.force_login(owner)
    balance = credits.balance_of(owner)

    page = client.get(retry_url(gen)).content.decode()

    assert "A heron lifting off a misty lake" in page
    assert "Wan" in page and "4 seconds" in page and "Landscape 720p" in page
    assert "Cinematic" in page and "Slow push in" in page
    assert "It costs 8 credits." in page
    assert f"You will have {int(balance) - 8:,} credits after it." in page
    assert 'value="wan:4:1280x720"' in page and ">Try again</button>" in page


def test_one_confirmation_makes_a_new_video_with_the_same_settings_and_one_hold(client, owner):
    gen = failed(owner, fit=Generation.Fit.LETTERBOX)
    client.force_login(owner)
    before = credits.balance_of(owner)
    token = str(uuid.uuid4())

    response = client.post(retry_url(gen), {"choice": "wan:4:1280x720", "client_token": token})
    client.post(retry_url(gen), {"choice": "wan:4:1280x720", "client_token": token})  # a double click

    new = Generation.objects.exclude(pk=gen.pk).get(user=owner)
    assert response.status_code == 302 and response["Location"] == f"/#generation-{new.pk}"
    assert (new.prompt, new.style, new.camera) == (gen.prompt, gen.style, gen.camera)
    assert (new.model_id, new.duration, new.size, new.fit) == (gen.model_id, 4, "1280x720", "letterbox")
    assert new.source_id == gen.pk and new.is_active
    assert new.full_prompt == gen.full_prompt  # the prompt as it was sent, presets (or motions) and all
    assert holds_for(new) == 1
    assert credits.balance_of(owner) == before - 8


def test_a_model_no_longer_in_the_plan_offers_switching_with_the_difference(client, owner):
    on_plan(owner, "free")  # Wan only
    gen = failed(owner, model="kling", duration=5)  # 11 credits
    client.force_login(owner)

    page = client.get(retry_url(gen)).content.decode()

    assert "Kling is not part of your Free plan." in page
    assert 'value="kling:5:1280x720"' not in page  # no button for what the plan refuses
    assert "Wan: 10 credits, 1 fewer" in page and 'value="wan:5:1280x720"' in page


def test_switching_on_retry_holds_the_new_price(client, owner):
    on_plan(owner, "free")
    gen = failed(owner, model="kling", duration=5)
    client.force_login(owner)
    before = credits.balance_of(owner)

    client.post(retry_url(gen), {"choice": "wan:5:1280x720", "client_token": str(uuid.uuid4())})

    new = Generation.objects.exclude(pk=gen.pk).get(user=owner)
    assert (new.model.slug, new.duration, new.cost) == ("wan", 5, 10)
    assert credits.balance_of(owner) == before - 10 and holds_for(new) == 1


def test_a_choice_not_on_offer_makes_nothing(client, owner):
    on_plan(owner, "free")
    gen = failed(owner, model="kling", duration=5)
    client.force_login(owner)

    page = client.post(retry_url(gen), {"choice": "kling:5:1280x720"}).content.decode()

    assert "That choice is not on offer any more." in page
    assert Generation.objects.filter(user=owner).count() == 1


def test_the_nearest_length_and_shape_the_plan_allows(client, owner):
    on_plan(owner, "free")  # up to 8 s, 720p
    gen = failed(owner, duration=12, size="1080x1920")
    client.force_login(owner)

    page = client.get(retry_url(gen)).content.decode()

    assert "Your Free plan makes videos of up to 8 seconds." in page
    assert "Wan: 16 credits, 8 fewer" in page
    assert "8 s instead of 12 s; Portrait 720p instead of Portrait 1080p" in page


def test_a_model_the_studio_switched_off_offers_the_others(client, owner):
    gen = failed(owner, model="kling", duration=10)
    CatalogModel.objects.filter(slug="kling").update(enabled=False)
    client.force_login(owner)

    page = client.get(retry_url(gen)).content.decode()

    assert "Kling is no longer offered by the studio." in page
    assert "Veo: 16 credits, 6 fewer" in page and "(8 s instead of 10 s)" in page  # Veo's longest is 8 s
    assert "Wan: 20 credits, 2 fewer" in page


def test_a_refusal_is_said_next_to_the_button(client, owner):
    gen = failed(owner)
    credits.hold(owner, credits.balance_of(owner) - 2, reference="elsewhere")
    client.force_login(owner)

    page = client.post(retry_url(gen), {"choice": "wan:4:1280x720"}).content.decode()

    assert "This video costs 8 credits and you have 2 credits." in page
    assert 'id="problem-wan-4-1280x720" role="alert"' in page
    assert Generation.objects.filter(user=owner).count() == 1


def test_cards_and_the_video_page_link_a_failed_video_to_the_retry_page(client, owner):
    gen = failed(owner)
    client.force_login(owner)

    assert f'href="/generations/{gen.pk}/retry/"' in client.get("/").content.decode()
    assert f'href="/generations/{gen.pk}/retry/"' in client.get(f"/generations/{gen.pk}/").content.decode()


def waiting_on_kling(owner):
    """A waiting Kling video of 5 s (11 credits held), asked for on Pro; then the creator moved to Free."""
    studio_queue.pause_all(owner)
    gen, _ = start_generation(
        owner, model=CatalogModel.objects.get(slug="kling"), prompt="A kite over dunes", duration=5, size="1280x720"
    )
    on_plan(owner, "free")
    gen.refresh_from_db()
    assert gen.status == Status.WAITING
    return gen


def test_switch_model_for_a_waiting_video_shows_the_difference_and_moves_the_hold(client, owner):
    gen = waiting_on_kling(owner)
    client.force_login(owner)
    before = credits.balance_of(owner)

    page = client.get(f"/generations/{gen.pk}/switch/").content.decode()
    response = client.post(f"/generations/{gen.pk}/switch/", {"choice": "wan:5:1280x720"})

    assert "Kling is not part of your Free plan." in page
    assert "Wan: 10 credits, 1 fewer" in page and f"You will have {int(before) + 1:,} credits after it." in page
    assert response.status_code == 302
    gen.refresh_from_db()
    assert (gen.status, gen.model.slug, gen.cost, gen.prompt) == (Status.WAITING, "wan", 10, "A kite over dunes")
    assert credits.balance_of(owner) == before + 1
    assert credits.held_now(owner) == 10


def test_a_video_that_left_the_queue_cannot_be_switched(client, owner):
    gen = waiting_on_kling(owner)
    Generation.objects.filter(pk=gen.pk).update(status=Status.SUBMITTED)
    client.force_login(owner)

    response = client.post(f"/generations/{gen.pk}/switch/", {"choice": "wan:5:1280x720"}, follow=True)

    assert "A worker has already started this video, so it can no longer be changed." in response.content.decode()
    gen.refresh_from_db()
    assert gen.model.slug == "kling"


def test_another_creators_video_is_not_found(client, owner, outsider):
    gen = failed(owner)
    waiting = waiting_on_kling(owner)
    client.force_login(outsider)

    assert client.get(retry_url(gen)).status_code == 404
    assert client.post(retry_url(gen), {"choice": "wan:4:1280x720"}).status_code == 404
    assert client.get(f"/generations/{waiting.pk}/switch/").status_code == 404
    assert client.post(f"/generations/{waiting.pk}/switch/", {"choice": "wan:5:1280x720"}).status_code == 404
    assert Generation.objects.filter(user=outsider).count() == 0
    waiting.refresh_from_db()
    assert waiting.model.slug == "kling"


def test_the_tag_tells_a_waiting_card_its_model_is_unavailable(owner, rf):
    from django.template import Context, Template

    gen = waiting_on_kling(owner)
    ok = failed(owner)
    template = Template("{% load switch_words %}{% model_unavailable gen as why %}{{ why }}")
    request = rf.get("/")
    request.user = owner

    assert template.render(Context({"gen": gen, "request": request})) == "Kling is not part of your Free plan."
    assert template.render(Context({"gen": ok, "request": request})) == ""
    assert template.render(Context({"gen": gen})) == "Kling is not part of your Free plan."  # no request: read afresh


def test_past_the_monthly_budget_it_asks_first_and_makes_it_when_told(client, owner):
    owner.monthly_budget = 4
    owner.save(update_fields=["monthly_budget"])
    gen = failed(owner)
    client.force_login(owner)

    page = client.post(retry_url(gen), {"choice": "wan:4:1280x720"}).content.decode()
    assert "past your monthly budget of 4 credits" in page and "Make it anyway" in page
    assert 'name="confirm_budget" value="1"' in page
    assert Generation.objects.filter(user=owner).count() == 1

    client.post(retry_url(gen), {"choice": "wan:4:1280x720", "confirm_budget": "1"})
    assert Generation.objects.filter(user=owner).count() == 2


# One set of rules: what the plan leaves out is shown locked with the plan that has it, and the way there


def test_the_retry_page_names_the_plan_that_has_the_model_and_links_to_the_plans(client, owner):
    on_plan(owner, "free")
    gen = failed(owner, model="kling", duration=5)
    client.force_login(owner)

    page = client.get(retry_url(gen)).content.decode()

    why = page.split('id="why">', 1)[1].split("</p>", 1)[0]
    assert "Kling is not part of your Free plan. It comes with the Creator plan." in why
    assert '<a href="/pricing/#ask">See the plans</a>' in why
    assert "With another plan: Veo (Pro plan), Kling (Creator plan)." in page
    assert 'value="veo:' not in page and 'value="wan:5:1280x720"' in page


def test_try_another_model_on_a_videos_page_offers_what_the_plan_makes_and_locks_the_rest(client, owner):
    on_plan(owner, "free")
    gen = failed(owner, model="kling", duration=5)  # asked for on another plan
    client.force_login(owner)

    page = client.get(f"/generations/{gen.pk}/").content.decode()

    select = page.split('<select id="try-model"', 1)[1].split("</select>", 1)[0]
    assert '<option value="wan">Wan</option>' in select
    assert '<option value="veo" disabled>Veo · Pro plan</option>' in select
    assert 'value="kling"' not in select  # its own model is not "another"
    assert 'id="try-model-plans">With another plan: Veo (Pro plan). <a href="/pricing/#ask">See the plans</a>' in page


def test_a_video_on_the_only_model_of_the_plan_names_the_others_plans_instead_of_an_empty_choice(client, owner):
    on_plan(owner, "free")
    gen = failed(owner)  # Wan: the Free plan's only video model
    client.force_login(owner)

    page = client.get(f"/generations/{gen.pk}/").content.decode()

    assert 'id="try-model"' not in page
    assert "Other models come with other plans: Veo (Pro plan), Kling (Creator plan)." in page
