"""The words creators read about credits and plans, for the pages (views, forms, templates, the API).

The ledger and the plans raise errors that carry a reason and numbers (accounts.plans.Refused); this
module says them in plain words. Nothing below the pages imports it."""

from collections.abc import Callable
from decimal import Decimal

from accounts import credits
from accounts.plans import plan_for, plans_in_order


def amount(value):
    """12 credits, 1 credit, 2.5 credits."""
    value = Decimal(value).normalize()
    if value == value.to_integral():
        value = value.quantize(Decimal("1"))
    return f"{value:,} credit{'' if value == 1 else 's'}"


def listed(names):
    """ "Wan", "Wan and Kling", "Veo, Wan and Kling"."""
    names = list(names)
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)


def refusal(error, user):
    """Why the studio will not start something, in the creator's words."""
    facts = error.facts
    say = _REFUSALS.get(error.reason)
    return say(user, **facts) if say else "The studio cannot make that right now."


def _not_in_plan(user, plan, model, included):
    if not included:
        return f"{model} is not part of your {plan} plan. Ask the studio team about a plan with more models."
    pick = f"Pick {included[0]}" if len(included) == 1 else "Pick one of those"
    return (
        f"{model} is not part of your {plan} plan, which includes {listed(included)}. "
        f"{pick}, or ask the studio team about a plan with more models."
    )


def _too_many_at_once(user, plan, running, pictures):
    counts = [(running, "video"), (pictures, "picture request")]
    many = [f"{n} {word}{'' if n == 1 else 's'}" for n, word in counts if n]
    return (
        f"You have {listed(many)} in progress, as many as your {plan} plan makes at once. "
        "Wait for one to finish, then try again."
    )


def over_budget(facts, subject=None):
    """The one sentence for going past the creator's own monthly budget (an OverBudget's facts). `subject`
    is what would go past it ("This batch", "These 3 takes"); by default the video or the pictures."""
    subject = subject or ("These pictures" if facts.get("what") == "pictures" else "This video")
    cost, spent = facts["cost"], facts["spent"]
    return (
        f"{subject} ({amount(cost)}) would take this month's spending to {amount(spent + cost)}, "
        f"past your monthly budget of {amount(facts['budget'])}."
    )


def _over_budget(user, **facts):
    return over_budget(facts) + " Generate it anyway, or change your budget on your usage page."


def _picture_requests_today(user, limit):
    return (
        f"You have asked for {limit} sets of pictures in the last day, as many as the studio makes for "
        "one account. Try again tomorrow, or pick one of the pictures you have."
    )


_REFUSALS: dict[str, Callable[..., str]] = {
    "model": _not_in_plan,
    "duration": lambda user, plan, max_duration: (
        f"Your {plan} plan makes videos of up to {max_duration} seconds. Pick a shorter length."
    ),
    "hd": lambda user, plan: f"Your {plan} plan makes 720p videos. Pick a 720p shape.",
    "running": _too_many_at_once,
    "credits": lambda user, cost, balance: short(user, cost, balance),
    "budget": _over_budget,
    "picture_requests_today": _picture_requests_today,
}


def below_zero(user, error):
    """For an operator whose adjustment would take a balance below zero."""
    facts = error.facts
    return f"{user} has {amount(facts['balance'])}; taking away {amount(facts['cost'])} would go below zero."


# Credits


def cost_line(user, cost, what="video"):
    """What the create form says beside the price, before the click: the balance and what is left
    after it, or plainly that it is not enough and what to do (`ask_for_credits`: the form offers the
    way to ask beside its disabled button); and whether it would go past the creator's monthly budget."""
    balance = credits.balance_of(user)
    after = None if cost is None else balance - cost
    not_enough = short(user, cost, balance) if after is not None and after < 0 else ""
    return {
        "balance": balance,
        "balance_after": after,
        "not_enough": not_enough,
        "ask_for_credits": bool(not_enough) and getattr(user, "email_verified", True),
        "budget_warning": budget_warning(user, cost, what) if after is not None and not not_enough else "",
    }


