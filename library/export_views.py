"""Exporting the library, a collection, a comparison or a storyboard as one ZIP (generations/export.py does the work)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.utils.http import content_disposition_header
from django.utils.timezone import localtime
from django.views.decorators.http import require_GET, require_POST

from lib import serving
from library import export


@require_POST
@login_required
def export_zip(request):
    kind = request.POST.get("scope", "library")
    scope = export.scope_for(request.user, kind, request.POST.get("pk"))
    if scope is None:
        raise Http404("No such collection in your library.")
    back = _back(scope)
    if not scope.generations.exists():
        messages.info(request, "There is nothing finished to export here yet.")
        return redirect(back)
    if scope.is_large():
        made, new = export.enqueue_export(request.user, scope)
        if new:
            messages.success(
                request,
                f"That is a big export: we are putting it together and will mail a link to "
                f"{request.user.email} when it is ready. The link works for a while, only for you.",
            )
        else:
            what = "library" if made.kind == "library" else f"{made.kind} “{made.title}”"
            messages.info(
                request,
                f"Your export of your {what}, asked for at {localtime(made.created_at):%H:%M}, is still being "
                f"put together; we will mail {request.user.email} a link when it is ready. One big export "
                "runs at a time: ask again once it has arrived.",
            )
        return redirect(back)
    response = StreamingHttpResponse(export.stream(scope), content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(True, export.file_name(scope))
    response["Cache-Control"] = "private, no-store"
    response["X-Accel-Buffering"] = "no"  # a proxy passes it on as it is made
    return response


def _back(scope):
    """Where the creator asked from: the collection's or the board's page, else the library."""
    if scope.kind == "collection":
        return reverse("library") + f"?collection={scope.pk}"
    if scope.kind == "storyboard":
        try:
            return reverse("storyboard", args=[scope.pk])
        except NoReverseMatch:
            return reverse("library") + "?show=storyboards"
    return reverse("library")


@require_GET
@login_required
def export_download(request, token):
    name = export.stored_export_for(request.user, token)
    if name is None:
        messages.error(request, "That export link has expired or is not yours. Export again from your library.")
        return redirect("library")
    return serving.stored_file_response(
        request, name, "application/zip", download_name=name.rsplit("/", 1)[-1], cache_seconds=0
    )
