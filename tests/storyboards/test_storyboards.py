"""Storyboards through the real path: the sandbox over HTTP, the worker's task functions driven in this
process (tests/browser/test_storyboard_browser.py runs a board through a real cluster)."""

import io
import time
from concurrent.futures import ThreadPoolExecutor

import av
import pytest
from PIL import Image, ImageChops, ImageStat

from accounts import credits
from accounts.models import CreditEntry
from catalog.models import CatalogModel
from generations.models import Generation, Shot, Storyboard, StoryboardExport
from lib import media
from sandbox.models import SandboxTask
from storyboards import boards as storyboards
from storyboards import continuing
from storyboards import export as storyboard_export
from tests.worker.test_lifecycle import fast_sandbox  # noqa: F401 (a fixture)
from worker import lifecycle, sweeper

Status = Generation.Status


def run_tasks(queue):
    while queue:
        name, args = queue.pop(0)
        if name == "submit_generation":
            lifecycle.submit(*args)
        elif name == "download_result":
            lifecycle.download(*args)
        elif name == "continue_shots":
            gen = Generation.objects.get(pk=args[0])
            continuing.after_stored(gen)
        elif name == "export_storyboard":
            storyboard_export.run(*args)


def drive_all(gens, queue, timeout=60):
    """Runs submits, poll rounds, downloads and the queue until every one of `gens` has finished."""
    from generations import queue as studio_queue

    deadline = time.monotonic() + timeout
    with ThreadPoolExecutor(4) as pool:
        while time.monotonic() < deadline:
            run_tasks(queue)
            sweeper.housekeeping()
            studio_queue.dispatch()
            run_tasks(queue)
            sweeper.poll_once(pool, 10)
            run_tasks(queue)
            for gen in gens:
                gen.refresh_from_db()
            if all(gen.status in Generation.FINISHED for gen in gens):
                return gens
            time.sleep(0.05)
    raise AssertionError(f"Still going: {[(g.prompt, g.status) for g in gens]}")


def board_of(user, *shots, size="1280x720"):
    board = Storyboard.objects.create(user=user, title="A walk through the dunes", size=size)
    for slug, duration, start, prompt in shots:
        storyboards.add_shot(
            board, prompt=prompt, model=CatalogModel.objects.get(slug=slug), duration=duration, start=start
        )
    return board


def mean_difference(a, b):
    return sum(ImageStat.Stat(ImageChops.difference(a.convert("RGB"), b.convert("RGB"))).mean) / 3


@pytest.mark.django_db(transaction=True)
def test_a_three_model_board_continues_each_shot_from_the_last_frame_of_the_one_before(owner, fast_sandbox, queue):
    board = board_of(
        owner,
        ("veo", 4, Shot.Start.TEXT, "A lantern lit on a dune at dusk"),
        ("wan", 3, Shot.Start.CONTINUE, "The camera rises over the dunes"),
        ("kling", 5, Shot.Start.CONTINUE, "Stars come out above the lantern"),
    )
    before = credits.balance_of(owner)

    made = storyboards.make(owner, board)

    # One confirmation held all three, each take its own share; shots 2 and 3 wait for the one before.
    assert [g.model.slug for g in made] == ["veo", "wan", "kling"]
    holds = CreditEntry.objects.filter(user=owner, kind=CreditEntry.Kind.HOLD)
    assert sum(-e.amount for e in holds) == sum(g.cost for g in made) == before - credits.balance_of(owner)
    first, second, third = made
    assert (second.after, third.after) == (first, second)
    assert first.status == Status.QUEUED and second.status == third.status == Status.WAITING
    assert second.turn is None and third.turn is None  # no slot, however free the creator's places

    drive_all(made, queue)

    assert [g.status for g in made] == [Status.COMPLETED] * 3
    for earlier, later in ((first, second), (second, third)):
        asked = SandboxTask.objects.get(pk=later.pixapi_task_id)
        assert asked.created_at >= earlier.finished_at  # submitted only once the shot before was stored
        sent = Image.open(io.BytesIO(bytes(asked.input_image)))
        last = media.frame_of(earlier.video.name, "last")
        assert sent.size == last.size == (1280, 720)
        assert mean_difference(sent, last) < 6  # the same picture, but for JPEG's loss
        assert mean_difference(sent, media.frame_of(earlier.video.name, "first")) > mean_difference(sent, last)
    # Each shot's first stored take is the one its export uses.
    assert [s.chosen_id for s in board.shots.all()] == [g.pk for g in made]
    assert credits.balance_of(owner) == before - sum(g.cost for g in made)


