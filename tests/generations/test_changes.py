"""The change mark the dashboard's poller checks: it moves after every committed change a card
shows, and only then."""

from django.utils import timezone

from generations import changes
from tests.generations.videos import make_generation


def test_the_mark_moves_after_a_change_is_committed_and_never_comes_back(owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        gen = make_generation(owner)
    marks = [changes.current(owner.pk)]
    with django_capture_on_commit_callbacks(execute=False) as pending:
        gen.mark_running(progress=30, next_poll_at=timezone.now())
    assert changes.current(owner.pk) == marks[-1]  # not before the commit
    for callback in pending:
        callback()
    marks.append(changes.current(owner.pk))
    with django_capture_on_commit_callbacks(execute=True):
        gen.mark_running(progress=60, next_poll_at=timezone.now())
    marks.append(changes.current(owner.pk))
    assert len(set(marks)) == 3


def test_a_poll_error_changes_nothing_shown_and_leaves_the_mark(owner, django_capture_on_commit_callbacks):
    gen = make_generation(owner)
    before = changes.current(owner.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert gen.mark_poll_error(next_poll_at=timezone.now())
    assert changes.current(owner.pk) == before


def test_each_creator_has_a_mark_of_their_own(owner, outsider, django_capture_on_commit_callbacks):
    theirs = changes.current(outsider.pk)
    with django_capture_on_commit_callbacks(execute=True):
        make_generation(owner)
    assert changes.current(outsider.pk) == theirs != changes.current(owner.pk)


def test_a_lost_mark_is_made_again_different(owner):
    from django.core.cache import cache

    before = changes.current(owner.pk)
    cache.clear()
    assert changes.peek(owner.pk) is None
    assert changes.current(owner.pk) not in ("", before)


def test_a_kept_read_of_the_file_cache_sees_every_write_at_once(tmp_path):
    from django.core.cache.backends.filebased import FileBasedCache

    from lib.file_cache import KeptFileBasedCache

    reader, writer = KeptFileBasedCache(str(tmp_path), {}), FileBasedCache(str(tmp_path), {})
    assert reader.kept_get("changes:1") is None
    for mark in ("a1", "b2", "c3"):
        writer.set("changes:1", mark, 60)  # another process's write: only the file is shared
        assert [reader.kept_get("changes:1") for _ in range(3)] == [mark] * 3
    writer.set("changes:1", "d4", -1)  # expired as it is written
    assert reader.kept_get("changes:1") is None and reader.kept_get("changes:1", "") == ""
    writer.set("changes:1", "e5", 60)
    writer.delete("changes:1")
    assert reader.kept_get("changes:1") is None
