"""Plans: what a creator may make, enforced on the server for every way in (not only hidden in the
form), the monthly allowance granted once a month, and the starting credits of a new creator."""

import uuid
from datetime import date

import pytest
from django.urls import reverse
from django_q.models import Schedule

from accounts import credits, plans
from accounts import words as accounts_words
from accounts.models import CreditEntry, Plan, User
from accounts.offer import Offer
from accounts.tasks import grant_allowances
from catalog.models import CatalogModel
from generations import queue as studio_queue
from generations.models import Generation
from generations.starting import start_generation
from tests.conftest import rerun_data_migration, verification_link, verified


@pytest.fixture
def free_creator(db, client):
    user = User.objects.create_user(
        username="fern", email="fern@example.com", password="x", display_name="Fern", **verified()
    )
    credits.welcome(user)  # the Free plan and its 100 credits, as when the address is verified
    client.force_login(user)
    return user


def model(slug):
    return CatalogModel.objects.get(slug=slug)


def post_create(client, **fields):
    data = {
        "prompt": "A kite over the dunes",
        "model": "wan",
        "duration": "4",
        "size": "1280x720",
        "client_token": str(uuid.uuid4()),
        **fields,
    }
    return client.post(reverse("create"), data, headers={"hx-request": "true"}).content.decode()


@pytest.mark.parametrize(
    "slug, duration, size, words",
    [
        (
            "veo",
            4,
            "1280x720",
            "Veo is not part of your Free plan, which includes Wan. Pick Wan, or ask the "
            "studio team about a plan with more models.",
        ),
        ("wan", 10, "1280x720", "Your Free plan makes videos of up to 8 seconds. Pick a shorter length."),
        ("wan", 4, "1920x1080", "Your Free plan makes 720p videos. Pick a 720p shape."),
    ],
)
def test_the_server_refuses_what_the_plan_leaves_out_and_takes_nothing(
    free_creator, queue, slug, duration, size, words
):
    with pytest.raises(plans.PlanLimit) as refusal:
        start_generation(free_creator, model=model(slug), prompt="A kite", duration=duration, size=size)
    assert accounts_words.refusal(refusal.value, free_creator) == words
    assert not Generation.objects.exists() and queue == []
    assert credits.balance_of(free_creator) == 100
    assert not CreditEntry.objects.filter(kind=CreditEntry.Kind.HOLD).exists()


def test_a_crafted_form_gets_the_plans_words_and_creates_nothing(free_creator, client, queue):
    assert "That model is not part of your Free plan. Pick one from the list." in post_create(client, model="veo")
    assert "Your Free plan makes Wan videos of 2 to 8 seconds. Pick one of those." in post_create(client, duration="12")
    assert "Your Free plan makes 720p videos. Pick a shape from the list." in post_create(client, size="1080x1920")
    assert not Generation.objects.exists()


def test_the_form_offers_only_what_the_plan_allows(free_creator, client):
    html = client.get(reverse("dashboard")).content.decode()
    assert '<option value="wan">Wan</option>' in html
    assert '<option value="veo"' not in html and '<option value="kling"' not in html
    assert '<option value="8">8 seconds</option>' in html and '<option value="9">' not in html
    assert '<option value="1920x1080"' not in html
    # What it leaves out, each with the plan that has it (beside the chips, so they stay as wide as their choices).
    assert (
        "Your Free plan makes Wan videos up to 8 seconds at 720p; Veo and Kling come with other plans: "
        "Kling, up to 10 seconds and 1080p with the Creator plan; Veo and any length with the Pro plan."
    ) in html
    assert '<a href="/pricing/#ask">See the plans</a>' in html


def test_videos_beyond_the_places_of_the_plan_wait_held_and_start_in_turn(free_creator, client, queue):
    post_create(client, prompt="First")
    post_create(client, prompt="Second")
    post_create(client, prompt="Third")
    assert Generation.objects.get(prompt="Third").status == Generation.Status.WAITING
    assert credits.balance_of(free_creator) == 100 - 3 * 8  # held, as the two that run
    assert [name for name, _ in queue] == ["submit_generation"] * 2

    Generation.objects.filter(prompt="First").get().mark_failed("lost", "Lost")  # one ends: its place is free
    studio_queue.dispatch()
    assert Generation.objects.get(prompt="Third").status == Generation.Status.QUEUED
    assert len(queue) == 3


def test_an_operator_moving_a_creator_to_pro_opens_every_model(free_creator, operator, client, queue):
    client.force_login(operator)
    client.post(
        reverse("admin:accounts_user_changelist"),
        {
            "action": "assign_plan",
            "_selected_action": [free_creator.pk],
            "plan": Plan.objects.get(slug="pro").pk,
            "apply": "1",
        },
    )
    free_creator.refresh_from_db()
    assert free_creator.plan.slug == "pro"
    gen, _ = start_generation(free_creator, model=model("veo"), prompt="A whale", duration=8, size="1920x1080")
    assert gen.cost == 19  # 8 s of Veo at 2.4 a second in 1080p, rounded


# The monthly allowance


