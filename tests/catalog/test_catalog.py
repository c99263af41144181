"""The model catalog, an app at the bottom: sizes as a value with one meaning of HD, one price per kind,
the table and the plans' links kept where they were, and nothing imported from above."""

import ast
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.models import Plan
from accounts.offer import Offer
from accounts.plans import PlanLimit
from catalog.models import CatalogModel
from catalog.sizes import VideoSize, is_hd

ROOT = Path(__file__).resolve().parent.parent.parent


def test_a_size_is_read_once_with_its_shape_label_and_hd():
    landscape, portrait = VideoSize.parse("1920x1080"), VideoSize.parse("720x1280")
    assert (landscape.width, landscape.height, str(landscape)) == (1920, 1080, "1920x1080")
    assert landscape.is_hd and not landscape.is_portrait and landscape.label == "Landscape 1080p"
    assert portrait.is_portrait and not portrait.is_hd and portrait.label == "Portrait 720p"
    assert VideoSize.parse("1440x1440").label == "1440x1440"
    assert str(VideoSize.natural(portrait=True)) == "720x1280"
    assert is_hd("1080x1920") and not is_hd("1280x720") and not is_hd("big")
    with pytest.raises(ValueError):
        VideoSize.parse("1280 by 720")


def test_hd_means_one_thing_for_the_price_and_for_the_plan(db):
    """A size past 720p costs the HD rate and is what a 720p plan leaves out, whatever its shape."""
    veo = CatalogModel.objects.get(slug="veo")
    veo.sizes = [*veo.sizes, "1440x1440"]
    free = Offer(Plan.objects.get(slug="free"))
    for size in ("1920x1080", "1080x1920", "1440x1440"):
        assert veo.price(5, size) == 12  # 2.4 a second
        assert size not in free.sizes(veo)
    assert veo.price(5, "1280x720") == 10 and "1280x720" in free.sizes(veo)


def test_pictures_are_priced_by_the_one_picture_price(db):
    nano = CatalogModel.objects.get(slug="gemini-2.5-flash-image")
    assert nano.image_price(3) == 6
    nano.credits_per_image = Decimal("1.5")
    assert nano.image_price(3) == 5  # whole credits, half up, like a video's price


def test_the_catalog_keeps_its_table_and_the_plans_their_links(db):
    assert CatalogModel._meta.db_table == "generations_catalogmodel"
    assert Plan.allowed_models.through._meta.db_table == "accounts_plan_allowed_models"
    assert "generations_catalogmodel" in connection.introspection.table_names()
    assert set(Plan.objects.get(slug="free").allowed_models.values_list("slug", flat=True)) == {
        "wan",
        "gemini-2.5-flash-image",
    }
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)  # the models and migrations agree
    assert "No changes detected" in out.getvalue()


def test_a_refusal_carries_numbers_not_sentences(db):
    with pytest.raises(PlanLimit) as refusal:
        Offer(Plan.objects.get(slug="free")).check(CatalogModel.objects.get(slug="wan"), 10, "1280x720")
    assert (refusal.value.reason, refusal.value.facts) == ("duration", {"plan": "Free", "max_duration": 8})


def _imports(folder):
    """Every module a folder's code imports (function-local ones too), migrations and tests aside."""
    found = set()
    for path in (ROOT / folder).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {(path.name, a.name) for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add((path.name, node.module))
                found |= {(path.name, f"{node.module}.{a.name}") for a in node.names}
    return found


def _reaching(imports, *packages):
    return sorted((name, module) for name, module in imports if module.split(".")[0] in packages)


def test_the_catalog_and_accounts_import_only_downwards():
    assert _reaching(_imports("catalog"), "accounts", "generations", "studio", "api", "webhooks", "pixapi") == []
    assert _reaching(_imports("accounts"), "generations", "studio", "api", "webhooks") == []
    # The words for creators are the pages' own: the ledger, the plans and the models never import them.
    low = [(n, m) for n, m in _imports("accounts") if n in ("models.py", "credits.py", "plans.py", "offer.py")]
    assert [m for _, m in low if m == "accounts.words"] == []
