"""The models the studio offers at first. Seeded by a migration (generations 0002), then edited in admin."""

from decimal import Decimal
from typing import Any

SIZES = ["1280x720", "720x1280", "1920x1080", "1080x1920"]

CATALOG = [
    dict(
        slug="veo",
        name="Veo",
        position=1,
        image_to_video=True,
        guide="Google's model. The most lifelike motion, light and faces; best for realistic scenes.",
        durations=[4, 5, 6, 7, 8],
        sizes=SIZES,
        credits_per_second=Decimal("2"),
        credits_per_second_hd=Decimal("2.4"),
        typical_seconds=90,
    ),
    dict(
        slug="wan",
        name="Wan",
        position=2,
        image_to_video=True,
        guide="Quick and affordable, with the widest choice of lengths (2 to 15 seconds). Good for drafts and loops.",
        durations=list(range(2, 16)),
        sizes=SIZES,
        credits_per_second=Decimal("2"),
        typical_seconds=60,
    ),
    dict(
        slug="kling",
        name="Kling",
        position=3,
        image_to_video=True,
        guide="Strong, smooth camera moves and stylised looks. Makes 5 or 10 second clips.",
        durations=[5, 10],
        sizes=SIZES,
        credits_per_second=Decimal("2.24"),
        typical_seconds=120,
    ),
    dict(
        slug="gemini-2.5-flash-image",
        name="Nano Banana",
        kind="image",
        position=10,
        text_to_video=False,
        guide="Fast, detailed pictures from a few words.",
        sizes=["1024x1024", "1536x1024", "1024x1536"],
        credits_per_image=Decimal("2"),
        typical_seconds=10,
    ),
    dict(
        slug="gpt-image-2",
        name="GPT Image",
        kind="image",
        position=11,
        text_to_video=False,
        guide="Careful, precise pictures that follow long descriptions.",
        sizes=["1024x1024", "1536x1024", "1024x1536"],
        credits_per_image=Decimal("4"),
        typical_seconds=20,
    ),
]


def seed_catalog(catalog_model: Any) -> None:
    # `catalog_model` is the migration's historical model: a class made at run time, of no type mypy knows.
    """Adds the models that are missing; leaves the ones an operator edited alone."""
    for entry in CATALOG:
        catalog_model.objects.get_or_create(slug=entry["slug"], defaults=entry)