@pytest.mark.django_db
def test_the_allowance_job_run_twice_in_a_month_grants_once():
    pro = Plan.objects.get(slug="pro")
    ada = User.objects.create_user(username="ada", email="ada@example.com", password="x", plan=pro, **verified())
    bob = User.objects.create_user(username="bob", email="bob@example.com", password="x", **verified())  # default plan
    User.objects.create_user(username="gone", email="gone@example.com", password="x", is_active=False, **verified())
    User.objects.create_user(username="unproven", email="unproven@example.com", password="x")  # not verified

    assert credits.grant_allowances(day=date(2026, 11, 1)) == 2
    assert credits.grant_allowances(day=date(2026, 11, 30)) == 0
    assert (credits.balance_of(ada), credits.balance_of(bob)) == (5000, 100)

    assert credits.grant_allowances(day=date(2026, 12, 2)) == 2  # a new month
    assert (credits.balance_of(ada), credits.balance_of(bob)) == (10000, 200)
    entry = CreditEntry.objects.filter(user=bob).first()
    assert (entry.kind, entry.reference, entry.description) == (
        "allowance",
        "allowance:2026-12",
        "Free plan, December 2026",
    )


@pytest.mark.django_db
def test_the_allowance_runs_on_a_daily_django_q_schedule():
    """Daily, so a cluster that was down on the 1st still grants the month; the key makes it once."""
    Schedule.objects.filter(name="monthly-allowance").delete()
    rerun_data_migration("accounts", "0004_seed_plans_and_allowance_schedule")
    schedule = Schedule.objects.get(name="monthly-allowance")
    assert (schedule.func, schedule.schedule_type, schedule.repeats) == (
        "accounts.tasks.grant_allowances",
        Schedule.DAILY,
        -1,
    )
    User.objects.create_user(username="cy", email="cy@example.com", password="x", **verified())
    assert grant_allowances() == 1 and grant_allowances() == 0


@pytest.mark.django_db
def test_a_new_creator_starts_on_free_with_this_months_allowance(client, mailoutbox):
    client.post(
        reverse("signup"),
        {
            "display_name": "Nia New",
            "email": "nia@example.com",
            "password1": "moving-pictures-1895",
            "password2": "moving-pictures-1895",
        },
    )
    client.get(verification_link(mailoutbox, "nia@example.com"))  # the credits come with a verified address
    client.login(username="nia@example.com", password="moving-pictures-1895")
    nia = User.objects.get(email="nia@example.com")
    assert nia.plan.slug == "free"
    assert credits.balance_of(nia) == 100
    assert credits.grant_allowances() == 0  # the month's job later that day gives nothing more
    assert 'aria-label="Your balance: 100 credits. See your usage"' in client.get(reverse("dashboard")).content.decode()


@pytest.mark.django_db
def test_an_operator_adding_a_creator_gives_them_the_starting_credits_once_verified(client, operator, mailoutbox):
    client.force_login(operator)
    client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "added@example.com",
            "username": "added",
            "display_name": "Added",
            "usable_password": "false",
        },
    )
    added = User.objects.get(email="added@example.com")
    assert credits.balance_of(added) == 0 and added.plan.slug == "free"
    client.get(verification_link(mailoutbox, "added@example.com"))
    assert credits.balance_of(added) == 100


@pytest.mark.django_db
def test_the_demo_creator_has_credits_to_play():
    from django.core.management import call_command

    call_command("demo_creator")
    call_command("demo_creator")
    demo = User.objects.get(email="demo@studio.local")
    assert demo.plan.slug == "creator"
    assert credits.balance_of(demo) == 1000


# What a locked choice needs, and pictures in the plan's "at once"


def test_the_plan_that_unlocks_a_choice_is_the_first_that_makes_it(db):
    offer = Offer(None)
    assert offer.unlocking(model("wan")).slug == "free"
    assert offer.unlocking(model("kling")).slug == "creator"
    assert offer.unlocking(model("veo")).slug == "pro"
    assert offer.unlocking(model("gpt-image-2")).slug == "creator"
    assert offer.unlocking(model("wan"), duration=9).slug == "creator"
    assert offer.unlocking(model("wan"), duration=12).slug == "pro"
    assert offer.unlocking(model("wan"), size="1080x1920").slug == "creator"
    Plan.objects.exclude(slug="free").delete()
    assert Offer(None).unlocking(model("veo")) is None


def test_pictures_in_progress_count_in_the_plans_at_once_and_are_named(free_creator):
    plans.check_running(free_creator, 1, 0)
    plans.check_running(free_creator, 0, 1)
    with pytest.raises(plans.PlanLimit) as refusal:
        plans.check_running(free_creator, 0, 2)
    assert accounts_words.refusal(refusal.value, free_creator).startswith(
        "You have 2 picture requests in progress, as many as your Free plan"
    )
    with pytest.raises(plans.PlanLimit) as refusal:
        plans.check_running(free_creator, 2)
    assert accounts_words.refusal(refusal.value, free_creator).startswith(
        "You have 2 videos in progress, as many as your Free plan"
    )
