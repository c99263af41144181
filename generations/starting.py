"""Starting: the one way a creator's request becomes a queued row (a video, or a set of pictures):
the checks, the hold, and the task handed to the cluster once the row is committed."""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts import credits, plans
from accounts.offer import offer_for
from catalog import presets
from generations import pictures, queue, taskqueue
from generations.failover import limit_for
from generations.models import Batch, Comparison, Generation, ImageRequest, places_taken, refill


def start_generation(
    user,
    *,
    model,
    prompt,
    duration,
    size,
    style="",
    camera="",
    client_token=None,
    source=None,
    input_picture=None,
    fit=Generation.Fit.CROP,
    full_prompt=None,
    confirm_budget=False,
    failover=None,
):
    """Puts a video in the studio's queue, holding its cost; it starts as soon as one of the creator's
    places and a slot of the studio's valve are free (generations.queue), at once when they are.

    The same form token twice (a double click, a resent form) gives back the first generation.
    Returns (generation, created). Raises credits.Refused (accounts.words says why) and nothing is
    created, when their plan, their balance or their budget (unless `confirm_budget`) does not allow it.
    """
    if client_token:
        existing = Generation.objects.filter(user=user, client_token=client_token).first()
        if existing:
            return existing, False
    try:
        with transaction.atomic():
            # The creator's account row is locked until commit, so their requests go one at a time
            # and the checks below still hold when the hold is written.
            credits.lock_account(user)
            (cost,) = check_group(user, [(model, duration, size)], confirm_budget=confirm_budget)
            gen = waiting_video(
                user,
                position=queue.next_position(user.pk),
                model=model,
                prompt=prompt,
                duration=duration,
                size=size,
                cost=cost,
                style=style,
                camera=camera,
                full_prompt=full_prompt,
                input_picture=input_picture,
                client_token=client_token,
                source=source,
                fit=fit,
                failover=failover,
            )
            _start_what_may(user)
    except IntegrityError:
        return Generation.objects.get(user=user, client_token=client_token), False
    gen.refresh_from_db(fields=["status", "turn", "queued_at", "updated_at"])
    return gen, True


def start_again(user, source, *, model, duration, size, client_token=None, confirm_budget=False):
    """`source` made again (tried again after it failed, or a draft made final): its prompt as it was
    sent (its style, camera or a wizard's motions), its picture and fit, on the model, length and size
    chosen. What start_generation returns and raises."""
    return start_generation(
        user,
        model=model,
        prompt=source.prompt,
        duration=duration,
        size=size,
        style=source.style,
        camera=source.camera,
        full_prompt=source.full_prompt or None,
        input_picture=source.input_picture,
        fit=source.fit,
        source=source,
        client_token=client_token,
        confirm_budget=confirm_budget,
    )


def start_batch(user, rows, *, name="", spending_cap=None, client_token=None, confirm_budget=False):
    """Puts many videos in the studio's queue at once (batches.reading reads them): one Batch and a
    waiting row for each, each holding its own cost (the ledger settles per video, by reference), all
    written in one transaction, so either every video is queued and held or none is.

    `rows` have prompt, model, duration, size (and style, camera). The same form token twice (a double
    click on Confirm) gives back the first batch. Returns (batch, created). Raises credits.Refused
    (check_group: a PlanLimit, NotEnoughCredits for the whole total, OverBudget unless `confirm_budget`)
    and nothing is created."""
    rows = list(rows)
    if not rows:
        raise ValueError("A batch needs at least one video.")
    if client_token and (existing := _batch_of(user, client_token)):
        return existing, False
    try:
        with transaction.atomic():
            credits.lock_account(user)  # held until commit: the checks below stay true until the holds
            if client_token and (existing := _batch_of(user, client_token)):
                return existing, False
            costs = check_group(
                user, [(row.model, row.duration, row.size) for row in rows], confirm_budget=confirm_budget
            )
            for row in rows:
                if not (row.model.enabled and row.model.text_to_video and row.model.allows(row.duration, row.size)):
                    raise ValueError(f"{row.model.slug} does not make {row.duration} s at {row.size}.")
            batch = Batch.objects.create(user=user, name=name[:80], spending_cap=spending_cap)
            first, now = queue.next_position(user.pk), timezone.now()
            for i, (row, cost) in enumerate(zip(rows, costs, strict=True)):
                # Its hold raises NotEnoughCredits should the balance have moved: everything is rolled back.
                waiting_video(
                    user,
                    position=first + i * queue.POSITION_STEP,
                    model=row.model,
                    prompt=row.prompt,
                    duration=row.duration,
                    size=row.size,
                    cost=cost,
                    style=getattr(row, "style", ""),
                    camera=getattr(row, "camera", ""),
                    created_at=now + timedelta(microseconds=i),  # the batch's own order, whatever the queue's
                    batch=batch,
                    client_token=client_token if i == 0 else None,  # the batch's form token, on its first video
                )
            _start_what_may(user)
    except IntegrityError:
        existing = _batch_of(user, client_token) if client_token else None
        if existing is None:
            raise
        return existing, False
    return batch, True


