"""Holding many videos at once (a batch, a comparison, a storyboard's shots) goes through one set of
checks in one order (generations.starting.check_group): the plan, the balance, then the budget. So a
creator refused on several counts is told the same thing whichever way they asked."""

from types import SimpleNamespace

import pytest

from accounts import credits, words
from accounts.models import User
from catalog.models import CatalogModel
from generations.models import Generation, Shot, Storyboard
from generations.starting import start_batch, start_comparison
from storyboards import boards
from tests.conftest import with_credits


@pytest.fixture
def short_and_past_budget(db):
    """Two 4-second Wan videos cost more than this creator has, and more than their monthly budget."""
    user = with_credits(User.objects.create_user(username="sol", email="sol@example.com", password="x"), 10)
    user.monthly_budget = 5
    user.save(update_fields=["monthly_budget"])
    assert 2 * CatalogModel.objects.get(slug="wan").price(4, "1280x720") > 10
    return user


def by_batch(user, confirm_budget):
    wan = CatalogModel.objects.get(slug="wan")
    rows = [SimpleNamespace(prompt=f"Shot {i}", model=wan, duration=4, size="1280x720") for i in range(2)]
    start_batch(user, rows, confirm_budget=confirm_budget)


def by_comparison(user, confirm_budget):
    wan = CatalogModel.objects.get(slug="wan")
    start_comparison(
        user, models=[wan], takes=2, prompt="A kite", duration=4, size="1280x720", confirm_budget=confirm_budget
    )


def by_storyboard(user, confirm_budget):
    board = Storyboard.objects.create(user=user, title="Dunes", size="1280x720")
    for i in range(2):
        boards.add_shot(
            board, prompt=f"Shot {i}", model=CatalogModel.objects.get(slug="wan"), duration=4, start=Shot.Start.TEXT
        )
    boards.make(user, board, confirm_budget=confirm_budget)


@pytest.mark.parametrize("confirm_budget", [False, True])
def test_short_of_credits_and_past_the_budget_every_group_says_the_same(short_and_past_budget, queue, confirm_budget):
    user = short_and_past_budget
    said = []
    for start in (by_batch, by_comparison, by_storyboard):
        with pytest.raises(credits.Refused) as refusal:
            start(user, confirm_budget)
        assert isinstance(refusal.value, credits.NotEnoughCredits), start.__name__  # no "yes" gets past it
        said.append(words.refusal(refusal.value, user))
    assert said[0] == said[1] == said[2]
    assert not Generation.objects.filter(user=user).exists()
    assert credits.balance_of(user) == 10


def test_with_enough_credits_every_group_asks_about_the_budget_the_same_way(short_and_past_budget, queue):
    user = short_and_past_budget
    credits.grant(user, 100, description="More credits")
    said = []
    for start in (by_batch, by_comparison, by_storyboard):
        with pytest.raises(credits.OverBudget) as question:
            start(user, False)
        said.append(words.refusal(question.value, user))
    assert said[0] == said[1] == said[2]
    assert not Generation.objects.filter(user=user).exists()
