"""Credits: every change to a creator's balance, written as a ledger entry in the same transaction.

The balance lives on CreditAccount and changes only here, by a conditional UPDATE (`balance >= amount`
when it goes down) next to the CreditEntry that explains it. The row lock that UPDATE takes makes it
right under concurrency on PostgreSQL; SQLite's IMMEDIATE transactions serialise writers. The balance
can never go below zero (a check constraint backs this up), and it is always the sum of the entries.

Exactly once is structural: one entry per (user, kind, reference), by a unique constraint. So a
generation (or an image request) holds its cost once when it is queued, and is then either charged
(its result was stored: the hold is returned and the price spent, together) or released (it failed or
was canceled), never both and never twice, whatever retries, crashes or concurrent calls happen.

The generic API, for anything that costs credits:
    hold(user, amount, reference=..., description=..., model=...)   raises NotEnoughCredits
    charge(user, reference, amount=None)                            None when already settled
    release(user, reference)                                        None when already settled
    purchase(user, amount, reference=...)                           credits paid for, once
    settle(user, reference, succeeded)                              charge or release, at the end
where the caller names what a hold is for ("generation:<id>", "imagerequest:<id>"): the ledger knows
references, not what they stand for.
"""

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from accounts.models import CreditAccount, CreditEntry, Plan, User
from accounts.plans import Refused, plan_for
from catalog.models import CatalogModel

Kind = CreditEntry.Kind

# A creator, or their id: the ledger needs only the id.
type UserOrId = User | int
# An amount of credits as callers give it: "12.5" from a form, 12 from a plan, a Decimal from a price.
type Amount = Decimal | int | str


class NotEnoughCredits(Refused):
    """The balance does not cover it: facts cost and balance."""

    def __init__(self, cost: Decimal, balance: Decimal) -> None:
        super().__init__("credits", cost=cost, balance=balance)


class OverBudget(Refused):
    """Past the creator's own monthly budget (facts cost, spent, budget, what): they may confirm and go ahead."""

    def __init__(self, cost: Decimal, spent: Decimal, budget: Decimal, what: str) -> None:
        super().__init__("budget", cost=cost, spent=spent, budget=budget, what=what)


class _Short(Exception):
    pass


def _uid(user: UserOrId) -> int:
    return user if isinstance(user, int) else user.pk


def _credits(value: Amount) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


# Reading


def balance_of(user: UserOrId) -> Decimal:
    balance = CreditAccount.objects.filter(user_id=_uid(user)).values_list("balance", flat=True).first()
    return balance if balance is not None else Decimal("0.00")


def month_start(day: date | None = None) -> date:
    day = day or timezone.localdate()
    return day.replace(day=1)


def next_month_start(day: date | None = None) -> date:
    first = month_start(day)
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def month_spending(user: UserOrId, day: date | None = None) -> Decimal:
    """What this month's videos cost or hold: spent, plus held for videos in progress, less refunds."""
    since = timezone.make_aware(datetime.combine(month_start(day), time.min))
    kinds = [Kind.HOLD, Kind.RELEASE, Kind.CHARGE, Kind.REFUND]
    total = CreditEntry.objects.filter(user_id=_uid(user), kind__in=kinds, created_at__gte=since).aggregate(
        total=Sum("amount")
    )["total"]
    return -(total or Decimal("0"))


def held_now(user: UserOrId) -> Decimal:
    """Credits set aside for videos still in progress."""
    entries = CreditEntry.objects.filter(user_id=_uid(user), kind__in=[Kind.HOLD, Kind.RELEASE])
    return -(entries.aggregate(total=Sum("amount"))["total"] or Decimal("0"))


def lock_account(user: UserOrId) -> CreditAccount:
    """Takes the creator's account row until the transaction ends, so that their requests queue one
    behind another and what is checked under the lock (running videos, budget) stays true until commit."""
    uid = _uid(user)
    CreditAccount.objects.get_or_create(user_id=uid)
    return CreditAccount.objects.select_for_update().get(user_id=uid)


