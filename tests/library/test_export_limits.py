"""Exports cannot be queued without limit: one large library export at a time per creator, and caps on
storyboards and their exports per account, each refused in plain words."""

import pytest
from django.urls import reverse

from catalog.models import CatalogModel
from generations import taskqueue
from generations.models import LibraryExport, Storyboard, StoryboardExport
from library import export
from storyboards import boards as storyboards
from tests.generations.videos import make_video

pytestmark = pytest.mark.usefixtures("media_root")


@pytest.fixture
def queued(monkeypatch):
    calls = []
    monkeypatch.setattr(taskqueue, "enqueue", lambda *args: calls.append(args))
    return calls


def test_pressing_export_again_points_to_the_running_one_instead_of_queueing_another(
    client, owner, outsider, settings, queued
):
    settings.EXPORT_STREAM_MAX_VIDEOS = 1
    for i in range(2):
        make_video(owner, prompt=f"Harbour scene {i}")
        make_video(outsider, prompt=f"Dunes {i}")
    client.force_login(owner)

    first = client.post(reverse("library_export"), follow=True).content.decode()
    pages = [client.post(reverse("library_export"), follow=True).content.decode() for _ in range(3)]

    assert "we are putting it together" in first
    assert len(queued) == 1 and LibraryExport.objects.filter(user=owner).count() == 1
    assert "Your export of your library, asked for at" in pages[-1]
    assert "is still being put together" in pages[-1] and owner.email in pages[-1]

    client.force_login(outsider)  # another creator's export is their own
    client.post(reverse("library_export"))
    assert len(queued) == 2

    running = LibraryExport.objects.get(user=owner)
    export.export_to_storage(*queued[0][1:])
    running.refresh_from_db()
    assert running.status == LibraryExport.Status.READY and running.file_name.startswith("exports/")
    client.force_login(owner)
    client.post(reverse("library_export"))
    assert len(queued) == 3  # the first is done: a new one may start


def test_storyboards_per_account_are_capped(client, owner, settings):
    settings.STORYBOARDS_PER_ACCOUNT = 2
    client.force_login(owner)
    for title in ("One", "Two", "Three"):
        page = client.post(reverse("storyboard_new"), {"title": title, "size": "1280x720"})
    assert page.status_code == 409
    assert "You have 2 storyboards, the most an account may keep" in page.content.decode()
    assert Storyboard.objects.filter(user=owner).count() == 2


def test_storyboard_exports_per_account_are_capped(owner, settings, queued):
    settings.STORYBOARD_EXPORTS_PER_ACCOUNT = 2
    board = Storyboard.objects.create(user=owner, title="A walk")
    shot = storyboards.add_shot(board, prompt="A lantern", model=CatalogModel.objects.get(slug="wan"), duration=2)
    storyboards.choose(shot, make_video(owner, prompt="A lantern", shot=shot))
    for _ in range(2):
        made, _ = storyboards.request_export(owner, board)
        made.mark_ready(None, "remux")

    with pytest.raises(storyboards.ShotRefused, match="You have made 2 storyboard exports, the most an account"):
        storyboards.request_export(owner, board)
    assert StoryboardExport.objects.filter(storyboard__user=owner).count() == 2
