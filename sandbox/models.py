"""The sandbox's one table: the tasks it accepted.

A task's progress is driven by the clock: its row holds when it was created and how long it
takes, so any request (from any process, before or after a restart) can tell where it stands
without a worker moving it along.
"""

import math
import time

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

SIGNING_SALT = "sandbox.file"
QUEUED_SHARE = 0.10  # the first tenth of a task's time is spent queued
NEVER_FINISH_STALL = 95  # where a never-finishing task's progress stops
STATUS_ORDER = ["submitted", "queued", "in_progress", "completed", "failed"]


def sign(name, expires):
    return salted_hmac(SIGNING_SALT, f"{name}|{expires}", algorithm="sha256").hexdigest()


def signature_ok(name, expires, sig):
    return constant_time_compare(sign(name, expires), sig or "")


class SandboxTask(models.Model):
    KIND_VIDEO = "video"
    KIND_IMAGE = "image"
    KIND_CHOICES = [(KIND_VIDEO, "Video"), (KIND_IMAGE, "Image")]

    id = models.CharField(primary_key=True, max_length=31)
    api_key = models.CharField(max_length=200, db_index=True, help_text="The account: each key sees only its tasks.")
    kind = models.CharField(max_length=8, choices=KIND_CHOICES)
    model = models.CharField(max_length=40)
    prompt = models.TextField()
    duration = models.PositiveSmallIntegerField(default=0, help_text="Video length in seconds.")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    n = models.PositiveSmallIntegerField(default=1, help_text="Number of images.")
    quality = models.CharField(max_length=8, blank=True)
    input_image = models.BinaryField(null=True, blank=True, help_text="The fetched input image, normalised.")
    input_image_url = models.TextField(blank=True)
    seconds = models.FloatField(help_text="How long the task takes, from creation to its end.")
    faults = models.CharField(max_length=200, blank=True, help_text="Task faults, comma-separated.")
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=16, default="submitted", help_text="The last status a request saw.")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.id} ({self.model})"

    @property
    def fault_set(self):
        return {name for name in self.faults.split(",") if name}

    @property
    def created_ts(self):
        return self.created_at.timestamp()

    @property
    def finishes_ts(self):
        return self.created_ts + self.seconds

    def state(self, now=None):
        """(status, progress) at `now` (unix seconds), from the clock alone."""
        now = time.time() if now is None else now
        elapsed = max(0.0, now - self.created_ts)
        total = self.seconds
        faults = self.fault_set
        if "never-finish" in faults:
            pace = total or 1.0
            if elapsed < QUEUED_SHARE * pace:
                return ("submitted" if elapsed < 0.3 * QUEUED_SHARE * pace else "queued"), 0
            return "in_progress", max(1, min(NEVER_FINISH_STALL, int(100 * elapsed / pace)))
        if elapsed >= total:
            if "fail-rejected" in faults or "fail-internal" in faults:
                return "failed", 99
            return "completed", 100
        if elapsed < 0.3 * QUEUED_SHARE * total:
            return "submitted", 0
        if elapsed < QUEUED_SHARE * total:
            return "queued", 0
        return "in_progress", max(1, min(99, int(100 * elapsed / total)))

    def file_names(self):
        if self.kind == self.KIND_VIDEO:
            return [f"{self.id}.mp4"]
        return [f"{self.id}-{index}.png" for index in range(self.n)]

    def url_expires(self):
        """Unix second after which the result URLs answer 403."""
        if "expire-url" in self.fault_set:
            return int(self.finishes_ts) - 1
        return math.ceil(self.finishes_ts + settings.PIXAPI_SANDBOX_URL_TTL)

    def result_urls(self, file_url):
        """Signed result URLs; `file_url(name)` makes an absolute URL for a file name."""
        expires = self.url_expires()
        return [f"{file_url(name)}?expires={expires}&sig={sign(name, expires)}" for name in self.file_names()]

    def submit_payload(self):
        return {
            "status": "submitted",
            "id": self.id,
            "progress": 0,
            "created_at": int(self.created_ts),
            "model": self.model,
        }

    def as_api(self, file_url, now=None):
        """The task object of GET /v1/tasks/{id}."""
        status, progress = self.state(now)
        data = {
            "id": self.id,
            "status": status,
            "progress": progress,
            "created_at": int(self.created_ts),
            "model": self.model,
        }
        if status in ("completed", "failed"):
            data["completed_at"] = int(self.finishes_ts)
        if status == "completed":
            data["result"] = {
                "created": int(self.finishes_ts),
                "data": [{"url": url} for url in self.result_urls(file_url)],
            }
        if status == "failed":
            if "fail-rejected" in self.fault_set:
                data["error"] = {"code": "prompt_rejected", "message": "The prompt was rejected by moderation."}
            else:
                data["error"] = {"code": "internal_error", "message": "The generation failed. Please try again."}
        return data

    def record_status(self, status):
        """Write down the status a request just saw, once per change (for the admin and the curious).

        Conditional on the stored status being an earlier one, so two requests racing can
        never move it backwards.
        """
        rank = STATUS_ORDER.index(status)
        if rank > STATUS_ORDER.index(self.status):
            SandboxTask.objects.filter(pk=self.pk, status__in=STATUS_ORDER[:rank]).update(status=status)
            self.status = status