# Writing: every change is one entry and one conditional UPDATE, in one transaction.


def _change_balance(uid: int, amount: Decimal) -> bool:
    accounts = CreditAccount.objects.filter(user_id=uid)
    if amount < 0:
        accounts = accounts.filter(balance__gte=-amount)
    if accounts.update(balance=F("balance") + amount, updated_at=timezone.now()):
        return True
    if amount < 0:
        return False  # not enough (a creator with no account row has nothing)
    CreditAccount.objects.get_or_create(user_id=uid)
    return CreditAccount.objects.filter(user_id=uid).update(balance=F("balance") + amount) == 1


def _post(uid: int, kind: str, amount: Amount, **fields: Any) -> CreditEntry:
    """Writes one entry and moves the balance by `amount`. Raises _Short when it would go below zero
    and IntegrityError when this kind already exists for the reference (nothing is changed then)."""
    amount = _credits(amount)
    with transaction.atomic():
        if not _change_balance(uid, amount):
            raise _Short
        after = CreditAccount.objects.filter(user_id=uid).values_list("balance", flat=True).get()
        return CreditEntry.objects.create(user_id=uid, kind=kind, amount=amount, balance_after=after, **fields)


def hold(
    user: UserOrId, amount: Amount, *, reference: str, description: str = "", model: CatalogModel | None = None
) -> CreditEntry:
    """Sets `amount` aside for `reference`, or raises NotEnoughCredits. A second hold for the same
    reference changes nothing and returns the first."""
    uid, amount = _uid(user), _credits(amount)
    try:
        return _post(uid, Kind.HOLD, -amount, reference=reference, description=description[:200], model=model)
    except _Short:
        raise NotEnoughCredits(amount, balance_of(uid)) from None
    except IntegrityError:
        return CreditEntry.objects.get(user_id=uid, kind=Kind.HOLD, reference=reference)


def _hold_of(uid: int, reference: str) -> CreditEntry | None:
    return CreditEntry.objects.filter(user_id=uid, kind=Kind.HOLD, reference=reference).first()


def charge(user: UserOrId, reference: str, amount: Amount | None = None) -> CreditEntry | None:
    """Turns the hold for `reference` into spending: the hold is returned and `amount` (the whole hold
    by default, never more) is spent, together. Returns the charge, or None when there was no hold or
    it was already charged or released."""
    uid = _uid(user)
    held = _hold_of(uid, reference)
    if held is None:
        return None
    price = -held.amount if amount is None else min(_credits(amount), -held.amount)
    same = dict(reference=reference, description=held.description, model_id=held.model_id)
    try:
        with transaction.atomic():
            _post(uid, Kind.RELEASE, -held.amount, **same)
            return _post(uid, Kind.CHARGE, -price, **same)
    except IntegrityError:
        return None


def release(user: UserOrId, reference: str) -> CreditEntry | None:
    """Returns the hold for `reference` in full. None when there was none or it was already settled."""
    uid = _uid(user)
    held = _hold_of(uid, reference)
    if held is None:
        return None
    try:
        return _post(
            uid, Kind.RELEASE, -held.amount, reference=reference, description=held.description, model_id=held.model_id
        )
    except IntegrityError:
        return None


def settle(user: UserOrId, reference: str, succeeded: bool) -> CreditEntry | None:
    """What `reference` held for reached its end: charge the hold if it succeeded, else return it."""
    return charge(user, reference) if succeeded else release(user, reference)


def refund(user: UserOrId, reference: str, *, reason: str, by: User | None = None) -> CreditEntry | None:
    """Gives back what was spent on `reference` (an operator's decision), once."""
    uid = _uid(user)
    spent = CreditEntry.objects.filter(user_id=uid, kind=Kind.CHARGE, reference=reference).first()
    if spent is None or spent.amount == 0:
        return None
    try:
        return _post(
            uid,
            Kind.REFUND,
            -spent.amount,
            reference=reference,
            description=spent.description,
            model_id=spent.model_id,
            reason=reason,
            created_by=by,
        )
    except IntegrityError:
        return None