@pytest.mark.django_db(transaction=True)
def test_a_failed_middle_shot_keeps_the_first_returns_its_share_and_make_the_rest_finishes_the_board(
    owner, fast_sandbox, queue, settings
):
    board = board_of(
        owner,
        ("wan", 2, Shot.Start.TEXT, "A red door in a white wall"),
        ("wan", 2, Shot.Start.CONTINUE, "The door opens onto the sea"),
        ("wan", 2, Shot.Start.CONTINUE, "Gulls over the harbour"),
    )
    before = credits.balance_of(owner)
    first, second, third = storyboards.make(owner, board)
    drive_all([first], queue)
    settings.PIXAPI_SANDBOX_FAULTS = "submit:fail-internal*1"  # the next one Pixapi starts ends failed
    # The second starts from the first's frame and fails; the third, which was to continue it, never
    # starts: it is canceled with its credits rather than holding them for a shot that may never come.
    drive_all([second, third], queue)
    assert [g.status for g in (first, second, third)] == [Status.COMPLETED, Status.FAILED, Status.CANCELED]
    assert third.pixapi_task_id is None
    assert credits.balance_of(owner) == before - first.cost  # the failed shot's share back, and the third's

    settings.PIXAPI_SANDBOX_FAULTS = ""
    again = storyboards.make(owner, board)  # "Make the rest": the second and the third, the first kept
    assert [g.shot_id for g in again] == [second.shot_id, third.shot_id]
    assert again[0].after == first and again[1].after == again[0]
    drive_all(again, queue)
    assert [g.status for g in again] == [Status.COMPLETED, Status.COMPLETED]
    assert [s.chosen_id for s in board.shots.all()] == [first.pk, again[0].pk, again[1].pk]
    # Nothing submitted twice: one Pixapi task per take that started, none for the canceled one.
    assert SandboxTask.objects.filter(kind="video").count() == 4
    assert credits.balance_of(owner) == before - first.cost - again[0].cost - again[1].cost
    with pytest.raises(storyboards.ShotRefused, match="Every shot is made"):
        storyboards.make(owner, board)

    # A re-take of one shot: one more take, its earlier ones kept; a second click while it is made, refused.
    shot = Shot.objects.get(pk=first.shot_id)
    (retake,) = storyboards.make(owner, board, only=shot)
    assert retake.shot == shot and retake.after is None and shot.takes.count() == 2
    with pytest.raises(storyboards.ShotRefused, match="A take of this shot is on its way already"):
        storyboards.make(owner, board, only=shot)
    assert shot.takes.count() == 2


@pytest.mark.django_db
def test_a_shot_that_cannot_continue_is_canceled_with_its_credits_when_the_one_before_is(owner, queue):
    board = board_of(
        owner,
        ("wan", 2, Shot.Start.TEXT, "A bicycle leaning on a fence"),
        ("wan", 2, Shot.Start.CONTINUE, "It rolls away down the hill"),
        ("wan", 2, Shot.Start.CONTINUE, "It splashes into the river"),
    )
    before = credits.balance_of(owner)
    first, second, third = storyboards.make(owner, board)
    first.refresh_from_db()
    assert first.mark_failed("service_error", "Pixapi could not make it.")
    second.refresh_from_db()
    third.refresh_from_db()
    assert second.status == third.status == Status.CANCELED  # down the chain, in the same transaction
    assert second.error_message == "The shot before it was not made, so this one did not start. Nothing was charged."
    assert credits.balance_of(owner) == before


@pytest.mark.django_db
def test_make_refuses_in_plain_words_and_holds_nothing(owner, queue):
    before = credits.balance_of(owner)
    board = board_of(owner, ("wan", 2, Shot.Start.CONTINUE, "Nothing before me"))
    with pytest.raises(storyboards.ShotRefused, match="The first shot has nothing before it to continue"):
        storyboards.make(owner, board)
    board = board_of(owner, ("kling", 7, Shot.Start.TEXT, "Seven seconds of Kling"))
    with pytest.raises(storyboards.ShotRefused, match="Kling makes 5, 10 seconds"):
        storyboards.make(owner, board)
    board = board_of(owner, ("wan", 2, Shot.Start.PICTURE, "No picture chosen"))
    with pytest.raises(storyboards.ShotRefused, match="Choose the picture this shot starts from"):
        storyboards.make(owner, board)
    assert Generation.objects.count() == 0
    assert credits.balance_of(owner) == before


