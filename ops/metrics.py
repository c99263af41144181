"""The studio in Prometheus text format, for operators (README: "Metrics").

Most figures are read from the database at each scrape, a fixed handful of queries, so they agree
across every web process and cluster: videos by model and status, failures by code, the queue and the
breaker per model, webhook deliveries by result, credits by kind of ledger entry. Pixapi submits and
polls are counted by the cluster in the cache (lib.counters). Request latency is measured here, per
process; with PROMETHEUS_MULTIPROC_DIR set (gunicorn's several workers), prometheus-client adds up
every process's files.
"""

import os
import time

from django.db.models import Count, Sum
from django.db.models.functions import Abs
from django.utils import timezone
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from accounts.models import CreditEntry
from catalog.models import CatalogModel
from generations import health
from generations.models import Generation
from lib import counters
from webhooks.models import WebhookDelivery

LATENCY = CollectorRegistry(auto_describe=True)
REQUEST_SECONDS = Histogram(
    "studio_request_seconds",
    "Time to answer a request, by route.",
    ["route"],
    registry=LATENCY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SUBMIT_RESULTS = ("accepted", "busy", "refused")
POLL_RESULTS = ("answered", "error")


class StudioCollector:
    def collect(self):
        models = list(CatalogModel.objects.order_by("slug"))
        slugs = {m.pk: m.slug for m in models}

        submits = CounterMetricFamily(
            "studio_pixapi_submits", "Videos sent to Pixapi, by answer.", labels=["model", "result"]
        )
        polls = CounterMetricFamily(
            "studio_pixapi_polls", "Status calls to Pixapi, by answer.", labels=["model", "result"]
        )
        for model in models:
            for result in SUBMIT_RESULTS:
                submits.add_metric([model.slug, result], counters.read("submits", f"{model.slug}:{result}"))
            for result in POLL_RESULTS:
                polls.add_metric([model.slug, result], counters.read("polls", f"{model.slug}:{result}"))
        yield submits
        yield polls

        videos = GaugeMetricFamily(
            "studio_videos", "Videos in the studio now, by model and status.", labels=["model", "status"]
        )
        waiting = GaugeMetricFamily("studio_queue_waiting", "Videos waiting in the studio's queue.", labels=["model"])
        rows = Generation.objects.values("model_id", "status").annotate(n=Count("pk")).order_by()
        waiting_by_model = dict.fromkeys(slugs.values(), 0)
        for row in rows:
            slug = slugs.get(row["model_id"], "unknown")
            videos.add_metric([slug, row["status"]], row["n"])
            if row["status"] == Generation.Status.WAITING:
                waiting_by_model[slug] = waiting_by_model.get(slug, 0) + row["n"]
        for slug, n in waiting_by_model.items():
            waiting.add_metric([slug], n)
        yield videos
        yield waiting

        failures = GaugeMetricFamily(
            "studio_video_failures", "Failed videos by model and failure code.", labels=["model", "code"]
        )
        failed = (
            Generation.objects.filter(status=Generation.Status.FAILED)
            .values("model_id", "error_code")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in failed:
            failures.add_metric([slugs.get(row["model_id"], "unknown"), row["error_code"] or "unknown"], row["n"])
        yield failures

        state = GaugeMetricFamily(
            "studio_model_state",
            "1 for each model's valve state now: open, slowed (breaker) or paused.",
            labels=["model", "state"],
        )
        now = time.time()
        moment = timezone.now()
        for model in models:
            current = health.state_of(model, moment)
            for name in (health.OPEN, health.SLOWED, health.PAUSED):
                state.add_metric([model.slug, name], 1 if name == current else 0)
        yield state

        deliveries = GaugeMetricFamily(
            "studio_webhook_deliveries", "Webhook deliveries kept, by result.", labels=["result"]
        )
        for row in WebhookDelivery.objects.values("status").annotate(n=Count("pk")).order_by():
            deliveries.add_metric([row["status"]], row["n"])
        yield deliveries

        credits = GaugeMetricFamily("studio_credits", "Credits moved by the ledger, by kind of entry.", labels=["kind"])
        sums = dict(CreditEntry.objects.values("kind").annotate(total=Sum(Abs("amount"))).values_list("kind", "total"))
        for kind in CreditEntry.Kind.values:
            credits.add_metric([kind], float(sums.get(kind) or 0))
        yield credits

        beat = health.last_beat()
        yield GaugeMetricFamily(
            "studio_cluster_silent_seconds",
            "Seconds since a cluster's sweeper was last heard from (-1: never).",
            value=now - beat.timestamp() if beat else -1,
        )


def render():
    registry = CollectorRegistry()
    registry.register(StudioCollector())
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(_Latency())
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _Latency:
    def collect(self):
        return LATENCY.collect()


class TimeRequests:
    """Middleware: each request's time, labelled by its route's name (never its path: no ids or tokens)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = getattr(request, "route_name", None) or ((match.url_name or match.view_name) if match else "unrouted")
        REQUEST_SECONDS.labels(route=route or "unnamed").observe(time.perf_counter() - started)
        return response
