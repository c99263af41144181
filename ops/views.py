"""How the studio is doing: the public status page, the health check, the operators' metrics."""

import hmac

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from generations import estimates, health
from ops import checks, metrics

STATUS_REFRESH_SECONDS = 60


@require_GET
@cache_control(public=True, max_age=30)
def status_page(request):
    snapshot = health.current()
    rows = [
        {
            "health": h,
            "success": round(h.success_rate * 100) if h.success_rate is not None else None,
            "p50": estimates.so_far_words(h.p50_seconds) if h.p50_seconds is not None else None,
            "p95": estimates.so_far_words(h.p95_seconds) if h.p95_seconds is not None else None,
        }
        for h in snapshot.models
    ]
    return render(
        request, "ops/status.html", {"rows": rows, "at": snapshot.at, "refresh_seconds": STATUS_REFRESH_SECONDS}
    )


@require_GET
def healthz(request):
    """200 when every part answers; 503 with a reason for each part that does not."""
    results = checks.run_all()
    failing = {part: reason for part, reason in results.items() if reason}
    body = {"status": "failing" if failing else "ok", "parts": {p: r or "ok" for p, r in results.items()}}
    response = JsonResponse(body, status=503 if failing else 200)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def metrics_page(request):
    """Prometheus text for operators, behind METRICS_TOKEN (a bearer token); no token set: no page."""
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not token or not hmac.compare_digest(given.encode(), token.encode()):
        raise Http404()
    body, content_type = metrics.render()
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = "no-store"
    return response
