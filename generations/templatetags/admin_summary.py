from datetime import datetime, time

from django import template
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from catalog.models import CatalogModel
from generations.models import Generation, StudioQueue

register = template.Library()

Status = Generation.Status
IN_FLIGHT = [status for status in Generation.SLOT_HOLDERS if status != Status.QUEUED]  # at Pixapi or saving
WAITING = [Status.WAITING, Status.QUEUED]  # in the studio's queue, or given a slot and about to be sent


@register.inclusion_tag("admin/summary.html", takes_context=True)
def studio_summary(context):
    """The admin index's figures: videos in flight, waiting to start, failed today, the valve's slots in
    use and the models whose valve is shut (busy at Pixapi or paused). Three queries: the videos' counts
    in one, on the indexed status (and finished_at for today's failures), the valve, the models."""
    request = context["request"]
    if not request.user.has_perm("generations.view_generation"):
        return {"figures": []}
    today = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    failed_today = Q(status=Status.FAILED, finished_at__gte=today)
    counts = Generation.objects.filter(Q(status__in=Generation.ACTIVE) | failed_today).aggregate(
        in_flight=Count("pk", filter=Q(status__in=IN_FLIGHT)),
        waiting=Count("pk", filter=Q(status__in=WAITING)),
        at_pixapi=Count("pk", filter=Q(status__in=Generation.AT_PIXAPI)),
        failed=Count("pk", filter=failed_today),
    )
    url = reverse("admin:generations_generation_changelist")
    figures = [
        ("In flight", counts["in_flight"], f"{url}?status__in={','.join(IN_FLIGHT)}"),
        ("Waiting to start", counts["waiting"], f"{url}?status__in={','.join(WAITING)}"),
        (
            "Failed today",
            counts["failed"],
            f"{url}?status__exact={Status.FAILED}&finished_at__gte={today.date().isoformat()}",
        ),
    ]
    valve = StudioQueue.objects.get_or_create(pk=1)[0]
    figures.append(
        (
            "slots in use" + (", paused" if valve.paused else ""),
            f"{counts['at_pixapi']} of {valve.cap()}",
            reverse("admin:generations_studioqueue_changelist"),
        )
    )
    if request.user.has_perm("catalog.view_catalogmodel"):
        shut = CatalogModel.objects.filter(Q(queue_paused=True) | Q(busy_until__gt=timezone.now())).count()
        figures.append(
            ("models busy or paused", shut, reverse("admin:catalog_catalogmodel_changelist") + "?valve=shut")
        )
    return {"figures": figures}
