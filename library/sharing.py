"""Share links and public galleries: what anyone may see, and nothing more.

A video is public while its share_token is set: the token is the link's only secret (256 random
bits), turning sharing off forgets it, and sharing again makes a new one, so an old link never
comes back to life. The creator's page (/@handle/) and the featured gallery only ever show
public videos, so stopping a share takes a video off every public page at once.
"""

from django.urls import reverse
from django.utils import timezone

from accounts.handles import creator_name  # noqa: F401 (public pages name creators this way)
from generations.models import Generation
from lib.links import MAX_TOKEN_LENGTH, absolute, new_token


def share(gen, *, show_prompt, in_gallery):
    """Turns the link on (a new token if it was off) or updates what it shows. False if the video is not ready."""
    changes = {"share_prompt": show_prompt, "in_gallery": in_gallery}
    if not gen.share_token:
        changes.update(share_token=new_token(), shared_at=timezone.now())
    done = Generation.objects.filter(pk=gen.pk, user=gen.user_id, status=Generation.Status.COMPLETED).update(**changes)
    if done:
        for field, value in changes.items():
            setattr(gen, field, value)
    return bool(done)


def stop_sharing(gen):
    """The link stops working at once, and the video leaves the creator's page and the featured gallery."""
    changes = {"share_token": None, "shared_at": None, "share_prompt": False, "in_gallery": False, "featured": False}
    Generation.objects.filter(pk=gen.pk, user=gen.user_id).update(**changes)
    for field, value in changes.items():
        setattr(gen, field, value)


TITLE_MAX = Generation._meta.get_field("title").max_length
PROMPT_WORDS = 8  # a gallery card's words from a shared prompt when the video has no title


def set_title(gen, title):
    """The creator's title for galleries; blank clears it. An error in words when it is too long, else None."""
    title = " ".join(title.split())
    if len(title) > TITLE_MAX:
        return f"A title can be at most {TITLE_MAX} characters; this one has {len(title)}. Try a shorter one."
    Generation.objects.filter(pk=gen.pk, user=gen.user_id).update(title=title)
    gen.title = title
    return None


def public_title(gen):
    """What a public page calls a video: its title, else the first words of its prompt if the creator
    chose to show the prompt, else "A video by <name>". Never the prompt of a video that hides it."""
    if gen.title:
        return gen.title
    if gen.share_prompt:
        words = gen.prompt.split()
        return " ".join(words[:PROMPT_WORDS]) + ("…" if len(words) > PROMPT_WORDS else "")
    return f"A video by {creator_name(gen.user)}"


def shared(token):
    """The public video behind a token, or None for an unknown, revoked or unfinished one."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return (
        Generation.objects.public()
        .select_related("user", "model")
        .filter(share_token=token, user__is_active=True)
        .first()
    )


def gallery(user):
    """What the creator chose to show on their public page."""
    return Generation.objects.public().filter(user=user, in_gallery=True).select_related("user")


def featured():
    """The studio's featured gallery, curated by operators in admin."""
    return Generation.objects.public().filter(featured=True, user__is_active=True).select_related("user")


def share_url(gen):
    return absolute(reverse("shared_video", args=[gen.share_token]))
