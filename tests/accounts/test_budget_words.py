"""The over-budget sentence is written once, in accounts/words.py: every page says it through
words.over_budget (or budget_warning, or refusal), so it cannot drift."""

from pathlib import Path

from accounts import words

ROOT = Path(__file__).resolve().parents[2]
APPS = [
    "accounts",
    "api",
    "batches",
    "compare",
    "generations",
    "library",
    "storyboards",
    "studio",
    "templates",
    "static",
]


def test_the_sentence_is_written_in_words_only():
    found = [
        str(path.relative_to(ROOT))
        for app in APPS
        for path in (ROOT / app).rglob("*")
        if path.suffix in (".py", ".html", ".js") and "spending to" in path.read_text(errors="replace")
    ]
    assert found == ["accounts/words.py"]


def test_one_sentence_whatever_is_asked_for():
    facts = {"cost": 8, "spent": 4, "budget": 10, "what": "video"}
    assert words.over_budget(facts) == (
        "This video (8 credits) would take this month's spending to 12 credits, past your monthly budget of 10 credits."
    )
    assert words.over_budget(facts, "These 2 shots").startswith("These 2 shots (8 credits) would take")
    assert words.over_budget({**facts, "what": "pictures"}).startswith("These pictures (8 credits)")
