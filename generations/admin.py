from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, Q
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts import credits, words
from accounts.admin import remove_files
from catalog.admin import CLOSE_BREAKER, RESUME, CatalogModelAdmin
from catalog.models import CatalogModel
from generations import estimates, failures, health, queue
from generations.models import (
    Batch,
    Comparison,
    Generation,
    ModelSample,
    Shot,
    Storyboard,
    StoryboardExport,
    StudioQueue,
)
from generations.starting import start_generation

Status = Generation.Status
# Every stage by its own name: the creator's words give two stages one label ("Queued", "Making").
STAGES = [
    (Status.WAITING, "Waiting (in the studio's queue)"),
    (Status.QUEUED, "Queued (given a slot)"),
    (Status.SUBMITTING, "Submitting"),
    (Status.SUBMITTED, "Submitted"),
    (Status.RUNNING, "Running"),
    (Status.DOWNLOADING, "Saving"),
    (Status.COMPLETED, "Ready"),
    (Status.FAILED, "Failed"),
    (Status.CANCELED, "Canceled"),
]


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status__exact"  # the field's own lookup: links made for the plain filter still work

    def lookups(self, request, model_admin):
        return STAGES

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(status=self.value())
        return queryset


class SharedFilter(admin.SimpleListFilter):
    title = "shared by link"
    parameter_name = "shared"

    def lookups(self, request, model_admin):
        return [("yes", "Shared"), ("no", "Not shared")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(share_token__isnull=self.value() == "no")
        return queryset


class GenerationForm(forms.ModelForm):
    def clean_featured(self):
        featured = self.cleaned_data["featured"]
        if featured and not (self.instance.status == Generation.Status.COMPLETED and self.instance.share_token):
            raise forms.ValidationError(
                "Only a ready video that its creator shares by link can be featured, and this one is not shared."
            )
        return featured


@admin.register(Generation)
class GenerationAdmin(admin.ModelAdmin):
    form = GenerationForm
    list_display = ("short_prompt", "user", "model", "status_badge", "progress", "cost", "created_at", "took")
    list_filter = (StatusFilter, SharedFilter, "featured", "model", "created_at")
    search_fields = ("prompt", "title", "user__email", "user__display_name", "pixapi_task_id")
    date_hierarchy = "created_at"
    list_select_related = ("user", "model")
    actions = ("retry", "mark_failed", "refund", "feature", "unfeature")
    # Workers change a generation at any time, so everything they write is read-only here, and so is
    # what the creator asked and paid for. The error fields are editable only once it has finished.
    readonly_fields = (
        "id",
        "user",
        "model",
        "prompt",
        "style",
        "camera",
        "duration",
        "size",
        "status_badge",
        "pixapi_task_id",
        "full_prompt",
        "cost",
        "result_url",
        "video_player",
        "poster_image",
        "created_at",
        "submitted_at",
        "started_at",
        "pixapi_done_at",
        "finished_at",
        "updated_at",
        "took",
        "polls",
        "poll_errors",
        "next_poll_at",
        "lease_until",
        "video_bytes",
        "video_width",
        "video_height",
        "video_seconds",
        "source",
        "shared_link",
        "shared_at",
        "share_prompt",
        "in_gallery",
        "place_in_line",
        "paused",
        "turn",
        "queue_position",
        "queued_at",
        "batch",
        "hold_version",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "id",
                    "user",
                    "status_badge",
                    "model",
                    "prompt",
                    "style",
                    "camera",
                    "full_prompt",
                    "duration",
                    "size",
                    "cost",
                    "source",
                )
            },
        ),
        (
            "Queue",
            {
                "description": "A waiting video's settings are changed only by its creator, in their queue "
                "(the hold follows the change); here they are read-only.",
                "fields": ("place_in_line", "paused", "turn", "queue_position", "queued_at", "batch", "hold_version"),
            },
        ),
        (
            "Result",
            {"fields": ("video_player", "poster_image", "video_bytes", "video_width", "video_height", "video_seconds")},
        ),
        ("Error", {"fields": ("error_code", "error_message", "error_detail")}),
        (
            "Sharing",
            {
                # The title stays editable, even on a finished video: an operator may clear one unfit for
                # the featured gallery. It is the creator's words for galleries, not a setting of the video.
                "fields": ("title", "shared_link", "shared_at", "share_prompt", "in_gallery", "featured"),
            },
        ),
        (
            "Timings",
            {
                "fields": (
                    "created_at",
                    "submitted_at",
                    "started_at",
                    "pixapi_done_at",
                    "finished_at",
                    "took",
                    "updated_at",
                )
            },
        ),
        (
            "Tracking",
            {
                "classes": ("collapse",),
                "fields": ("pixapi_task_id", "result_url", "polls", "poll_errors", "next_poll_at", "lease_until"),
            },
        ),
    )

    class Media:
        css = {"all": ["css/admin.css"]}

    def has_add_permission(self, request):
        return False

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.is_waiting:  # its creator's queue is where it changes (queue.edit)
            return self.readonly_fields + ("error_code", "error_message", "error_detail", "featured")
        if obj is None or obj.is_active:
            return self.readonly_fields + ("error_code", "error_message", "error_detail")
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        # Only what the operator changed: a full save would write back the status, progress and lease
        # read when the form was posted, over what a worker wrote since.
        if form.changed_data:
            obj.updated_at = timezone.now()
            obj.save(update_fields=[*form.changed_data, "updated_at"])

    def delete_model(self, request, obj):
        self.delete_queryset(request, Generation.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        """Ones still being made are ended first, their held credits returned; their stored files are
        removed once the rows are gone."""
        chosen = Generation.objects.filter(pk__in=list(queryset.values_list("pk", flat=True)))
        with transaction.atomic():
            ended = sum(
                gen.mark_failed("operator", failures.message_for("operator"), detail=f"Deleted by {request.user}")
                for gen in chosen.active()
            )
            # Ended or finished, no worker stores a file for these rows any more (a download that
            # finishes now removes its own), so these are all the names there will be.
            files = [name for pair in chosen.values_list("video", "poster") for name in pair if name]
            chosen.delete()
            transaction.on_commit(lambda: remove_files(files))
        if ended:
            self.message_user(
                request,
                f"{ended} generation(s) still being made were ended first and their held credits "
                "returned to the creator.",
                messages.WARNING,
            )

    @admin.display(description="Prompt")
    def short_prompt(self, obj):
        if obj.title:
            return format_html("<strong>{}</strong><br>{}", obj.title, obj.prompt[:60])
        return obj.prompt[:60]

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj):
        return format_html('<span class="studio-badge status-{}">{}</span>', obj.status, obj.get_status_display())

    @admin.display(description="Place in its creator's line")
    def place_in_line(self, obj):
        return queue.place_in_line(obj) if obj.is_waiting else "–"

    @admin.display(description="Took")
    def took(self, obj):
        if not obj.finished_at:
            return "–"
        return f"{(obj.finished_at - obj.created_at).total_seconds():.0f} s"

    @admin.display(description="Video")
    def video_player(self, obj):
        if not obj.video:
            return "–"
        url = reverse("admin_generation_video", args=[obj.pk])
        return format_html('<video controls preload="metadata" width="480" src="{}"></video>', url)

    @admin.display(description="Poster")
    def poster_image(self, obj):
        if not obj.poster:
            return "–"
        url = reverse("admin_generation_poster", args=[obj.pk])
        return format_html('<img src="{}" width="240" alt="Poster">', url)

    @admin.action(description="Retry: make failed videos again, as new generations", permissions=["change"])
    def retry(self, request, queryset):
        count = 0
        for gen in queryset.filter(status__in=[Generation.Status.FAILED, Generation.Status.CANCELED]).select_related(
            "model"
        ):
            try:  # the creator pays for the new one as for any other; their plan and balance still apply
                start_generation(
                    gen.user,
                    model=gen.model,
                    prompt=gen.prompt,
                    duration=gen.duration,
                    size=gen.size,
                    style=gen.style,
                    camera=gen.camera,
                    source=gen,
                    confirm_budget=True,
                )
            except credits.Refused as refusal:
                self.message_user(
                    request, f"Not retried for {gen.user}: {words.refusal(refusal, gen.user)}", messages.WARNING
                )
                continue
            count += 1
        self.message_user(request, f"Started {count} new generation(s).", messages.SUCCESS)

    @admin.action(description="Mark failed (credits returned)", permissions=["change"])
    def mark_failed(self, request, queryset):
        count = 0
        for gen in queryset.filter(status__in=Generation.ACTIVE):
            count += gen.mark_failed("operator", failures.message_for("operator"), detail=f"By {request.user}")
        self.message_user(request, f"Marked {count} generation(s) failed.", messages.SUCCESS)

    @admin.action(description="Refund the credits of ready videos (a bad result)", permissions=["change"])
    def refund(self, request, queryset):
        count = 0
        for gen in queryset.filter(status=Generation.Status.COMPLETED):
            reference = gen.ledger_reference
            count += (
                credits.refund(gen.user_id, reference, reason=f"Refunded by {request.user}", by=request.user)
                is not None
            )
        self.message_user(request, f"Refunded {count} video(s); a video is refunded at most once.", messages.SUCCESS)

    @admin.display(description="Share link")
    def shared_link(self, obj):
        if not obj.share_token:
            return "Not shared"
        url = reverse("shared_video", args=[obj.share_token])
        return format_html('<a href="{}" target="_blank" rel="noopener">Open the shared page</a>', url)

    @admin.action(description="Feature in the studio's gallery (shared videos only)", permissions=["change"])
    def feature(self, request, queryset):
        count = queryset.public().update(featured=True)
        skipped = queryset.count() - count
        note = f" {skipped} not shared by their creator (or not ready) were left out." if skipped else ""
        self.message_user(request, f"Featured {count} video(s).{note}", messages.SUCCESS)

    @admin.action(description="Take out of the featured gallery", permissions=["change"])
    def unfeature(self, request, queryset):
        count = queryset.update(featured=False)
        self.message_user(request, f"Took {count} video(s) out of the featured gallery.", messages.SUCCESS)


