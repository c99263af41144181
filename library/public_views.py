"""Pages anyone may open, logged in or not: a shared video, a creator's page, the featured gallery.

Each one reads through generations/sharing.py, which only ever hands out public videos.
"""

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from accounts.models import User
from lib import serving
from library import listing as library
from library import sharing

PUBLIC_CACHE_SECONDS = 60  # a stopped share stays in a viewer's browser cache for a minute at most


def _not_shared(request):
    return render(request, "public/not_shared.html", status=404)


@require_GET
def shared_video(request, token):
    gen = sharing.shared(token)
    if gen is None:
        return _not_shared(request)
    return render(
        request,
        "public/shared.html",
        {
            "gen": gen,
            "creator": sharing.creator_name(gen.user),
            "title": sharing.public_title(gen),
            "page_url": sharing.share_url(gen),
            "video_url": sharing.absolute(gen_url("shared_video_file", gen)),
            "poster_url": sharing.absolute(gen_url("shared_poster", gen)),
            "width": gen.video_width or gen.width,
            "height": gen.video_height or gen.height,
        },
    )


def gen_url(name, gen):
    return reverse(name, args=[gen.share_token])


def _shared_file(request, token, field, content_type, suffix):
    gen = sharing.shared(token)
    if gen is None or not getattr(gen, field):
        raise Http404("This video is no longer shared.")
    # Named by the share token, which the viewer already has: never the generation's id (its storage
    # name), nor words from a prompt the creator chose not to show.
    return serving.stored_file_response(
        request,
        getattr(gen, field).name,
        content_type,
        cache_seconds=PUBLIC_CACHE_SECONDS,
        inline_name=f"{gen.share_token}{suffix}",
    )


@require_GET
def shared_video_file(request, token):
    return _shared_file(request, token, "video", "video/mp4", ".mp4")


@require_GET
def shared_poster(request, token):
    return _shared_file(request, token, "poster", "image/jpeg", "-poster.jpg")


def _gallery(request, queryset, template, context):
    rows, cursor = library.page(queryset, request.GET.get("after"))
    for gen in rows:
        gen.public_title = sharing.public_title(gen)
    # Link previews (Open Graph, X/Twitter) show the first video's poster.
    preview = sharing.absolute(gen_url("shared_poster", rows[0])) if rows else ""
    context.update(items=rows, cursor=cursor, preview_image=preview, preview_alt=rows[0].public_title if rows else "")
    if request.htmx and request.GET.get("after") and not request.htmx.history_restore_request:
        return render(request, f"{template}#more", context)
    return render(request, template, context)


@require_GET
def gallery(request, handle):
    creator = User.objects.filter(username__iexact=handle, is_active=True).first()
    if creator is None:
        return render(request, "public/no_creator.html", {"handle": handle}, status=404)
    return _gallery(
        request,
        sharing.gallery(creator),
        "public/gallery.html",
        {
            "creator": creator,
            "creator_name": sharing.creator_name(creator),
            "is_own": request.user == creator,
            "page_url": sharing.absolute(request.path),
        },
    )


@require_GET
def featured(request):
    return _gallery(request, sharing.featured(), "public/featured.html", {"page_url": sharing.absolute(request.path)})