@pytest.mark.django_db
def test_not_enough_credits_for_the_whole_board_makes_none_of_it(owner, queue):
    credits.hold(owner, credits.balance_of(owner) - 100, reference="elsewhere")
    board = board_of(owner, *[("veo", 8, Shot.Start.TEXT, f"Shot {i}") for i in range(20)])
    total = storyboards.cost_of(board, list(board.shots.select_related("model")))
    assert total > credits.balance_of(owner) == 100
    with pytest.raises(credits.NotEnoughCredits):
        storyboards.make(owner, board)
    assert Generation.objects.count() == 0 and credits.balance_of(owner) == 100


@pytest.mark.django_db
def test_shots_reorder_by_one_step_and_by_a_drag(owner):
    board = board_of(owner, *[("wan", 2, Shot.Start.TEXT, name) for name in ("One", "Two", "Three")])
    one, two, three = board.shots.all()
    storyboards.move_shot(board, three, -1)
    assert [s.prompt for s in board.shots.all()] == ["One", "Three", "Two"]
    storyboards.move_shot(board, one, -1)  # already first: stays
    assert [s.prompt for s in board.shots.all()] == ["One", "Three", "Two"]
    storyboards.put_in_order(board, [str(two.pk), str(one.pk), "not-a-shot"])
    assert [s.prompt for s in board.shots.all()] == ["Two", "One", "Three"]


@pytest.mark.django_db(transaction=True)
def test_the_export_is_the_chosen_takes_trimmed_in_order_as_one_video(owner, fast_sandbox, queue):
    board = board_of(
        owner,
        ("wan", 2, Shot.Start.TEXT, "A blue kite"),
        ("veo", 4, Shot.Start.TEXT, "A green field"),
        ("wan", 3, Shot.Start.CONTINUE, "The kite lands in the field"),
    )
    made = storyboards.make(owner, board)
    drive_all(made, queue)
    Shot.objects.filter(pk=made[1].shot_id).update(trim_head=0.5, trim_tail=1.0)

    export, created = storyboards.request_export(owner, board)
    assert created and export.version == 1
    assert storyboards.request_export(owner, board) == (export, False)  # a double click: the same one
    run_tasks(queue)
    export.refresh_from_db()
    assert export.status == StoryboardExport.Status.READY and export.mode == "reencode"
    video = export.video
    assert video.status == Status.COMPLETED and video.cost == 0 and video.user == owner
    assert [p["take"] for p in export.parts] == [str(g.pk) for g in made]

    with default_storage_copy(video.video.name) as path, av.open(path) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.width, stream.codec_context.height) == (1280, 720)
        seconds = float(stream.duration * stream.time_base)
        frames = [(frame.time, frame.to_image()) for frame in container.decode(stream)]
    assert seconds == pytest.approx(2 + (4 - 1.5) + 3, abs=0.1)
    # Each part starts with its shot's chosen take at the trimmed start: the frames match, but for the encoding.
    starts, heads = [0, 2, 2 + 2.5], [0, 0.5, 0]
    for start, head, take in zip(starts, heads, made, strict=True):
        first = next(image for time, image in frames if time >= start - 0.01)
        assert mean_difference(first, media.frame_of(take.video.name, "first", at=head or None)) < 6
        if take.shot.start == Shot.Start.TEXT and start:  # a new scene: not the frame before it either
            before = [image for time, image in frames if time < start - 0.01][-1]
            assert mean_difference(before, media.frame_of(take.video.name, "first", at=head or None)) > 6
    assert video.video_seconds == pytest.approx(seconds, abs=0.1)

    # Exporting again after a change makes a new version; the first stays.
    Shot.objects.filter(pk=made[1].shot_id).update(trim_head=0, trim_tail=0)
    second, created = storyboards.request_export(owner, board)
    assert created and second.version == 2
    run_tasks(queue)
    second.refresh_from_db()
    assert second.video.video_seconds == pytest.approx(9, abs=0.1)
    assert StoryboardExport.objects.filter(storyboard=board, status="ready").count() == 2


@pytest.mark.django_db
def test_an_export_needs_a_ready_take_of_every_shot(owner, queue):
    board = board_of(owner, ("wan", 2, Shot.Start.TEXT, "A lone tree"))
    with pytest.raises(storyboards.ShotRefused, match="Shot 1 has no ready take yet"):
        storyboards.request_export(owner, board)
    assert not StoryboardExport.objects.exists()


class default_storage_copy:
    """A stored file copied to a local path, for PyAV."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        import shutil
        import tempfile

        from django.core.files.storage import default_storage

        self.tmp = tempfile.NamedTemporaryFile(suffix=".mp4")
        with default_storage.open(self.name, "rb") as source:
            shutil.copyfileobj(source, self.tmp)
        self.tmp.flush()
        return self.tmp.name

    def __exit__(self, *exc):
        self.tmp.close()
