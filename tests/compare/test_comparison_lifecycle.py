"""A three-model comparison through the real path: the sandbox over HTTP, the task functions driven in
this process (tests/browser/test_compare_browser.py runs it through a real cluster)."""

import pytest

from accounts import credits
from accounts.models import CreditEntry
from catalog.models import CatalogModel
from generations.models import Generation
from generations.starting import start_comparison
from sandbox.models import SandboxTask
from tests.worker.test_lifecycle import drive, fast_sandbox  # noqa: F401 (a fixture)


@pytest.mark.django_db(transaction=True)
def test_each_take_asks_pixapi_for_its_own_model_and_a_failed_one_returns_only_its_share(
    owner, fast_sandbox, queue, settings
):
    settings.PIXAPI_SANDBOX_FAULTS = "submit:fail-internal*1"  # the first take Pixapi starts ends failed
    models = [CatalogModel.objects.get(slug=slug) for slug in ("veo", "wan", "kling")]
    before = credits.balance_of(owner)

    comparison, _ = start_comparison(owner, models=models, prompt="A kite over the dunes", duration=6, size="1280x720")
    takes = list(comparison.takes.order_by("queue_position"))
    held = sum(-e.amount for e in CreditEntry.objects.filter(user=owner, kind=CreditEntry.Kind.HOLD))
    assert held == sum(t.cost for t in takes) == before - credits.balance_of(owner)

    takes = [drive(take, queue) for take in takes]

    asked = {(task.model, task.duration) for task in SandboxTask.objects.all()}
    assert asked == {("veo", 6), ("wan", 6), ("kling", 5)}  # each at a length its model makes
    failed = [t for t in takes if t.status == Generation.Status.FAILED]
    made = [t for t in takes if t.status == Generation.Status.COMPLETED]
    assert len(failed) == 1 and len(made) == 2
    assert credits.balance_of(owner) == before - sum(t.cost for t in made)  # only the failed take's share back
    assert sum(CreditEntry.objects.filter(user=owner).values_list("amount", flat=True)) == credits.balance_of(owner)
