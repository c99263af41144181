"""Starting a comparison (generations.starting.start_comparison): each model at its nearest allowed
length and size, every take held in one transaction, all or nothing."""

import pytest

from accounts import credits
from accounts.models import CreditEntry, Plan
from accounts.offer import offer_for
from catalog.models import CatalogModel
from generations.models import Comparison, Generation
from generations.starting import start_comparison


def models(*slugs):
    return [CatalogModel.objects.get(slug=slug) for slug in slugs]


def test_each_model_gets_its_nearest_allowed_length_and_size(owner):
    veo, wan, kling = models("veo", "wan", "kling")
    offer = offer_for(owner)
    assert offer.nearest(wan, 6, "1280x720") == (6, "1280x720")
    assert offer.nearest(kling, 6, "1280x720") == (5, "1280x720")  # 5 and 10: the nearer
    assert offer.nearest(kling, 8, "720x1280") == (10, "720x1280")
    assert offer.nearest(veo, 12, "1280x720") == (8, "1280x720")
    owner.plan = Plan.objects.get(slug="free")
    assert offer_for(owner).nearest(wan, 12, "1920x1080") == (8, "1280x720")  # Free: 8 s and 720p at most


def test_three_models_are_held_together_and_wait_like_any_other_video(owner, queue):
    before = credits.balance_of(owner)
    comparison, created = start_comparison(
        owner, models=models("veo", "wan", "kling"), prompt="A kite", duration=6, size="1280x720"
    )

    takes = list(comparison.takes.order_by("queue_position"))
    assert created and [(t.model.slug, t.duration) for t in takes] == [("veo", 6), ("wan", 6), ("kling", 5)]
    prices = [t.model.price(t.duration, t.size) for t in takes]
    assert [t.cost for t in takes] == prices
    holds = CreditEntry.objects.filter(user=owner, kind="hold")
    assert sum(-h.amount for h in holds) == sum(prices) == before - credits.balance_of(owner)
    assert [name for name, _ in queue] == ["submit_generation"] * 3


def test_a_comparison_the_balance_cannot_cover_makes_nothing(owner, queue):
    credits.adjust(owner, 30 - credits.balance_of(owner), reason="test")
    with pytest.raises(credits.NotEnoughCredits):
        start_comparison(owner, models=models("veo", "wan", "kling"), prompt="Too dear", duration=8, size="1280x720")
    assert not Comparison.objects.exists() and not Generation.objects.exists()
    assert not CreditEntry.objects.filter(user=owner, kind="hold").exists()


def test_a_model_the_plan_leaves_out_refuses_the_whole_comparison(owner, queue):
    owner.plan = Plan.objects.get(slug="free")
    owner.save()
    with pytest.raises(credits.Refused) as refused:
        start_comparison(owner, models=models("wan", "veo"), prompt="Not on Free", duration=4, size="1280x720")
    assert refused.value.reason == "model" and not Generation.objects.exists()


def test_takes_of_one_model_and_the_same_form_twice(owner, queue):
    token = "6f1c6c43-0d7e-4a4e-9d7e-2a8f1a0e9b11"
    first, created = start_comparison(
        owner, models=models("wan"), takes=3, prompt="Three", duration=4, size="1280x720", client_token=token
    )
    again, created_again = start_comparison(
        owner, models=models("wan"), takes=3, prompt="Three", duration=4, size="1280x720", client_token=token
    )
    assert created and not created_again and again.pk == first.pk and first.takes.count() == 3
