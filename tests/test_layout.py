"""No top-level app holds more than a quarter of the product's Python (migrations aside), so the video
core cannot quietly grow back into everything; the import rules are import-linter's (`make lint`)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOT_PRODUCT = {"tests", "bench", "bin", "docs", "static", "templates", "staticfiles", "var", "media"}


def lines_per_app():
    counts = {}
    for app in ROOT.iterdir():
        if app.name in NOT_PRODUCT or app.name.startswith(".") or not (app / "__init__.py").exists():
            continue
        counts[app.name] = sum(
            len(path.read_text().splitlines()) for path in app.rglob("*.py") if "migrations" not in path.parts
        )
    return counts


def test_the_apps_are_counted():
    counts = lines_per_app()
    assert {"generations", "worker", "library", "compare", "storyboards", "batches", "lib", "config"} <= set(counts)
    assert all(count > 0 for count in counts.values())


def test_no_app_holds_more_than_a_quarter_of_the_product():
    counts = lines_per_app()
    total = sum(counts.values())
    too_big = {app: f"{count / total:.0%}" for app, count in counts.items() if count > total / 4}
    assert too_big == {}


def test_forms_live_in_forms_py():
    """A form class sits in its app's forms.py, not in the views or the logic beside them (the admin's own
    forms stay in admin.py, beside the admin classes that use them)."""
    import re

    elsewhere = []
    for path in ROOT.glob("*/*.py"):
        if path.parts[-2] in NOT_PRODUCT or path.name in ("forms.py", "admin.py"):
            continue
        for name in re.findall(r"^class (\w+)\((?:forms\.\w*Form|\w*Form)\):", path.read_text(), re.M):
            elsewhere.append(f"{path.relative_to(ROOT)}: {name}")
    assert elsewhere == []
