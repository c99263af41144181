"""Tests marked `redis` need the machine's real Redis (REDIS_URL) and a database another process can
share (PostgreSQL). On a SQLite run they are deselected, as tests/scale/ does with its own (the
run's summary says so, tests/conftest.py); CI's second pass (.ci/run) runs them."""

_deselected = []


def pytest_configure(config):
    config.addinivalue_line("markers", "redis: needs REDIS_URL and PostgreSQL (deselected on SQLite runs)")


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    if settings.DATABASE_IS_POSTGRES and settings.REDIS_URL:
        return
    chosen = []
    for item in items:
        (_deselected if item.get_closest_marker("redis") else chosen).append(item)
    if _deselected:
        config.hook.pytest_deselected(items=_deselected)
        items[:] = chosen
