from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from accounts.decorators import login_required_htmx
from generations import pictures, updates
from generations.models import Generation, Picture
from lib import serving


def get_generation_for_user(request, pk):
    """Every per-creator lookup goes through here: someone else's generation is simply not found."""
    return get_object_or_404(Generation.objects.select_related("model"), pk=pk, user=request.user)


@require_GET
def poll(request):
    """The dashboard's single poller. Read-only; 204 when nothing changed, decided from the cache
    alone while the poller's token still names the creator's change mark."""
    return updates.answer_poll(request, _changes)


@login_required_htmx
def _changes(request):
    seen, since = updates.look(request)  # the token before the cards are read
    cards, since = updates.changed_since(request.user, since)
    if not cards and updates.seen_already(request, seen):
        return HttpResponse(status=204)  # the cache is not answering: there is no mark to pass on
    on_page = set(",".join(request.GET.getlist("have")).split(","))
    return render(
        request,
        "generations/poll.html",
        {
            "cards": [(card, str(card.pk) in on_page) for card in cards],
            "poller": updates.poller_state(request.user, cards, since=since, seen=seen),
        },
    )


@require_GET
@login_required_htmx
def card(request, pk):
    gen = get_generation_for_user(request, pk)
    return render(request, "generations/card.html", {"gen": gen})


def _stored(request, pk, field, content_type, download=False):
    gen = get_generation_for_user(request, pk)
    file = getattr(gen, field)
    if not file:
        raise Http404("This video is not ready yet.")
    name = gen.download_name() if download else None
    return serving.stored_file_response(request, file.name, content_type, download_name=name)


@require_GET
@login_required_htmx
def video(request, pk):
    return _stored(request, pk, "video", "video/mp4")


@require_GET
@login_required_htmx
def download(request, pk):
    return _stored(request, pk, "video", "video/mp4", download=True)


@require_GET
@login_required_htmx
def poster(request, pk):
    return _stored(request, pk, "poster", "image/jpeg")


@staff_member_required
@permission_required("generations.view_generation", raise_exception=True)
def admin_video(request, pk):
    gen = get_object_or_404(Generation, pk=pk)
    return serving.stored_file_response(request, gen.video.name, "video/mp4")


@staff_member_required
@permission_required("generations.view_generation", raise_exception=True)
def admin_poster(request, pk):
    gen = get_object_or_404(Generation, pk=pk)
    return serving.stored_file_response(request, gen.poster.name, "image/jpeg")


@require_GET
@login_required_htmx
def picture_image(request, pk, kind):
    picture = get_object_or_404(Picture, pk=pk, user=request.user)
    file = picture.thumbnail if kind == "thumb" else picture.image
    return serving.stored_file_response(request, file.name, "image/jpeg")


# Pixapi fetches the picture while the studio submits the task (the URL is made then) and may fetch it
# again while the task waits or runs; queued (no URL handed out yet, or a submit that created nothing),
# downloading and every finished state have no use for it, so an old link shows nothing.
PIXAPI_MAY_FETCH = (Generation.Status.SUBMITTING, Generation.Status.SUBMITTED, Generation.Status.RUNNING)


@require_GET
def picture_for_pixapi(request, token):
    """The picture of an image-to-video generation, fitted to its size, for Pixapi to fetch.
    No login: the signed, expiring token is the permission."""
    gen = pictures.generation_from_token(token)
    if gen is None or gen.input_picture is None:
        return HttpResponse("This picture link has expired or is not valid.", status=403, content_type="text/plain")
    if gen.status not in PIXAPI_MAY_FETCH:
        return HttpResponse("This picture is no longer needed.", status=404, content_type="text/plain")
    data = pictures.jpeg_bytes(pictures.fitted(gen.input_picture, gen.size, gen.fit))
    response = HttpResponse(data, content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response


def safe_next(request, fallback="library"):
    """Where to go back to after an action: the `next` it was given when that is a page of this studio,
    else the page named `fallback`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse(fallback)
