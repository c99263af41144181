"""Storyboards: making their shots and asking for their export.

Making shots works as a comparison does: every shot's cost held in one transaction, all or nothing,
each take a waiting video of its own that settles its own share. A shot that continues the one before
waits for that one's take (Generation.after) and starts from its frame once it is stored
(storyboards.continuing); the others go into the creator's line at once.
"""

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts import credits
from accounts.offer import offer_for
from generations import queue, starting, taskqueue
from generations.models import Generation, Shot, Storyboard, StoryboardExport, refill

MAX_SHOTS = 20
MAX_TRIM = 30.0


class ShotRefused(Exception):
    """A shot cannot be made as it stands; the message says why, in plain words."""


def takes_of(board):
    """{shot id: its takes, newest first}."""
    found = {}
    takes = Generation.objects.filter(shot__storyboard=board).select_related("model").order_by("-created_at")
    for take in takes:
        found.setdefault(take.shot_id, []).append(take)
    return found


def current_take(shot, takes):
    """The take that stands for the shot: its chosen one, else the one being made, else None."""
    own = takes.get(shot.pk, [])
    chosen = next((t for t in own if t.pk == shot.chosen_id and t.is_completed), None)
    return chosen or next((t for t in own if t.is_active), None) or next((t for t in own if t.is_completed), None)


def needs_making(shot, takes):
    return current_take(shot, takes) is None


def check_shot(user, board, shot, first):
    """Raises ShotRefused (or the plan's PlanLimit) when the shot cannot be made as it stands."""
    model = shot.model
    offer_for(user).check(model, shot.duration, board.size)
    if not model.enabled:
        raise ShotRefused(f"{model.name} is not available right now. Pick another model for this shot.")
    if not model.allows(shot.duration, board.size):
        lengths = ", ".join(str(d) for d in model.durations)
        raise ShotRefused(f"{model.name} makes {lengths} seconds at this shape. Pick one of those lengths.")
    if shot.start == Shot.Start.CONTINUE and first:
        raise ShotRefused("The first shot has nothing before it to continue. Start it from a prompt or a picture.")
    if shot.start == Shot.Start.PICTURE and shot.picture_id is None:
        raise ShotRefused("Choose the picture this shot starts from.")
    if shot.start != Shot.Start.TEXT and not model.image_to_video:
        raise ShotRefused(f"{model.name} cannot start from a picture. Pick another model for this shot.")
    if not model.text_to_video and shot.start == Shot.Start.TEXT:
        raise ShotRefused(f"{model.name} needs a picture to start from.")


def to_make(board, only=None):
    """The shots "Make" would make, in order: those with no take standing for them (or just `only`)."""
    shots = list(board.shots.select_related("model", "picture"))
    takes = takes_of(board)
    if only is not None:
        return shots, takes, [s for s in shots if s.pk == only.pk]
    return shots, takes, [s for s in shots if needs_making(s, takes)]


def cost_of(board, shots):
    return sum((shot.model.price(shot.duration, board.size) for shot in shots), start=0)


def make(user, board, *, only=None, confirm_budget=False):
    """Makes the board's shots that are not made yet (or one more take of `only`): the total held in one
    transaction, all or nothing. Returns the new takes. Raises ShotRefused, credits.Refused."""
    with transaction.atomic():
        credits.lock_account(user)
        board = Storyboard.objects.select_for_update().get(pk=board.pk)
        shots, takes, making = to_make(board, only)
        if only is not None and any(take.is_active for take in takes.get(only.pk, [])):
            raise ShotRefused("A take of this shot is on its way already.")  # decided under the board's lock
        if not making:
            raise ShotRefused("Every shot is made. Re-take one, or export the storyboard.")
        for shot in making:
            check_shot(user, board, shot, first=shot.pk == shots[0].pk)
        starting.check_group(
            user, [(shot.model, shot.duration, board.size) for shot in making], confirm_budget=confirm_budget
        )
        made, previous, stored = [], None, []
        position = queue.next_position(user.pk)
        for shot in shots:
            if shot not in making:
                previous = current_take(shot, takes)
                continue
            after = None
            if shot.start == Shot.Start.CONTINUE:
                if previous is None:
                    raise ShotRefused("Make the shot before this one first: this one continues it.")
                after = previous
                if previous.is_completed:
                    stored.append(previous.pk)
            gen = _take(user, board, shot, position + len(made) * queue.POSITION_STEP, after)
            made.append(gen)
            previous = gen
        Storyboard.objects.filter(pk=board.pk).update(updated_at=timezone.now())
        refill(user.pk)
        queue.dispatch()
        for pk in dict.fromkeys(stored):  # the shot before is stored already: its frame is taken now
            taskqueue.enqueue(taskqueue.CONTINUE_SHOTS, str(pk))
    for gen in made:
        gen.refresh_from_db(fields=["status", "turn", "queued_at", "updated_at"])
    return made


