"""A storyboard made by a real django-q2 cluster that is killed twice mid-board (as a crash or an OOM kill
would): every shot is still made, each continuing from the one before, each submitted to Pixapi once,
and the ledger is exact."""

import pytest

from accounts import credits
from accounts.models import CreditEntry
from catalog.models import CatalogModel
from generations.models import Generation, Shot, Storyboard
from sandbox.models import SandboxTask
from storyboards import boards as storyboards
from tests.conftest import wait_for

Status = Generation.Status


@pytest.mark.django_db(transaction=True)
def test_killing_the_cluster_mid_board_loses_nothing_and_submits_nothing_twice(cluster, owner, settings):
    settings.PIXAPI_SANDBOX_SECONDS = 1
    board = Storyboard.objects.create(user=owner, title="Three shots, two crashes")
    wan = CatalogModel.objects.get(slug="wan")
    for prompt, start in (
        ("A kettle on a stove", Shot.Start.TEXT),
        ("Steam rises from it", Shot.Start.CONTINUE),
        ("The window fogs over", Shot.Start.CONTINUE),
    ):
        storyboards.add_shot(board, prompt=prompt, model=wan, duration=2, start=start)
    before = credits.balance_of(owner)

    first, second, third = storyboards.make(owner, board)

    def sent(gen):
        return Generation.objects.filter(pk=gen.pk, pixapi_task_id__isnull=False).exists()

    for gen in (first, second):  # killed once each shot is at Pixapi, and started again
        wait_for(lambda gen=gen: sent(gen), timeout=90, message=f"{gen.prompt} submitted\n{cluster.log()}")
        cluster.kill()
        cluster.start()

    made = (first, second, third)
    wait_for(
        lambda: Generation.objects.filter(pk__in=[g.pk for g in made], status=Status.COMPLETED).count() == 3,
        timeout=150,
        message=f"the board made\n{cluster.log()}",
    )
    for gen in made:
        gen.refresh_from_db()
    assert SandboxTask.objects.filter(kind="video").count() == 3  # nothing submitted twice
    assert len({g.pixapi_task_id for g in made}) == 3
    assert second.input_picture.from_generation == first and third.input_picture.from_generation == second
    assert [s.chosen_id for s in board.shots.all()] == [g.pk for g in made]
    assert credits.balance_of(owner) == before - sum(g.cost for g in made)
    assert sum(CreditEntry.objects.filter(user=owner).values_list("amount", flat=True)) == credits.balance_of(owner)
