"""The credit ledger: holds, charges, releases and refunds, exactly once each, the balance always the
sum of the entries and never below zero, under real concurrency on SQLite and on PostgreSQL."""

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from accounts import credits, words
from accounts.models import CreditAccount, CreditEntry, Plan, User
from catalog.models import CatalogModel
from generations.models import Generation
from generations.starting import start_generation


def ledger_sum(user):
    return CreditEntry.objects.filter(user=user).aggregate(total=Sum("amount"))["total"] or Decimal("0")


def kinds(user, reference):
    return sorted(CreditEntry.objects.filter(user=user, reference=reference).values_list("kind", flat=True))


@pytest.fixture
def creator(db):
    user = User.objects.create_user(username="cleo", email="cleo@example.com", password="x", display_name="Cleo")
    user.plan = Plan.objects.create(slug="roomy", name="Roomy", max_running=None)
    user.save()
    return user


def test_a_hold_then_a_charge_spends_the_price_once(creator):
    credits.grant(creator, 50, reason="Welcome")
    credits.hold(creator, 12, reference="generation:a", description="A fox in the snow")
    assert credits.balance_of(creator) == 38

    spent = credits.charge(creator, "generation:a")

    assert spent.amount == -12 and spent.description == "A fox in the snow"
    assert credits.balance_of(creator) == 38
    assert kinds(creator, "generation:a") == ["charge", "hold", "release"]
    assert credits.charge(creator, "generation:a") is None  # a retried completion charges nothing more
    assert credits.release(creator, "generation:a") is None  # and a late failure returns nothing
    assert credits.balance_of(creator) == 38 == ledger_sum(creator)


def test_a_released_hold_costs_nothing_and_cannot_be_charged_after(creator):
    credits.grant(creator, 20)
    credits.hold(creator, 8, reference="generation:b")
    assert credits.release(creator, "generation:b").amount == 8
    assert credits.release(creator, "generation:b") is None
    assert credits.charge(creator, "generation:b") is None
    assert credits.balance_of(creator) == 20 == ledger_sum(creator)


def test_holding_the_same_thing_twice_holds_once(creator):
    credits.grant(creator, 20)
    first = credits.hold(creator, 8, reference="generation:c")
    again = credits.hold(creator, 8, reference="generation:c")
    assert first.pk == again.pk
    assert credits.balance_of(creator) == 12


def test_a_hold_past_the_balance_is_refused_in_plain_words_and_changes_nothing(creator):
    credits.grant(creator, 5)
    with pytest.raises(credits.NotEnoughCredits) as refusal:
        credits.hold(creator, 12, reference="generation:d")
    said = words.refusal(refusal.value, creator)
    assert "This video costs 12 credits and you have 5 credits." in said
    assert "Pick a shorter length or a cheaper model" in said
    assert credits.balance_of(creator) == 5
    assert not CreditEntry.objects.filter(kind=CreditEntry.Kind.HOLD).exists()


def test_an_image_request_can_hold_less_than_it_charges_back(creator):
    """The generic API: hold for 4 pictures, charge for the 3 that came back."""
    credits.grant(creator, 20)
    model = CatalogModel.objects.get(slug="gpt-image-2")
    credits.hold(creator, model.image_price(4), reference="imagerequest:e", model=model)
    assert credits.balance_of(creator) == 4

    credits.charge(creator, "imagerequest:e", amount=model.image_price(3))

    assert credits.balance_of(creator) == 8 == ledger_sum(creator)
    assert credits.charge(creator, "imagerequest:e", amount=1) is None


def test_an_operator_adjustment_never_takes_the_balance_below_zero(creator, operator):
    credits.grant(creator, 10)
    with pytest.raises(credits.NotEnoughCredits):
        credits.adjust(creator, -11, reason="Chargeback", by=operator)
    entry = credits.adjust(creator, -10, reason="Chargeback", by=operator)
    assert entry.reason == "Chargeback" and entry.created_by == operator
    assert credits.balance_of(creator) == 0
    with pytest.raises(ValueError):
        credits.adjust(creator, 5, reason="  ")


