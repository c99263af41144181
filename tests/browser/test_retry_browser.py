"""Try again and switch model, and honest progress, in real Chromium at laptop and phone size: a failed
video asked for again in one confirmation, a model the plan no longer has offered as a switch with the
price difference, the card's time left from the studio's history, the tab's title counting what is in
progress; axe-core finds nothing wrong on the retry and switch pages."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Plan
from catalog.models import CatalogModel
from generations.models import Generation
from tests.browser.conftest import fits_the_screen, no_axe_violations, shoot

pytestmark = pytest.mark.browser
Status = Generation.Status


def video(user, prompt, status, model="wan", duration=4, **extra):
    catalog = CatalogModel.objects.get(slug=model)
    return Generation.objects.create(
        user=user,
        model=catalog,
        prompt=prompt,
        full_prompt=prompt,
        duration=duration,
        size="1280x720",
        status=status,
        cost=catalog.price(duration, "1280x720"),
        **extra,
    )


@pytest.fixture
def studio(owner, queue):
    owner.plan = Plan.objects.get(slug="free")
    owner.save(update_fields=["plan"])
    now = timezone.now()
    for i, seconds in enumerate((100, 120, 140, 160, 180)):  # wan 4 s takes about 2-3 minutes here
        start = now - timedelta(hours=1, seconds=i)
        video(
            owner, f"Old video {i}", Status.COMPLETED, queued_at=start, finished_at=start + timedelta(seconds=seconds)
        )
    Generation.objects.filter(prompt__startswith="Old video").update(created_at=now - timedelta(days=2))
    video(owner, "A lantern rising over a lake", Status.RUNNING, queued_at=now - timedelta(seconds=20), progress=0)
    kling = video(
        owner,
        "A kite over the dunes at dawn",
        Status.FAILED,
        model="kling",
        duration=5,
        error_message="Pixapi could not make this video. Your credits are back.",
        finished_at=now,
    )
    wan = video(
        owner,
        "A heron lifting off a misty lake",
        Status.FAILED,
        error_message="Pixapi could not make this video. Your credits are back.",
        finished_at=now,
    )
    return {"kling": kling, "wan": wan}


def test_try_again_in_one_confirmation_and_switch_a_model_the_plan_left_out(
    live_server, page, phone_page, log_in, owner, studio, artifacts, queue
):
    log_in(page, owner)
    page.goto(live_server.url + "/")
    making = page.get_by_role("article", name=re.compile("A lantern rising"))
    expect(making.locator("[data-time-left]")).to_have_text(re.compile(r"^About \d(-\d)? minutes? left$"))
    expect(page).to_have_title("(1) Your studio")
    # An empty bar looks empty: an outlined, see-through track, not a pale full bar.
    track = making.locator("progress").evaluate("el => getComputedStyle(el).borderTopWidth")
    assert track == "1px"
    shoot(page, artifacts, "progress-card-laptop")

    heron = page.get_by_role("article", name=re.compile("A heron lifting"))
    heron.get_by_role("link", name="Try again").click()
    expect(page.get_by_role("heading", name="Try again")).to_be_visible()
    expect(page.get_by_text("It costs 8 credits.")).to_be_visible()
    no_axe_violations(page)
    assert fits_the_screen(page)
    shoot(page, artifacts, "retry-laptop")
    page.get_by_role("button", name="Try again").click()

    expect(page.get_by_text("Asked for again with Wan")).to_be_visible()
    assert Generation.objects.filter(prompt="A heron lifting off a misty lake").count() == 2
    expect(page).to_have_title("(2) Your studio")

    page.goto(f"{live_server.url}/generations/{studio['kling'].pk}/retry/")
    expect(page.get_by_text("Kling is not part of your Free plan.")).to_be_visible()
    expect(page.get_by_text("Wan: 10 credits, 1 fewer")).to_be_visible()
    no_axe_violations(page)
    shoot(page, artifacts, "retry-switch-laptop")

    log_in(phone_page, owner)
    phone_page.goto(f"{live_server.url}/generations/{studio['kling'].pk}/retry/")
    expect(phone_page.get_by_role("button", name="Make it with Wan")).to_be_visible()
    no_axe_violations(phone_page)
    assert fits_the_screen(phone_page)
    shoot(phone_page, artifacts, "retry-switch-phone")
    phone_page.get_by_role("button", name="Make it with Wan").click()
    expect(phone_page.get_by_text("Asked for again with Wan")).to_be_visible()
    made = Generation.objects.filter(prompt="A kite over the dunes at dawn").exclude(pk=studio["kling"].pk).get()
    assert (made.model.slug, made.duration, made.cost) == ("wan", 5, 10)


def test_switch_model_for_a_waiting_video(live_server, page, phone_page, log_in, owner, studio, artifacts):
    waiting = video(owner, "A paper boat on a puddle", Status.WAITING, model="kling", duration=5, queue_position=1)
    log_in(page, owner)
    page.goto(f"{live_server.url}/generations/{waiting.pk}/switch/")
    expect(page.get_by_text("Kling is not part of your Free plan.")).to_be_visible()
    no_axe_violations(page)
    shoot(page, artifacts, "switch-laptop")

    log_in(phone_page, owner)
    phone_page.goto(f"{live_server.url}/generations/{waiting.pk}/switch/")
    no_axe_violations(phone_page)
    assert fits_the_screen(phone_page)
    shoot(phone_page, artifacts, "switch-phone")


@pytest.mark.parametrize("size", ["laptop", "phone"])
def test_try_another_model_offers_the_plans_models_and_says_what_it_changed(
    live_server, page, phone_page, log_in, owner, studio, artifacts, size
):
    page = page if size == "laptop" else phone_page
    log_in(page, owner)
    page.goto(f"{live_server.url}/generations/{studio['kling'].pk}/")
    choice = page.get_by_label("Try the same prompt with another model")
    expect(choice.locator("option[value='wan']")).to_be_enabled()
    expect(choice.locator("option[value='veo']")).to_be_disabled()
    expect(choice.locator("option[value='veo']")).to_have_text("Veo · Pro plan")
    expect(page.get_by_role("link", name="See the plans")).to_have_attribute("href", "/pricing/#ask")
    no_axe_violations(page)
    assert fits_the_screen(page)
    shoot(page, artifacts, f"detail-try-model-{size}")
    page.get_by_role("button", name="Try it").click()

    # The create form starts from it on Wan: the one the creator chose, nothing changed behind their back.
    expect(page.get_by_label("Model")).to_have_value("wan")
    expect(page.get_by_label("Describe your video")).to_have_value("A kite over the dunes at dawn")
    expect(page.locator(".plan-note")).to_contain_text("Kling, up to 10 seconds and 1080p with the Creator plan")

    # Asked for a model the plan leaves out (an old link): the form says what it chose instead, and why.
    page.goto(f"{live_server.url}/?again={studio['kling'].pk}&model=veo")
    expect(page.locator(".plan-change")).to_contain_text("Veo comes with the Pro plan, so Wan is chosen.")
    expect(page.locator(".plan-change").get_by_role("link", name="See the plans")).to_be_visible()
    no_axe_violations(page)
    assert fits_the_screen(page)
    shoot(page, artifacts, f"dashboard-plan-change-{size}")
