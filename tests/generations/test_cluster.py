"""The lifecycle through a real django-q2 cluster (manage.py cluster in its own processes), on
the test database and the sandbox over real HTTP."""

import pytest

from catalog.models import CatalogModel
from generations.models import Generation
from generations.starting import start_generation
from sandbox import stats
from tests.conftest import wait_for


def status_of(gen):
    gen.refresh_from_db()
    return gen.status


@pytest.mark.django_db(transaction=True)
def test_a_real_cluster_takes_a_generation_to_completed(owner, cluster, settings):
    settings.PIXAPI_SANDBOX_SECONDS = 2
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
    settings.PIXAPI_SANDBOX_SECONDS = 8
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