MAX_TAKES = 4  # of one model, in one comparison
MAX_COMPARED = 6  # takes in one comparison, every model together


def plan_takes(user, models, *, duration, size, takes=1):
    """What a comparison would make: [(model, duration, size, cost)], each model's allowed length and
    size nearest the ones asked for, `takes` of each. Raises PlanLimit for a model the plan leaves out."""
    offer = offer_for(user)
    planned = []
    for model in models:
        offer.check(model)
        near_duration, near_size = offer.nearest(model, duration, size)
        if near_duration is None:
            raise plans.PlanLimit("model", plan=offer.plan.name if offer.plan else "", model=model.name, included=[])
        planned += [(model, near_duration, near_size, model.price(near_duration, near_size))] * takes
    return planned


def start_comparison(
    user,
    *,
    models,
    prompt,
    duration,
    size,
    takes=1,
    style="",
    camera="",
    input_picture=None,
    fit=Generation.Fit.CROP,
    full_prompt=None,
    client_token=None,
    confirm_budget=False,
):
    """The same idea on several models (and/or several takes of one): a Comparison and a waiting video
    per take, each model at its allowed length and size nearest the ones asked for, every take's cost
    held in one transaction (the ledger settles per video, so a failed take returns only its share):
    all or nothing. Returns (comparison, created); the same form token twice gives back the first.
    Raises credits.Refused (check_group: the plan, the balance, the budget unless `confirm_budget`)."""
    if not 1 <= takes <= MAX_TAKES:
        raise ValueError(f"1 to {MAX_TAKES} takes of a model")
    if client_token and (existing := Comparison.objects.filter(user=user, client_token=client_token).first()):
        return existing, False
    try:
        with transaction.atomic():
            credits.lock_account(user)
            planned = plan_takes(user, models, duration=duration, size=size, takes=takes)
            if not 2 <= len(planned) <= MAX_COMPARED:
                raise ValueError(f"A comparison has 2 to {MAX_COMPARED} takes")
            check_group(user, [(model, d, s) for model, d, s, _ in planned], confirm_budget=confirm_budget)
            comparison = Comparison.objects.create(user=user, prompt=prompt, client_token=client_token)
            position = queue.next_position(user.pk)
            for i, (model, take_duration, take_size, cost) in enumerate(planned):
                waiting_video(
                    user,
                    position=position + i * queue.POSITION_STEP,
                    model=model,
                    prompt=prompt,
                    duration=take_duration,
                    size=take_size,
                    cost=cost,
                    style=style,
                    camera=camera,
                    full_prompt=full_prompt,
                    input_picture=input_picture,
                    fit=fit,
                    comparison=comparison,
                )
            _start_what_may(user)
    except IntegrityError:
        return Comparison.objects.get(user=user, client_token=client_token), False
    return comparison, True


def check_group(user, videos, *, confirm_budget=False):
    """The checks before videos are held, one or many at once (a video, a batch, a comparison, a
    storyboard's shots): the plan for each video, then check_spending for the total. `videos` are
    (model, duration, size). Returns each video's cost. Raises credits.Refused (PlanLimit,
    NotEnoughCredits, OverBudget). Call it with the creator's account locked, in the transaction that
    writes the holds."""
    offer = offer_for(user)
    costs = []
    for model, duration, size in videos:
        offer.check(model, duration, size)
        costs.append(model.price(duration, size))
    check_spending(user, sum(costs), confirm_budget=confirm_budget)
    return costs


