"""The credit packs the studio starts with: seeded by a migration (and the tests), then edited in admin."""

PACKS = [
    dict(name="Starter pack", credits=1000, price=1000, currency="usd", position=1),
    dict(name="Studio pack", credits=5000, price=4500, currency="usd", position=2),
]


def seed_packs(pack_model):
    """Adds the packs that are missing (by credits); leaves the ones an operator edited alone."""
    for entry in PACKS:
        pack_model.objects.get_or_create(credits=entry["credits"], defaults=entry)