def _take(user, board, shot, position, after):
    """A waiting take of the shot, its cost held (starting.waiting_video); a continuing one gets its picture,
    and so its image start, once the take it waits for is stored."""
    return starting.waiting_video(
        user,
        position=position,
        model=shot.model,
        prompt=shot.prompt,
        duration=shot.duration,
        size=board.size,
        cost=shot.model.price(shot.duration, board.size),
        input_picture=shot.picture if shot.start == Shot.Start.PICTURE else None,
        shot=shot,
        after=after,
    )


def add_shot(board, **fields):
    """A new shot at the end of the board."""
    if board.shots.count() >= MAX_SHOTS:
        raise ShotRefused(f"A storyboard has at most {MAX_SHOTS} shots.")
    last = board.shots.aggregate(m=Max("position"))["m"]
    shot = Shot.objects.create(storyboard=board, position=(last or 0) + 1, **fields)
    _touch(board)
    return shot


def move_shot(board, shot, offset):
    """Moves a shot up (-1) or down (+1) the board; the others keep their order."""
    with transaction.atomic():
        shots = list(board.shots.select_for_update().order_by("position", "pk"))
        index = next(i for i, s in enumerate(shots) if s.pk == shot.pk)
        new = min(max(index + offset, 0), len(shots) - 1)
        shots.insert(new, shots.pop(index))
        _renumber(shots)
    _touch(board)


def put_in_order(board, shot_ids):
    """The board's shots in the order given (a drag); ids not of this board are ignored."""
    with transaction.atomic():
        shots = {str(s.pk): s for s in board.shots.select_for_update()}
        ordered = [shots.pop(i) for i in dict.fromkeys(shot_ids) if i in shots]
        ordered += sorted(shots.values(), key=lambda s: (s.position, s.pk))
        _renumber(ordered)
    _touch(board)


def _renumber(shots):
    for i, shot in enumerate(shots, start=1):
        if shot.position != i:
            Shot.objects.filter(pk=shot.pk).update(position=i)
            shot.position = i


def _touch(board):
    Storyboard.objects.filter(pk=board.pk).update(updated_at=timezone.now())


def choose(shot, take):
    """The take the export uses for this shot: one of its own, ready."""
    if take.shot_id != shot.pk or not take.is_completed:
        raise ShotRefused("Choose one of this shot's ready takes.")
    Shot.objects.filter(pk=shot.pk).update(chosen=take)
    _touch(shot.storyboard)


def export_parts(board):
    """What an export stitches, in order; raises ShotRefused when a shot has no ready take."""
    shots = list(board.shots.select_related("chosen__model"))
    if not shots:
        raise ShotRefused("Add a shot first: there is nothing to export.")
    parts = []
    for number, shot in enumerate(shots, start=1):
        take = shot.chosen
        if take is None or not take.is_completed:
            raise ShotRefused(f"Shot {number} has no ready take yet. Make it, or choose one of its takes.")
        length = take.video_seconds or take.duration
        if shot.trim_head + shot.trim_tail >= length - 0.2:
            raise ShotRefused(f"Shot {number} is trimmed to nothing. Trim less of it.")
        parts.append(
            {
                "shot": shot.pk,
                "number": number,
                "take": str(take.pk),
                "model": take.model.slug,
                "prompt": shot.prompt,
                "head": shot.trim_head,
                "tail": shot.trim_tail,
                "transition": shot.transition if number > 1 else Shot.Transition.CUT,
            }
        )
    return parts


def request_export(user, board):
    """A new version of the board's export, stitched by the worker. The same board exported while an
    export of it is being made gives back that one."""
    with transaction.atomic():
        board = Storyboard.objects.select_for_update().get(pk=board.pk, user=user)
        making = board.exports.filter(status=StoryboardExport.Status.MAKING).first()
        if making:
            return making, False
        cap = settings.STORYBOARD_EXPORTS_PER_ACCOUNT
        if StoryboardExport.objects.filter(storyboard__user=user).count() >= cap:
            raise ShotRefused(
                f"You have made {cap} storyboard exports, the most an account may keep. Delete a storyboard "
                "you no longer need (its exported videos stay in your library), then export again."
            )
        parts = export_parts(board)
        version = (board.exports.aggregate(m=Max("version"))["m"] or 0) + 1
        export = StoryboardExport.objects.create(storyboard=board, version=version, parts=parts)
        taskqueue.enqueue(taskqueue.EXPORT_STORYBOARD, export.pk)
    return export, True