def test_the_database_itself_refuses_a_negative_balance(creator):
    CreditAccount.objects.create(user=creator, balance=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        CreditAccount.objects.filter(user=creator).update(balance=-1)


def test_a_refund_gives_back_what_was_spent_once(creator, operator):
    credits.grant(creator, 30)
    credits.hold(creator, 10, reference="generation:f")
    credits.charge(creator, "generation:f")
    assert credits.refund(creator, "generation:f", reason="Blurry result", by=operator).amount == 10
    assert credits.refund(creator, "generation:f", reason="Again", by=operator) is None
    assert credits.balance_of(creator) == 30 == ledger_sum(creator)


# Generations: the hold is taken when queued, settled when the video is stored or fails.


def test_a_queued_generation_holds_its_price(creator, monkeypatch):
    monkeypatch.setattr("generations.taskqueue.enqueue", lambda *a: None)
    credits.grant(creator, 100)
    veo = CatalogModel.objects.get(slug="veo")
    gen, _ = start_generation(creator, model=veo, prompt="A whale breaching", duration=5, size="1920x1080")
    assert gen.cost == veo.price(5, "1920x1080") == 12
    hold = CreditEntry.objects.get(kind=CreditEntry.Kind.HOLD)
    assert (hold.amount, hold.reference, hold.model, hold.description) == (
        -12,
        f"generation:{gen.pk}",
        veo,
        "A whale breaching",
    )
    assert credits.balance_of(creator) == 88


def test_marking_failed_twice_returns_the_hold_once(creator, monkeypatch):
    monkeypatch.setattr("generations.taskqueue.enqueue", lambda *a: None)
    credits.grant(creator, 10)
    gen, _ = start_generation(
        creator, model=CatalogModel.objects.get(slug="wan"), prompt="Rain", duration=2, size="1280x720"
    )
    assert gen.mark_failed("operator", "Stopped")
    assert not Generation.objects.get(pk=gen.pk).mark_failed("operator", "Stopped again")
    assert credits.balance_of(creator) == 10
    assert kinds(creator, f"generation:{gen.pk}") == ["hold", "release"]


def test_a_generation_from_before_credits_settles_quietly(creator):
    gen = Generation.objects.create(
        user=creator,
        model=CatalogModel.objects.get(slug="wan"),
        prompt="Old",
        full_prompt="Old",
        duration=2,
        size="1280x720",
        status=Generation.Status.RUNNING,
    )
    assert gen.mark_failed("lost", "Lost")
    assert not CreditEntry.objects.exists()


# Concurrency: the acceptance test of the issue.


def _submit_concurrently(user, count, prompt):
    """`count` submissions at once, each in its own thread with its own database connection."""
    wan = CatalogModel.objects.get(slug="wan")
    barrier = threading.Barrier(count)

    def submit(i):
        barrier.wait()
        try:
            start_generation(user, model=wan, prompt=f"{prompt} {i}", duration=2, size="1280x720")
            return "accepted"
        except credits.Refused as refusal:
            return words.refusal(refusal, user)
        finally:
            connection.close()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(submit, range(count)))


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_submissions_with_credits_for_ten_accept_exactly_ten(monkeypatch):
    monkeypatch.setattr("generations.taskqueue.enqueue", lambda *a: None)
    user = User.objects.create_user(username="rush", email="rush@example.com", password="x")
    user.plan = Plan.objects.create(slug="no-limits", name="No limits", max_running=None)
    user.save()
    credits.grant(user, 40)  # a 2-second Wan video costs 4: room for exactly ten

    answers = _submit_concurrently(user, 50, "Fireworks over a harbour, take")
    close_old_connections()

    assert answers.count("accepted") == 10
    assert all("you have no credits left" in a for a in answers if a != "accepted")
    assert Generation.objects.filter(user=user).count() == 10
    assert CreditEntry.objects.filter(user=user, kind=CreditEntry.Kind.HOLD).count() == 10
    assert credits.balance_of(user) == 0 == ledger_sum(user)


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_never_start_more_than_the_plans_places(monkeypatch):
    monkeypatch.setattr("generations.taskqueue.enqueue", lambda *a: None)
    user = User.objects.create_user(username="busy", email="busy@example.com", password="x")
    user.plan = Plan.objects.create(slug="three", name="Three", max_running=3)
    user.save()
    credits.grant(user, 1000)

    answers = _submit_concurrently(user, 20, "Bees in lavender, take")
    close_old_connections()

    assert answers.count("accepted") == 20  # beyond the plan's places they wait, held
    videos = Generation.objects.filter(user=user)
    assert videos.filter(status__in=Generation.SLOT_HOLDERS).count() == 3
    assert videos.filter(status=Generation.Status.WAITING).count() == 17
    assert credits.balance_of(user) == 1000 - 20 * 4 == ledger_sum(user)


# The ledger and the balance agree, whatever happens in whatever order.

OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["grant", "hold", "charge", "charge_part", "release", "refund", "adjust"]),
        st.integers(min_value=0, max_value=5),  # which reference
        st.integers(min_value=-30, max_value=60),  # an amount
    ),
    max_size=40,
)


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS)
def test_the_balance_is_the_sum_of_the_ledger_after_any_sequence(db, operations):
    n = User.objects.count()
    user = User.objects.create_user(username=f"h{n}", email=f"h{n}@example.com", password="x")
    for name, ref, amount in operations:
        reference = f"generation:{ref}"
        try:
            if name == "grant" and amount > 0:
                credits.grant(user, amount)
            elif name == "hold":
                credits.hold(user, abs(amount), reference=reference)
            elif name == "charge":
                credits.charge(user, reference)
            elif name == "charge_part":
                credits.charge(user, reference, amount=abs(amount))
            elif name == "release":
                credits.release(user, reference)
            elif name == "refund":
                credits.refund(user, reference, reason="Test")
            elif name == "adjust" and amount != 0:
                credits.adjust(user, amount, reason="Test")
        except credits.NotEnoughCredits:
            pass

        balance = credits.balance_of(user)
        assert balance >= 0
        assert balance == ledger_sum(user)
        last = CreditEntry.objects.filter(user=user).order_by("-id").first()
        assert last is None or last.balance_after == balance

    for ref in range(6):
        found = kinds(user, f"generation:{ref}")
        assert all(found.count(kind) <= 1 for kind in set(found))
        assert "charge" not in found or "release" in found  # spending only ever comes out of a hold