def budget_warning(user, cost, what="video", subject=None, then="The studio will ask before it starts."):
    """Before the click: that this would take the month past the creator's own budget (over_budget), and
    `then`, what happens if they go on. Empty when it would not (or there is no budget)."""
    if getattr(user, "monthly_budget", None) is None:
        return ""
    try:
        credits.check_budget(user, cost, what)
    except credits.OverBudget as past:
        return f"{over_budget(past.facts, subject)} {then}"
    return ""


def short(user, cost, balance=None):
    """When credits run out: plainly, and what to do."""
    balance = credits.balance_of(user) if balance is None else balance
    if balance > 0:
        return (
            f"This video costs {amount(cost)} and you have {amount(balance)}. "
            f"Pick a shorter length or a cheaper model. {what_to_do(user)}"
        )
    return f"This video costs {amount(cost)} and you have no credits left. {what_to_do(user)}"


def out_of_credits(user):
    return f"You have run out of credits. {what_to_do(user)}"


def what_to_do(user):
    """The way out when credits are short."""
    if not getattr(user, "email_verified", True):
        return "Verify your email address to get credits: follow the link we sent you, or ask for a new one."
    plan = plan_for(user)
    if plan is not None and plan.monthly_credits > 0:
        return (
            f"Your {plan.name} plan adds {amount(plan.monthly_credits)} on {credits.next_month_start():%-d %B}. "
            "For more credits sooner, ask the studio team."
        )
    return "For more credits, ask the studio team."


# Plans


def plan_note(offer, offered):
    """One line for the create form when the plan leaves something out, e.g. "Your Free plan makes Wan
    videos up to 8 seconds at 720p; Veo and Kling come with other plans." Empty when it leaves out nothing."""
    plan = offer.plan
    if plan is None:
        return ""
    offered = list(offered)
    left_out = [m for m in offer.video_models(every=True) if m not in offered]
    limits = []
    if plan.max_duration is not None:
        limits.append(f"up to {plan.max_duration} seconds")
    if not plan.allow_hd:
        limits.append("at 720p")
    if not limits and not left_out:
        return ""
    text = f"Your {plan.name} plan makes {listed(m.name for m in offered)} videos"
    text += f" {' '.join(limits)}" if limits else ""
    if left_out:
        text += f"; {listed(m.name for m in left_out)} {'comes' if len(left_out) == 1 else 'come'} with other plans"
    unlocks = _unlocks(offer, left_out)
    return text + (f": {'; '.join(unlocks)}." if unlocks else ".")


def _unlocks(offer, left_out):
    """What each plan the creator is not on adds to theirs, the first plan that has it: ["Kling, up to 10
    seconds and 1080p with the Creator plan", "Veo and any length with the Pro plan"]."""
    plan, unlocks = offer.plan, []
    longest, hd = plan.max_duration, plan.allow_hd
    for other in plans_in_order():
        if other.pk == plan.pk:
            continue
        adds = [m.name for m in left_out if offer.unlocking(m) == other]
        if longest is not None and (other.max_duration is None or other.max_duration > longest):
            adds.append("any length" if other.max_duration is None else f"up to {other.max_duration} seconds")
            longest = other.max_duration
        if other.allow_hd and not hd:
            adds.append("1080p")
            hd = True
        if adds:
            unlocks.append(f"{listed(adds)} with the {other.name} plan")
    return unlocks


def describe(plan):
    """What a plan gives, in a few words: ["100 credits each month", "Wan and Nano Banana", ...]."""
    if plan is None:
        return []
    models = listed(m.name for m in plan.allowed_models.all()) or "Every model"
    parts = [f"{amount(plan.monthly_credits)} each month" if plan.monthly_credits else "No monthly credits", models]
    parts.append(f"Videos up to {plan.max_duration} seconds" if plan.max_duration else "Any length")
    parts.append("Up to 1080p" if plan.allow_hd else "720p")
    if plan.max_running:
        parts.append("1 video at a time" if plan.max_running == 1 else f"{plan.max_running} videos at once")
    else:
        parts.append("As many videos at once as you like")
    return parts


def locked_by(plan):
    """What a locked choice says: the plan that has it ("Creator plan"), or that none does."""
    return f"{plan.name} plan" if plan else "Not offered"
