"""One answer to "what may this creator make" (accounts.offer): the create form, the wizard's settings and
picture steps, and the server's check all follow it, so a change to a plan in admin changes them together."""

import pytest
from django.urls import reverse

from accounts import credits
from accounts.models import Plan, User
from accounts.offer import Offer, offer_for
from accounts.plans import PlanLimit
from catalog.models import CatalogModel
from generations.starting import start_generation
from tests.conftest import with_credits
from tests.studio.test_wizard import at_settings, image_file, step_url


@pytest.fixture
def fern(client, db, media_root):
    user = with_credits(
        User.objects.create_user(username="fern", email="fern@example.com", password="x"), 100, plan="free"
    )
    client.force_login(user)
    return user


def model(slug):
    return CatalogModel.objects.get(slug=slug)


def test_the_offer_of_a_plan_lists_models_lengths_sizes_prices_and_what_unlocks_the_rest(fern):
    offer = offer_for(fern)
    assert [m.slug for m in offer.video_models()] == ["wan"]
    assert [m.slug for m in offer.video_models(every=True)] == ["veo", "wan", "kling"]
    assert [m.slug for m in offer.image_models()] == ["gemini-2.5-flash-image"]
    wan = model("wan")
    assert offer.durations(wan) == [2, 3, 4, 5, 6, 7, 8]
    assert offer.sizes(wan) == ["1280x720", "720x1280"]
    assert offer.cost(wan, 5, "1280x720") == 10
    assert offer.cost(wan, 10, "1280x720") is None and offer.cost(wan, 5, "1920x1080") is None
    assert offer.unlocking(model("kling")).slug == "creator"
    assert offer.unlocking(wan, size="1920x1080").slug == "creator"
    assert Offer(None).video_models() == offer.video_models(every=True)  # no plans at all: everything


def test_a_plan_changed_in_admin_changes_the_form_the_wizard_and_the_server_together(client, fern, queue):
    free = Plan.objects.get(slug="free")
    free.max_duration, free.allow_hd = 10, True
    free.save()
    free.allowed_models.add(model("kling"), model("gpt-image-2"))

    form = client.get(reverse("dashboard") + "?again=&model=kling").content.decode()
    assert "Veo comes with other plans: Veo and any length with the Pro plan." in form
    assert '<option value="kling">Kling</option>' in form and '<option value="veo"' not in form

    draft = at_settings(client, image_file(1920, 1080))
    settings = client.get(step_url(draft, "settings")).content.decode()
    assert (
        '<input type="radio" name="model" value="kling"' in settings
        and "disabled" not in settings.split('value="kling"')[1].split(">")[0]
    )
    assert '<option value="10">10 seconds</option>' in settings
    assert '<option value="1920x1080">Landscape 1080p</option>' in settings  # 1080p no longer locked

    picture_step = client.get(step_url(draft, "picture")).content.decode()
    assert '<option value="gpt-image-2" disabled' not in picture_step

    fern.refresh_from_db()  # the plan as it is now
    gen, _ = start_generation(fern, model=model("kling"), prompt="A kite", duration=10, size="1920x1080")
    assert gen.cost == 22 and credits.balance_of(fern) == 78
    with pytest.raises(PlanLimit):
        start_generation(fern, model=model("veo"), prompt="A kite", duration=4, size="1280x720")