class ReadOnlyAdmin(admin.ModelAdmin):
    """What creators made (batches, comparisons): operators look, creators change them from their pages."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Batch)
class BatchAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "user", "videos", "spending_cap", "created_at"]
    list_select_related = ["user"]
    search_fields = ["name", "user__email"]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(video_count=Count("generations"))

    @admin.display(ordering="video_count")
    def videos(self, batch):
        return batch.video_count


@admin.register(Comparison)
class ComparisonAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "user", "takes_count", "keeper", "shared", "created_at"]
    list_select_related = ["user", "keeper__model"]
    search_fields = ["prompt", "user__email"]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(take_count=Count("takes"))

    @admin.display(description="takes", ordering="take_count")
    def takes_count(self, comparison):
        return comparison.take_count

    @admin.display(boolean=True)
    def shared(self, comparison):
        return bool(comparison.share_token)


class ShotInline(admin.TabularInline):
    """A board's shots as its creator left them: operators look, never change a creator's shots."""

    model = Shot
    fields = ("position", "prompt", "model", "duration", "start", "trim_head", "trim_tail", "transition", "chosen")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Storyboard)
class StoryboardAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "user", "size", "shots_count", "updated_at"]
    list_select_related = ["user"]
    search_fields = ["title", "user__email"]
    date_hierarchy = "updated_at"
    inlines = [ShotInline]

    def has_delete_permission(self, request, obj=None):
        return False  # its shots and takes are the creator's: they remove a board from its page

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(shot_count=Count("shots"))

    @admin.display(description="shots", ordering="shot_count")
    def shots_count(self, board):
        return board.shot_count


@admin.register(StoryboardExport)
class StoryboardExportAdmin(ReadOnlyAdmin):
    list_display = ["storyboard", "version", "status", "mode", "attempts", "created_at", "finished_at"]
    list_filter = ["status", "mode"]
    list_select_related = ["storyboard"]
    search_fields = ["storyboard__title", "storyboard__user__email"]
    date_hierarchy = "created_at"


@admin.register(StudioQueue)
class StudioQueueAdmin(admin.ModelAdmin):
    """The valve in front of Pixapi: one row, always there (made when the list is first shown)."""

    list_display = ("__str__", "slots", "max_in_flight", "default_cap", "paused")
    fields = ("max_in_flight", "default_cap", "slots", "paused")
    readonly_fields = ("default_cap", "slots")

    def get_queryset(self, request):
        StudioQueue.objects.get_or_create(pk=1)
        return super().get_queryset(request)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if form.changed_data:  # never the dispatcher's own column, written while the form was open
            obj.save(update_fields=form.changed_data)
            transaction.on_commit(queue.dispatch)  # a bigger cap or a resume hands the free slots out now

    @admin.display(description="Default cap (STUDIO_MAX_IN_FLIGHT)")
    def default_cap(self, obj):
        return settings.STUDIO_MAX_IN_FLIGHT

    @admin.display(description="In use")
    def slots(self, obj):
        used = Generation.objects.filter(status__in=Generation.AT_PIXAPI).count()
        return f"{used} of {obj.cap()} slots"


admin.site.unregister(CatalogModel)


class SampleFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        for form in self.forms:
            data = getattr(form, "cleaned_data", {})
            gen = data.get("generation")
            if gen is None or data.get("DELETE"):
                continue
            if gen.status != Status.COMPLETED:
                form.add_error("generation", "Only a ready video can be a sample.")
            elif gen.model_id != self.instance.pk:
                form.add_error("generation", f"That video was made with {gen.model}, not this model.")


class ModelSampleInline(admin.TabularInline):
    """The clips the Models page shows for a model: ready videos of it, public or chosen by an operator."""

    model = ModelSample
    formset = SampleFormSet
    extra = 1
    fields = ("generation", "position")
    raw_id_fields = ("generation",)
    verbose_name = "sample clip"


@admin.register(CatalogModel)
class CatalogQueueAdmin(CatalogModelAdmin):
    """The catalog's list with what the studio's queue holds of each model: waiting, and at Pixapi (the
    valve's count), counted for every row in the list's one query. Resuming a model or closing its
    breaker hands the free slots out at once."""

    list_display = (
        *CatalogModelAdmin.list_display[:4],
        "waiting",
        "in_flight",
        "last_hour",
        *CatalogModelAdmin.list_display[4:],
    )
    inlines = (ModelSampleInline,)
    change_list_template = "admin/generations/catalog_change_list.html"  # and the studio's keeper figures

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                waiting_count=Count("generations", filter=Q(generations__status=Status.WAITING)),
                in_flight_count=Count("generations", filter=Q(generations__status__in=Generation.AT_PIXAPI)),
            )
        )

    @admin.display(description="Waiting", ordering="waiting_count")
    def waiting(self, obj):
        return getattr(obj, "waiting_count", "–")

    @admin.display(description="At Pixapi", ordering="in_flight_count")
    def in_flight(self, obj):
        return getattr(obj, "in_flight_count", "–")

    @admin.display(description="Last hour")
    def last_hour(self, obj):
        """The status page's figures (generations.health, kept by the sweeper): made, came out, usual time."""
        figures = health.current().of(obj.slug)
        if figures is None or figures.success_rate is None:
            return "–"
        usual = f", usually {estimates.so_far_words(figures.p50_seconds)}" if figures.p50_seconds else ""
        return f"{figures.ready} made, {round(figures.success_rate * 100)}% came out{usual}"

    @admin.action(description=RESUME, permissions=["change"])
    def resume(self, request, queryset):
        super().resume(request, queryset)
        queue.dispatch()

    @admin.action(description=CLOSE_BREAKER, permissions=["change"])
    def close_breaker(self, request, queryset):
        super().close_breaker(request, queryset)
        queue.dispatch()
