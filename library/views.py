"""The creator's own pages for what they made: the library, one generation's page, and sharing."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts import words
from accounts.decorators import login_required_htmx
from accounts.offer import offer_for
from catalog import presets, sizes
from generations.models import Collection, Generation, StoryboardExport
from generations.views import get_generation_for_user, safe_next
from library import listing as library
from library import sharing
from library.forms import CollectionForm, Filters


def _plural(n, word):
    return f"{n} {word}{'' if n == 1 else 's'}"


@require_GET
@login_required_htmx
def library_page(request):
    models = library.video_models()
    collections = library.collections_for(request.user)
    filters = Filters(request.GET, models=models, collections=collections)
    values = filters.values()
    if values.get("show") == library.STORYBOARDS:
        return _storyboards(request, filters, values, collections)
    queryset = library.filtered(request.user, values, filters.model_ids).select_related("model", "collection")
    after = request.GET.get("after")
    rows, cursor = library.page(queryset, after)
    context = {
        "items": rows,
        "cursor": cursor,
        "filters": filters,
        "values": values,
        "query": _query_without(request.GET, "after"),
    }
    if request.htmx and after and not request.htmx.history_restore_request:
        return render(request, "library/library.html#more", context)  # the next page, as it scrolls in
    context["matching"] = (
        queryset.count() if values and {"q", "status", "model", "start", "when"} & values.keys() else None
    )
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "library/library.html#results", context)  # the filter bar changed
    context.update(
        collections=collections,
        counts=library.counts_for(request.user),
        storyboard_count=library.storyboard_count(request.user),
        problems=filters.problems(),
        current_collection=next((c for c in collections if str(c.pk) == values.get("collection")), None),
        collection_form=CollectionForm(user=request.user),
    )
    return render(request, "library/library.html", context)


def _storyboards(request, filters, values, collections):
    """The Storyboards part of the library: a card per board, its shots reachable from it."""
    boards = library.storyboards_for(request.user)
    context = {
        "boards": boards,
        "filters": filters,
        "values": values,
        "collections": collections,
        "counts": library.counts_for(request.user),
        "storyboard_count": len(boards) if len(boards) < library.MAX_BOARDS else library.storyboard_count(request.user),
        "problems": filters.problems(),
        "collection_form": CollectionForm(user=request.user),
    }
    return render(request, "library/library.html", context)


def _query_without(params, *names):
    query = params.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def _back_to_library(request):
    return redirect(safe_next(request))


@require_POST
@login_required_htmx
def library_bulk(request):
    """Favourite, move or delete the chosen videos. Deleting asks first, on a page of its own."""
    ids = library.parse_ids(request.POST.getlist("ids"))
    action = request.POST.get("action", "")
    if not ids:
        messages.info(request, "Choose one or more videos first: tick the box on each.")
        return _back_to_library(request)
    if action in ("favourite", "unfavourite"):
        count = library.set_favourite(request.user, ids, action == "favourite")
        word = "added to" if action == "favourite" else "removed from"
        messages.success(request, f"{_plural(count, 'video')} {word} your favourites.")
    elif action == "move":
        target = request.POST.get("collection", "")
        collection = None
        if target != library.NO_COLLECTION:
            collection = _own_collection(request, target)
            if collection is None:
                messages.error(request, "Choose a collection to move the videos to.")
                return _back_to_library(request)
        count = library.move(request.user, ids, collection)
        where = f"into {collection.name}" if collection else "out of their collections"
        messages.success(request, f"{_plural(count, 'video')} moved {where}.")
    elif action == "restore":
        count = Generation.objects.for_user(request.user).filter(pk__in=ids, set_aside=True).update(set_aside=False)
        messages.success(request, f"{_plural(count, 'video')} back in your library.")
    elif action == "delete":
        return _delete(request, ids)
    else:
        messages.error(request, "Choose what to do with the videos you ticked.")
    return _back_to_library(request)


def _delete(request, ids):
    chosen = list(Generation.objects.for_user(request.user).filter(pk__in=ids).select_related("model"))
    if not chosen:
        messages.info(request, "Those videos are no longer in your library.")
        return _back_to_library(request)
    if request.POST.get("confirm") != "yes":
        return render(
            request,
            "library/delete.html",
            {
                "chosen": chosen,
                "next": safe_next(request),
                "active": [g for g in chosen if g.is_active],
            },
        )
    deleted, kept = library.delete(request.user, ids)
    text = f"{_plural(deleted, 'video')} deleted for good."
    if kept:
        text += f" {_plural(kept, 'video')} still being made {'was' if kept == 1 else 'were'} kept: delete them once they finish."
    messages.success(request, text)
    next_url = safe_next(request)
    if any(str(pk) in next_url for pk in ids):  # the page of a deleted video is gone
        return redirect("library")
    return redirect(next_url)


@require_POST
@login_required_htmx
def favourite(request, pk):
    gen = get_generation_for_user(request, pk)
    gen.favourite = request.POST.get("favourite") == "on"
    library.set_favourite(request.user, [gen.pk], gen.favourite)
    if request.htmx:
        template = "library/detail.html#favourite" if request.POST.get("from") == "detail" else "library/card.html"
        return render(request, template, {"gen": gen})
    return _back_to_library(request)


@require_POST
@login_required
def collection_create(request):
    form = CollectionForm(request.POST, user=request.user)
    if form.is_valid():
        collection = form.save()
        messages.success(request, f"Collection {collection.name} made. Tick videos and move them into it.")
        return redirect(f"{reverse('library')}?collection={collection.pk}")
    problems = form.errors.get("name") or form.non_field_errors() or ["That name does not work."]
    messages.error(request, " ".join(problems))
    return _back_to_library(request)


@require_POST
@login_required
def collection_rename(request, pk):
    collection = get_object_or_404(Collection, pk=pk, user=request.user)
    old_name = collection.name
    form = CollectionForm(request.POST, instance=collection, user=request.user)
    if form.is_valid():
        form.save()
        messages.success(request, f"{old_name} is now called {collection.name}.")
    else:
        messages.error(request, " ".join(form.errors.get("name", ["That name does not work."])))
    return redirect(f"{reverse('library')}?collection={pk}")


@require_POST
@login_required
def collection_delete(request, pk):
    collection = get_object_or_404(Collection, pk=pk, user=request.user)
    collection.delete()
    messages.success(request, f"Collection {collection.name} removed. Its videos are still in your library.")
    return redirect("library")


# One generation


@require_GET
@login_required
def detail(request, pk):
    gen = get_generation_for_user(request, pk)
    # A storyboard's export is stitched from other videos: it is not made again from a prompt.
    stitched = StoryboardExport.objects.filter(video=gen).exists()
    # "Try the same prompt with another model": the ones the creator's plan makes, then the others
    # locked, each with the plan that has it.
    offer = offer_for(request.user)
    other_models = [
        (m, "" if offer.makes(m) else words.locked_by(offer.unlocking(m)))
        for m in offer.video_models(from_picture=gen.start == Generation.Start.IMAGE, every=True)
        if m.pk != gen.model_id and not stitched
    ]
    other_models.sort(key=lambda pair: bool(pair[1]))
    return render(
        request,
        "library/detail.html",
        {
            "gen": gen,
            "stitched": stitched,
            "source": Generation.objects.for_user(request.user).filter(pk=gen.source_id).first()
            if gen.source_id
            else None,
            "derived": list(Generation.objects.for_user(request.user).filter(source=gen).select_related("model")[:50]),
            "from_frames": list(
                Generation.objects.for_user(request.user)
                .filter(input_picture__from_generation=gen)
                .select_related("model")[:50]
            ),
            "other_models": other_models,
            "other_models_allowed": any(not locked for _, locked in other_models),
            "other_models_locked": any(locked for _, locked in other_models),
            "collections": Collection.objects.filter(user=request.user),
            "share_url": sharing.share_url(gen) if gen.share_token else "",
            "took": _took(gen.elapsed_seconds()) if gen.finished_at else "",
            "size_label": sizes.label(gen.size),
            "style_label": _preset_label(gen.style, presets.STYLES),
            "camera_label": _preset_label(gen.camera, presets.CAMERAS, getattr(presets, "MOTIONS", {})),
        },
    )


def _took(seconds):
    if seconds < 90:
        return _plural(seconds, "second")
    if seconds < 3 * 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h {seconds % 3600 // 60} min"
    return _plural(seconds // 86400, "day")


def _preset_label(key, *tables):
    for table in tables:
        if key in table:
            return table[key][0]
    return key


def _own_collection(request, target):
    # Digits only, and few enough for a database integer (int() refuses over 4,300 digits).
    pk = target if target.isdigit() and len(target) < 19 else None
    return Collection.objects.filter(user=request.user, pk=pk).first()


@require_POST
@login_required_htmx
def move_one(request, pk):
    gen = get_generation_for_user(request, pk)
    target = request.POST.get("collection", "")
    collection = _own_collection(request, target)
    if collection is None and target != library.NO_COLLECTION:
        messages.error(request, "Choose a collection to move the video to.")
        return redirect("generation_detail", pk=gen.pk)
    library.move(request.user, [gen.pk], collection)
    messages.success(request, f"Moved into {collection.name}." if collection else "Taken out of its collection.")
    return redirect("generation_detail", pk=gen.pk)


def _share_panel(request, gen, problem=None):
    if request.htmx:
        return render(
            request,
            "library/detail.html#share_panel",
            {
                "gen": gen,
                "share_url": sharing.share_url(gen) if gen.share_token else "",
                "problem": problem,
            },
        )
    if problem:
        messages.error(request, problem)
    return redirect("generation_detail", pk=gen.pk)


@require_POST
@login_required_htmx
def share(request, pk):
    gen = get_generation_for_user(request, pk)
    shared = sharing.share(
        gen, show_prompt=request.POST.get("share_prompt") == "on", in_gallery=request.POST.get("in_gallery") == "on"
    )
    return _share_panel(request, gen, None if shared else "You can share this video once it is ready.")


@require_POST
@login_required_htmx
def set_title(request, pk):
    gen = get_generation_for_user(request, pk)
    problem = sharing.set_title(gen, request.POST.get("title", ""))
    if request.htmx:
        typed = request.POST.get("title", "") if problem else gen.title
        return render(
            request,
            "library/detail.html#title_panel",
            {"gen": gen, "problem": problem, "typed": typed, "saved": not problem},
        )
    if problem:
        messages.error(request, problem)
    else:
        messages.success(request, f"Its title is now {gen.title}." if gen.title else "Its title is cleared.")
    return redirect("generation_detail", pk=gen.pk)


@require_POST
@login_required_htmx
def unshare(request, pk):
    gen = get_generation_for_user(request, pk)
    sharing.stop_sharing(gen)
    return _share_panel(request, gen)
