"""Stitching a storyboard's shots into one video: real clips made with PyAV, the output decoded back."""

import av
import pytest
from PIL import Image, ImageStat

from storyboards.stitching import Part, StitchError, stitch

RED, GREEN, BLUE = (210, 40, 40), (40, 200, 60), (40, 60, 210)


def make_clip(path, colour, *, seconds=1.0, size=(320, 180), fps=24):
    """An H.264 MP4 of one solid colour, made the way the sandbox makes its videos."""
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps, options={"preset": "ultrafast", "crf": "18"})
        stream.width, stream.height, stream.pix_fmt = *size, "yuv420p"
        picture = Image.new("RGB", size, colour)
        for index in range(round(seconds * fps)):
            frame = av.VideoFrame.from_image(picture)
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return str(path)


def decoded(path):
    """(width, height, seconds, [(time, mean colour)]) of a video, read back frame by frame."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = [(float(f.pts * f.time_base), mean(f)) for f in container.decode(stream)]
        rate = float(stream.average_rate)
        return stream.codec_context.width, stream.codec_context.height, frames, rate


def mean(frame):
    return tuple(ImageStat.Stat(frame.to_image()).mean)


def colour_at(frames, second):
    return min(frames, key=lambda item: abs(item[0] - second))[1]


def close_to(colour, expected, tolerance=12):
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=True))


def length(frames, rate):
    return frames[-1][0] - frames[0][0] + 1 / rate


@pytest.fixture
def clips(tmp_path):
    return {
        "red": make_clip(tmp_path / "red.mp4", RED),
        "green": make_clip(tmp_path / "green.mp4", GREEN, seconds=1.5),
        "blue": make_clip(tmp_path / "blue.mp4", BLUE),
    }


def test_identical_shots_are_copied_one_after_the_other(clips, tmp_path):
    out = tmp_path / "board.mp4"
    result = stitch([Part(clips["red"]), Part(clips["green"]), Part(clips["blue"])], out, width=320, height=180)

    assert result["mode"] == "remux"
    assert result["seconds"] == pytest.approx(3.5, abs=0.1)
    assert result["frames"] == 84
    assert result["starts"] == pytest.approx([0, 1, 2.5], abs=0.05)
    width, height, frames, rate = decoded(out)
    assert (width, height) == (320, 180)
    assert len(frames) == 84
    assert length(frames, rate) == pytest.approx(3.5, abs=0.1)
    for start, colour in zip(result["starts"], (RED, GREEN, BLUE), strict=True):
        assert close_to(colour_at(frames, start), colour)
    assert [t for t, _ in frames] == sorted(t for t, _ in frames)


def test_a_trim_re_encodes_and_shortens_the_board(clips, tmp_path):
    out = tmp_path / "board.mp4"
    parts = [Part(clips["red"], tail=0.25), Part(clips["green"], head=0.5), Part(clips["blue"], head=0.2, tail=0.2)]
    result = stitch(parts, out, width=320, height=180)

    assert result["mode"] == "reencode"
    expected = 0.75 + 1.0 + 0.6
    assert result["seconds"] == pytest.approx(expected, abs=0.1)
    width, height, frames, rate = decoded(out)
    assert (width, height) == (320, 180)
    assert rate == 24
    assert length(frames, rate) == pytest.approx(expected, abs=0.1)
    assert result["starts"] == pytest.approx([0, 0.75, 1.75], abs=0.05)
    for start, colour in zip(result["starts"], (RED, GREEN, BLUE), strict=True):
        assert close_to(colour_at(frames, start), colour)
    # The frames' times follow each other at the board's rate, across the joins too.
    times = [t for t, _ in frames]
    assert all(abs((b - a) - 1 / 24) < 0.002 for a, b in zip(times, times[1:]))


def test_a_shot_of_another_size_is_fitted_to_the_board(clips, tmp_path):
    square = make_clip(tmp_path / "square.mp4", GREEN, size=(240, 240))
    out = tmp_path / "board.mp4"
    result = stitch([Part(clips["red"]), Part(square)], out, width=320, height=180)

    assert result["mode"] == "reencode"
    width, height, frames, rate = decoded(out)
    assert (width, height) == (320, 180)
    assert length(frames, rate) == pytest.approx(2.0, abs=0.1)
    # Covered and cropped, not letterboxed: the green reaches the edges of the frame.
    with av.open(str(out)) as container:
        last = list(container.decode(video=0))[-1].to_image()
    for corner in ((2, 2), (317, 2), (2, 177), (317, 177)):
        assert close_to(last.getpixel(corner), GREEN, tolerance=20)


def test_a_shot_at_another_frame_rate_is_resampled(clips, tmp_path):
    thirty = make_clip(tmp_path / "thirty.mp4", BLUE, seconds=1.0, fps=30)
    out = tmp_path / "board.mp4"
    result = stitch([Part(clips["red"]), Part(thirty)], out, width=320, height=180)

    assert result["mode"] == "reencode"
    assert result["frames"] == 48
    width, height, frames, rate = decoded(out)
    assert rate == 24
    assert length(frames, rate) == pytest.approx(2.0, abs=0.1)
    assert close_to(colour_at(frames, result["starts"][1]), BLUE)


def test_a_crossfade_mixes_the_shots_and_overlaps_them(clips, tmp_path):
    out = tmp_path / "board.mp4"
    result = stitch(
        [Part(clips["red"]), Part(clips["blue"], crossfade=True)], out, width=320, height=180, crossfade_seconds=0.5
    )

    assert result["mode"] == "reencode"
    assert result["seconds"] == pytest.approx(1.5, abs=0.1)
    assert result["starts"] == pytest.approx([0, 0.5], abs=0.05)
    width, height, frames, rate = decoded(out)
    assert length(frames, rate) == pytest.approx(1.5, abs=0.1)
    assert close_to(colour_at(frames, 0.2), RED)
    assert close_to(colour_at(frames, 1.3), BLUE)
    red, _, blue = colour_at(frames, 0.75)  # the middle of the overlap
    assert 80 < red < 170 and 80 < blue < 170


def test_an_unreadable_shot_is_named(clips, tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"this is not a video at all" * 100)
    out = tmp_path / "board.mp4"

    with pytest.raises(StitchError, match="Shot 2 could not be read"):
        stitch([Part(clips["red"]), Part(str(broken))], out, width=320, height=180)
    assert not out.exists()


def test_a_shot_trimmed_to_nothing_is_refused(clips, tmp_path):
    out = tmp_path / "board.mp4"

    with pytest.raises(StitchError, match="Shot 1 is trimmed to nothing"):
        stitch([Part(clips["red"], head=0.6, tail=0.5), Part(clips["blue"])], out, width=320, height=180)
    assert not out.exists()


def test_a_slower_shot_holds_each_frame_for_its_time(clips, tmp_path):
    twelve = make_clip(tmp_path / "twelve.mp4", GREEN, seconds=1.0, fps=12)
    out = tmp_path / "board.mp4"
    result = stitch([Part(twelve), Part(clips["blue"])], out, width=320, height=180)

    assert result["mode"] == "reencode"
    assert result["frames"] == 48
    assert result["starts"] == pytest.approx([0, 1.0], abs=0.05)
    width, height, frames, rate = decoded(out)
    assert close_to(colour_at(frames, 0.95), GREEN)
    assert close_to(colour_at(frames, 1.0), BLUE)


def test_shots_encoded_differently_are_encoded_again(clips, tmp_path):
    other = tmp_path / "other.mp4"
    with av.open(str(other), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=24, options={"preset": "medium", "profile": "baseline"})
        stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p"
        for index in range(24):
            frame = av.VideoFrame.from_image(Image.new("RGB", (320, 180), GREEN))
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    out = tmp_path / "board.mp4"

    result = stitch([Part(clips["red"]), Part(str(other))], out, width=320, height=180)

    assert result["mode"] == "reencode"
    width, height, frames, rate = decoded(out)
    assert len(frames) == 48
    assert close_to(colour_at(frames, result["starts"][1]), GREEN)