def check_spending(user, total, *, confirm_budget=False, what="video"):
    """The balance, then the monthly budget (unless `confirm_budget`), always in this order, so a creator
    short of credits and past their budget is told the same thing everywhere: first that they have too
    few credits (no "yes" gets past that), and only once they have enough, asked about their budget."""
    balance = credits.balance_of(user)
    if balance < total:
        raise credits.NotEnoughCredits(total, balance)
    if not confirm_budget:
        credits.check_budget(user, total, what=what)


def waiting_video(
    user,
    *,
    position,
    model,
    prompt,
    duration,
    size,
    cost,
    style="",
    camera="",
    full_prompt=None,
    input_picture=None,
    failover=None,
    **fields,
):
    """One video into the studio's queue with its cost held: the row every way of starting a video writes,
    inside the caller's transaction (the creator's account locked, the checks made). `failover`: whether it
    may move to another model when its own is unavailable (None: as the creator's settings say)."""
    gen = Generation.objects.create(
        failover_limit=limit_for(user, cost, failover),
        status=Generation.Status.WAITING,
        queue_position=position,
        user=user,
        model=model,
        prompt=prompt,
        style=style,
        camera=camera,
        full_prompt=full_prompt or presets.full_prompt(prompt, style, camera),
        duration=duration,
        size=size,
        cost=cost,
        input_picture=input_picture,
        start=Generation.Start.IMAGE if input_picture else Generation.Start.TEXT,
        **fields,
    )
    credits.hold(user, cost, reference=gen.ledger_reference, description=prompt, model=model)
    return gen


def _start_what_may(user):
    """The creator's new videos get turns for their free places, and free slots start them now, in this transaction."""
    refill(user.pk)
    queue.dispatch()


def _batch_of(user, client_token):
    gen = Generation.objects.filter(user=user, client_token=client_token, batch__isnull=False).first()
    return gen.batch if gen else None


def request_pictures(user, *, model, prompt, n=3, size="1024x1024", client_token=None, confirm_budget=False):
    """Queues an image request, holding its cost; the same form token twice gives back the first one.

    By the same rules as a video (start_generation): raises credits.Refused (accounts.words says
    why) and nothing is created, when their plan, what they have in progress, their budget (unless
    `confirm_budget`), the day's picture requests, the pictures they keep or their balance do not allow it."""
    if client_token:
        existing = ImageRequest.objects.filter(user=user, client_token=client_token).first()
        if existing:
            return existing
    try:
        with transaction.atomic():
            credits.lock_account(user)  # held until commit: the checks below stay true until the hold
            offer_for(user).check(model)
            plans.check_running(user, *places_taken(user.pk))
            check_requests_today(user)
            pictures.check_room(user, adding=n)
            cost = model.image_price(n)
            check_spending(user, cost, confirm_budget=confirm_budget, what="pictures")
            req = ImageRequest.objects.create(
                user=user,
                model=model,
                prompt=prompt,
                n=n,
                size=size,
                cost=cost,
                client_token=client_token,
            )
            credits.hold(user, cost, reference=req.ledger_reference, description=prompt, model=model)
            refill(user.pk)  # the place it takes is no longer a waiting video's turn
            taskqueue.enqueue(taskqueue.MAKE_PICTURES, str(req.pk))
    except IntegrityError:
        return ImageRequest.objects.get(user=user, client_token=client_token)
    return req


def check_requests_today(user):
    """Raises credits.Refused when the creator has asked for as many sets of pictures in the last day as
    the studio makes for one account (PICTURE_REQUESTS_PER_DAY)."""
    limit = settings.PICTURE_REQUESTS_PER_DAY
    since = timezone.now() - timedelta(days=1)
    if ImageRequest.objects.filter(user=user, created_at__gte=since).count() >= limit:
        raise credits.Refused("picture_requests_today", limit=limit)
