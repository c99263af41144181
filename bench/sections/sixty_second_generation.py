"""One generation the sandbox takes 60 s to make, watched the way the dashboard watches it (its poller, once a
second): Pixapi calls, and how long after the sandbox finished the poller first answered with the playable
video.
"""

import re
import time

from bench.common import bench_user, logged_in_client


def sixty_second_generation(stack):
    from django.utils import timezone

    from generations.models import CatalogModel
    from generations.starting import start_generation
    from generations.updates import token
    from sandbox.models import SandboxTask

    user = bench_user("bench@studio.local")
    since = token(timezone.now())
    gen, _ = start_generation(
        user,
        model=CatalogModel.objects.get(slug="veo"),
        prompt="A slow sunrise over the sea [sandbox:seconds=60]",
        duration=4,
        size="1280x720",
    )
    tab = logged_in_client(stack, user)
    shown_at = None
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:  # the dashboard's poller: once a second
        answer = tab.get("/generations/poll/", params={"since": since, "have": str(gen.pk)})
        if answer.status_code == 200:
            since = re.search(r'name="since" value="(\d+)"', answer.text).group(1)
            if "<video" in answer.text:
                shown_at = timezone.now()
                break
        time.sleep(1)
    gen.refresh_from_db()
    if shown_at is None:
        raise RuntimeError(f"The generation did not finish: {gen.status} {gen.error_detail}")
    task = SandboxTask.objects.get(pk=gen.pixapi_task_id)
    finished = task.created_at.timestamp() + task.seconds
    # The studio counts its own status calls per generation (the sandbox's counter lives in each
    # gunicorn worker's memory, so it only sees part of the traffic).
    return {
        "pixapi_calls": 1 + gen.polls,
        "status_polls": gen.polls,
        "shown_after_finish_s": round(shown_at.timestamp() - finished, 2),
        "stored_after_finish_s": round(gen.finished_at.timestamp() - finished, 2),
        "status": gen.status,
    }


EXPLAIN = [
    (
        "sixty_second_generation",
        "pixapi_calls",
        "Pixapi calls for one 60 s generation; limit: under 10.",
        lambda v: v < 10,
    ),
    (
        "sixty_second_generation",
        "shown_after_finish_s",
        "Seconds from the sandbox finishing to the dashboard showing the video; limit: 3.",
        lambda v: v <= 3,
    ),
]
