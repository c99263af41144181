"""Old webhook deliveries and expired exports are pruned on a schedule the migrations make."""

from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django_q.models import Schedule

from generations.models import LibraryExport
from tests.conftest import rerun_data_migration
from webhooks import tasks as webhook_tasks
from webhooks.models import WebhookDelivery, WebhookEndpoint
from worker import tasks as worker_tasks


def _delivery(endpoint, age, status):
    made = timezone.now() - age
    return WebhookDelivery.objects.create(
        endpoint=endpoint, event="webhook.test", body="{}", status=status, created_at=made, give_up_at=made
    )


def test_deliveries_older_than_30_days_are_pruned(owner, settings):
    settings.WEBHOOKS_KEEP_DAYS = 30
    endpoint = WebhookEndpoint.objects.create(user=owner, url="https://hooks.example.com/", events=["video.failed"])
    old = _delivery(endpoint, timedelta(days=31), WebhookDelivery.SUCCEEDED)
    old_failed = _delivery(endpoint, timedelta(days=40), WebhookDelivery.FAILED)
    recent = _delivery(endpoint, timedelta(days=29), WebhookDelivery.SUCCEEDED)

    assert webhook_tasks.prune() == 2

    assert list(WebhookDelivery.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not WebhookDelivery.objects.filter(pk__in=[old.pk, old_failed.pk]).exists()


def test_finished_exports_past_their_expiry_are_pruned(owner, settings, media_root):
    settings.EXPORT_LINK_HOURS = 48
    long_ago = timezone.now() - timedelta(hours=49)
    old_name = default_storage.save(f"exports/{owner.pk}/{long_ago:%Y%m%d%H%M%S}-aa.zip", ContentFile(b"zip"))
    new_name = default_storage.save(f"exports/{owner.pk}/{timezone.now():%Y%m%d%H%M%S}-bb.zip", ContentFile(b"zip"))
    old = LibraryExport.objects.create(
        user=owner, kind="library", title="library", status="ready", file_name=old_name, finished_at=long_ago
    )
    new = LibraryExport.objects.create(
        user=owner, kind="library", title="library", status="ready", file_name=new_name, finished_at=timezone.now()
    )

    worker_tasks.remove_expired_exports()

    assert not default_storage.exists(old_name) and default_storage.exists(new_name)
    assert list(LibraryExport.objects.values_list("pk", flat=True)) == [new.pk]
    assert not LibraryExport.objects.filter(pk=old.pk).exists()


def test_the_migrations_schedule_the_pruning(db):
    Schedule.objects.filter(name__in=["webhook-prune", "export-prune"]).delete()
    rerun_data_migration("webhooks", "0003_prune_schedule")
    rerun_data_migration("generations", "0017_export_prune_schedule")
    found = {s.name: (s.func, s.schedule_type) for s in Schedule.objects.filter(name__endswith="-prune")}
    assert found == {
        "webhook-prune": ("webhooks.tasks.prune", Schedule.DAILY),
        "export-prune": ("worker.tasks.remove_expired_exports", Schedule.HOURLY),
    }
