"""Picture requests (image models) by the same rules as videos: the plan's models, its "at once", the
creator's budget, and what one account may ask for in a day or keep."""

import pytest

from accounts import credits, plans, words
from accounts.models import CreditEntry, User
from catalog.models import CatalogModel
from generations.models import Generation, ImageRequest, Picture
from generations.starting import request_pictures, start_generation
from tests.conftest import with_credits
from tests.generations.videos import make_generation


@pytest.fixture
def fern(db):
    """A creator on the Free plan: Wan and Nano Banana, two things in progress at once."""
    user = User.objects.create_user(username="fern", email="fern@example.com", password="x")
    return with_credits(user, 100, plan="free")


def model(slug):
    return CatalogModel.objects.get(slug=slug)


def ask(user, slug="gemini-2.5-flash-image", **extra):
    return request_pictures(user, model=model(slug), prompt="A red kite", n=3, size="1024x1024", **extra)


def nothing_taken(user, before=100):
    assert credits.balance_of(user) == before
    assert not CreditEntry.objects.filter(
        user=user, kind=CreditEntry.Kind.HOLD, reference__startswith="imagerequest"
    ).exists()


def test_an_image_model_outside_the_plan_is_refused_and_nothing_is_taken(fern, queue):
    with pytest.raises(plans.PlanLimit) as refusal:
        ask(fern, "gpt-image-2")
    assert words.refusal(refusal.value, fern) == (
        "GPT Image is not part of your Free plan, which includes Nano Banana. Pick Nano Banana, or ask the studio "
        "team about a plan with more models."
    )
    assert not ImageRequest.objects.exists() and queue == []
    nothing_taken(fern)
    assert ask(fern).cost == 6  # the plan's own image model is made


def test_picture_requests_take_the_plans_places_at_once_like_videos(fern, queue):
    make_generation(fern, status=Generation.Status.RUNNING)
    ask(fern)
    with pytest.raises(plans.PlanLimit) as refusal:
        ask(fern)
    assert words.refusal(refusal.value, fern) == (
        "You have 1 video and 1 picture request in progress, as many as your Free plan makes at once. "
        "Wait for one to finish, then try again."
    )
    # A video asked for now waits its turn behind the pictures (videos queue; pictures do not).
    video, _ = start_generation(fern, model=model("wan"), prompt="A kite", duration=4, size="1280x720")
    assert video.status == Generation.Status.WAITING and video.turn is None
    assert ImageRequest.objects.count() == 1
    ImageRequest.objects.get().mark_failed("lost", "Lost")  # one ends: its place goes to the waiting video
    video.refresh_from_db()
    assert video.turn is not None


def test_picture_requests_past_the_monthly_budget_need_a_yes(fern, queue):
    fern.monthly_budget = 5
    fern.save(update_fields=["monthly_budget"])
    with pytest.raises(credits.OverBudget) as refusal:
        ask(fern)
    assert words.refusal(refusal.value, fern).startswith(
        "These pictures (6 credits) would take this month's spending to 6 credits, past your monthly budget of 5 credits."
    )
    nothing_taken(fern)
    assert ask(fern, confirm_budget=True).cost == 6
    assert credits.balance_of(fern) == 94


def test_picture_requests_a_day_are_limited_with_words(owner, settings, queue):
    settings.PICTURE_REQUESTS_PER_DAY = 2
    ask(owner).mark_failed("lost", "Lost")
    ask(owner)
    with pytest.raises(credits.Refused) as refusal:
        ask(owner)
    assert words.refusal(refusal.value, owner) == (
        "You have asked for 2 sets of pictures in the last day, as many as the studio makes for one account. "
        "Try again tomorrow, or pick one of the pictures you have."
    )
    assert ImageRequest.objects.count() == 2


def test_pictures_that_would_not_fit_in_the_account_are_not_asked_for(owner, settings, queue):
    from PIL import Image

    from generations import pictures

    settings.PICTURES_PER_ACCOUNT = 4
    pictures.keep(owner, Image.new("RGB", (100, 100)), Picture.UPLOAD)
    pictures.keep(owner, Image.new("RGB", (100, 100)), Picture.UPLOAD)
    before = credits.balance_of(owner)
    with pytest.raises(pictures.PictureRefused, match="You keep 2 pictures, and the studio holds up to 4"):
        ask(owner)  # three more would be five
    assert not ImageRequest.objects.exists() and credits.balance_of(owner) == before
