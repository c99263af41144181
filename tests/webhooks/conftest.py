"""Fixtures for the webhook tests: a creator's endpoint on 127.0.0.1, and the broker's messages."""

import pytest

from tests.webhooks.test_webhooks import Receiver
from webhooks import events


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True
    handle = Receiver()
    yield handle
    handle.server.shutdown()


@pytest.fixture
def sent(monkeypatch):
    """Stands in for the broker: the delivery ids the cluster would be handed."""
    ids = []
    monkeypatch.setattr(events, "_send", ids.append)
    return ids
