"""The lifecycle through a real django-q2 cluster (manage.py cluster in its own processes), on
the test database and the sandbox over real HTTP."""

import pytest
from django.core.files.storage import default_storage

from accounts import credits
from accounts.models import CreditEntry, Plan
from catalog.models import CatalogModel
from generations.models import Generation
from generations.starting import start_generation
from lib import media
from sandbox import stats
from sandbox.models import SandboxTask
from tests.conftest import wait_for


def status_of(gen):
    gen.refresh_from_db()
    return gen.status


@pytest.mark.django_db(transaction=True)
def test_a_real_cluster_takes_a_generation_to_completed(owner, cluster, settings):
    settings.PIXAPI_SANDBOX_SECONDS = 1
    stats.reset()
    gen, _ = start_generation(
        owner,
        model=CatalogModel.objects.get(slug="wan"),
        prompt="Paper boats on a pond",
        duration=2,
        size="1280x720",
    )
    wait_for(lambda: status_of(gen) in Generation.FINISHED, timeout=90, message=f"completion\n{cluster.log()}")
    assert gen.status == Generation.Status.COMPLETED, gen.error_detail
    assert gen.video and gen.poster
    assert stats.snapshot()["routes"]["submit_video"] == 1


@pytest.mark.django_db(transaction=True)
def test_killing_the_cluster_mid_generation_loses_nothing_and_submits_once(owner, cluster, settings):
    settings.PIXAPI_SANDBOX_SECONDS = 4  # the first look (1 s) sees them running, the kill comes before the end
    stats.reset()
    wan = CatalogModel.objects.get(slug="wan")
    gens = [
        start_generation(owner, model=wan, prompt=f"Lanterns over a river, take {i}", duration=2, size="1280x720")[0]
        for i in range(3)
    ]
    wait_for(
        lambda: all(status_of(g) == Generation.Status.RUNNING for g in gens),
        timeout=60,
        message=f"all running\n{cluster.log()}",
    )

    cluster.kill()
    cluster.start()

    wait_for(
        lambda: all(status_of(g) in Generation.FINISHED for g in gens),
        timeout=120,
        message=f"all finished after the restart\n{cluster.log()}",
    )
    assert [g.status for g in gens] == [Generation.Status.COMPLETED] * 3
    assert stats.snapshot()["routes"]["submit_video"] == 3
    assert len({g.pixapi_task_id for g in gens}) == 3


def free_creator_asks_for_five(owner):
    owner.plan = Plan.objects.get(slug="free")  # two places at once
    owner.save(update_fields=["plan"])
    wan = CatalogModel.objects.get(slug="wan")
    return [
        start_generation(owner, model=wan, prompt=f"Kites over a beach, take {i}", duration=2, size="1280x720")[0]
        for i in range(5)
    ]


def statuses(gens):
    return [status_of(g) for g in gens]


def within_the_plan(gens):
    """The five's statuses now; never more than the plan's two at once at Pixapi or saving."""
    now = statuses(gens)
    assert sum(s in Generation.SLOT_HOLDERS for s in now) <= 2, now
    return now


def two_run_three_wait(gens):
    now = within_the_plan(gens)
    making = sum(s in Generation.POLLED for s in now)  # submitted or running: "Making" on their cards
    return making == 2 and now.count(Generation.Status.WAITING) == 3


@pytest.mark.parametrize("kill", [False, True], ids=["undisturbed", "cluster-killed-while-two-run-three-wait"])
@pytest.mark.django_db(transaction=True)
def test_a_free_creators_five_videos_two_run_three_wait_all_end_playable_each_submitted_once(
    owner, cluster, settings, kill
):
    settings.PIXAPI_SANDBOX_SECONDS = 3  # the first two stay at Pixapi long enough to be seen there together
    stats.reset()
    gens = free_creator_asks_for_five(owner)
    wait_for(lambda: two_run_three_wait(gens), timeout=60, message=f"two running, three waiting\n{cluster.log()}")

    if kill:
        cluster.kill()  # SIGKILL, the whole process group, as an OOM kill would
        now = within_the_plan(gens)
        assert now.count(Generation.Status.WAITING) == 3 and sum(s in Generation.SLOT_HOLDERS for s in now) == 2
        cluster.start()  # a new cluster: its sweeper takes over the two at Pixapi, its valve the three waiting
    settings.PIXAPI_SANDBOX_SECONDS = 1  # the three waiting are sent later: short tasks will do

    wait_for(
        lambda: all(s in Generation.FINISHED for s in within_the_plan(gens)),
        timeout=180,
        every=0.5,
        message=f"all five finished\n{cluster.log()}",
    )
    assert statuses(gens) == [Generation.Status.COMPLETED] * 5, [g.error_detail for g in gens]
    for gen in gens:  # playable: the stored file opens as a video, with its first frame
        info, poster = media.probe_video(default_storage.path(gen.video.name))
        assert info["width"] == 1280 and info["height"] == 720 and poster
    # Each submitted exactly once: five submits, five tasks at the sandbox, one per video.
    assert stats.snapshot()["routes"]["submit_video"] == 5
    assert SandboxTask.objects.count() == 5
    assert sorted(SandboxTask.objects.values_list("pk", flat=True)) == sorted(g.pixapi_task_id for g in gens)
    # The ledger balances, and each video was charged once, its price.
    entries = CreditEntry.objects.filter(user=owner)
    assert sum(entries.values_list("amount", flat=True)) == credits.balance_of(owner)
    for gen in gens:
        charges = entries.filter(kind=CreditEntry.Kind.CHARGE, reference=gen.ledger_reference)
        assert list(charges.values_list("amount", flat=True)) == [-gen.cost]
    for gen in gens:  # nothing of it still held: its hold returned as it was spent
        assert sum(entries.filter(reference=gen.ledger_reference).values_list("amount", flat=True)) == -gen.cost
    given = entries.filter(kind__in=[CreditEntry.Kind.GRANT, CreditEntry.Kind.ALLOWANCE])
    assert credits.balance_of(owner) == sum(given.values_list("amount", flat=True)) - sum(g.cost for g in gens)
