"""A stored video lets the storyboard shots that continue it start: each takes the frame its shot asked
for (the last one unless the creator picked another) as its picture, and goes into the creator's line.

Called by the download right after a video is stored, and by the housekeeping for anything a killed
worker left waiting. Each follower moves with a conditional UPDATE (Generation.continue_from), so two
runs never start one twice; a frame kept by the run that lost is removed again.
"""

import logging

from generations import pictures
from generations.models import Generation, Picture, Shot
from lib import media

log = logging.getLogger(__name__)

CATCH_UP_PER_PASS = 50


def after_stored(gen):
    """A video was stored: it becomes its shot's chosen take if the shot has none, and the shots that
    continue it start from its frame. Returns how many started."""
    if gen.shot_id:
        Shot(pk=gen.shot_id).choose_if_none(gen)
    started = 0
    for follower in Generation.objects.filter(after=gen, status=Generation.Status.WAITING).select_related("shot"):
        at = follower.shot.frame_at if follower.shot else None
        try:
            image = media.frame_of(gen.video.name, "last", at=at)
        except media.NotAVideo as e:
            follower.mark_canceled("frame_unreadable", f"We could not read a frame of the shot before: {e}")
            continue
        name = f"Frame at {at:g} s: {gen.prompt}" if at is not None else f"Last frame: {gen.prompt}"
        picture = pictures.keep(follower.user, image, Picture.FRAME, name=name[:200], from_generation=gen)
        if follower.continue_from(picture):
            started += 1
        else:
            pictures.delete(picture)  # canceled meanwhile, or another run got there first
    return started


def catch_up():
    """Followers whose video is stored but who still wait for it (the worker stopped in between)."""
    stored = (
        Generation.objects.filter(followers__status=Generation.Status.WAITING, status=Generation.Status.COMPLETED)
        .distinct()
        .order_by("finished_at")[:CATCH_UP_PER_PASS]
    )
    started = 0
    for gen in stored:
        try:
            started += after_stored(gen)
        except Exception:
            log.exception("Could not start the shots that continue %s", gen.pk)
    return started