def grant(
    user: UserOrId, amount: Amount, *, reason: str = "", by: User | None = None, description: str = "Credits added"
) -> CreditEntry:
    """Adds credits (an operator's grant, a welcome, a purchase)."""
    amount = _credits(amount)
    if amount <= 0:
        raise ValueError("A grant adds credits: the amount must be more than zero.")
    return _post(_uid(user), Kind.GRANT, amount, reason=reason, created_by=by, description=description)


def purchase(user: UserOrId, amount: Amount, *, reference: str, description: str) -> CreditEntry | None:
    """Adds credits a creator paid for, once per `reference` ("payment:<id>"): None when already added.
    Bought credits are a grant like any other: they never expire."""
    amount = _credits(amount)
    if amount <= 0:
        raise ValueError("A purchase adds credits: the amount must be more than zero.")
    try:
        return _post(_uid(user), Kind.PURCHASE, amount, reference=reference, description=description[:200])
    except IntegrityError:
        return None


def adjust(user: UserOrId, amount: Amount, *, reason: str, by: User | None = None) -> CreditEntry:
    """An operator's correction, up or down, with the reason. Never takes the balance below zero."""
    amount = _credits(amount)
    if not reason.strip():
        raise ValueError("An adjustment needs a reason.")
    try:
        return _post(
            _uid(user),
            Kind.ADJUSTMENT,
            amount,
            reason=reason.strip(),
            created_by=by,
            description="Adjusted by the studio",
        )
    except _Short:
        raise NotEnoughCredits(-amount, balance_of(user)) from None


# Monthly allowances


def allowance_reference(day: date | None = None) -> str:
    return f"allowance:{month_start(day):%Y-%m}"


def grant_allowance(user: User, day: date | None = None) -> CreditEntry | None:
    """This month's allowance of the creator's plan, at most once a month. None when already granted,
    when the plan has none, or when the creator's email address is not verified (accounts.verification)."""
    if not user.email_verified:
        return None
    plan = plan_for(user)
    if plan is None or plan.monthly_credits <= 0:
        return None
    first = month_start(day)
    try:
        return _post(
            _uid(user),
            Kind.ALLOWANCE,
            plan.monthly_credits,
            reference=allowance_reference(first),
            description=f"{plan.name} plan, {first:%B %Y}",
        )
    except IntegrityError:
        return None


def grant_allowances(day: date | None = None) -> int:
    """The scheduled job (daily, so a missed day is caught up): every active, verified creator's
    allowance for this month, once. Returns how many were granted."""
    already = CreditEntry.objects.filter(kind=Kind.ALLOWANCE, reference=allowance_reference(day))
    due = (
        User.objects.filter(is_active=True, email_verified_at__isnull=False)
        .exclude(pk__in=already.values("user_id"))
        .select_related("plan")
    )
    return sum(1 for user in due.iterator() if grant_allowance(user, day))


def welcome(user: User) -> CreditEntry | None:
    """A new creator starts on the default plan with this month's allowance (so the monthly job
    skips them until next month), once their address is verified (accounts.verification)."""
    if user.plan_id is None:
        default = Plan.default()
        if default is not None:
            User.objects.filter(pk=user.pk, plan=None).update(plan=default)
            user.plan = default
    return grant_allowance(user)


def check_budget(user: UserOrId, cost: Decimal, what: str = "video") -> None:
    """Raises OverBudget when this (a "video" or "pictures") would take the month's spending past the
    creator's own budget."""
    budget = User.objects.filter(pk=_uid(user)).values_list("monthly_budget", flat=True).first()
    if budget is None:
        return
    spent = month_spending(user)
    if spent + cost > budget:
        raise OverBudget(cost, spent, budget, what)
