from datetime import datetime, time

from django import template
from django.urls import reverse
from django.utils import timezone

from generations.models import Generation

register = template.Library()


@register.inclusion_tag("admin/summary.html", takes_context=True)
def studio_summary(context):
    """The admin index's three figures: videos in flight, waiting to start, failed today. One count
    each, on the indexed status (and finished_at for today's failures)."""
    request = context["request"]
    if not request.user.has_perm("generations.view_generation"):
        return {"figures": []}
    waiting = [Generation.Status.QUEUED, *([Generation.WAITING] if hasattr(Generation, "WAITING") else [])]
    in_flight = [status for status in Generation.ACTIVE if status not in waiting]
    today = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    url = reverse("admin:generations_generation_changelist")
    return {
        "figures": [
            (
                "In flight",
                Generation.objects.filter(status__in=in_flight).count(),
                f"{url}?status__in={','.join(in_flight)}",
            ),
            (
                "Waiting to start",
                Generation.objects.filter(status__in=waiting).count(),
                f"{url}?status__in={','.join(waiting)}",
            ),
            (
                "Failed today",
                Generation.objects.filter(status=Generation.Status.FAILED, finished_at__gte=today).count(),
                f"{url}?status__exact={Generation.Status.FAILED}&finished_at__gte={today.date().isoformat()}",
            ),
        ]
    }
