"""Checking and describing video files with PyAV."""

import io
import os
import shutil
import tempfile
from typing import TypedDict

import av
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image


class NotAVideo(Exception):
    pass


class VideoFacts(TypedDict):
    width: int
    height: int
    seconds: float
    bytes: int


def probe_video(path: str | os.PathLike[str]) -> tuple[VideoFacts, bytes]:
    """Opens the file as a browser would need it: an H.264-style video stream with a first frame.

    Returns the video's facts and the first frame as JPEG bytes (the poster).
    """
    try:
        with av.open(path, "r") as container:
            if not container.streams.video:
                raise NotAVideo("The file has no video stream.")
            stream = container.streams.video[0]
            first = next(container.decode(stream), None)
            if first is None:
                raise NotAVideo("The video has no frames.")
            if stream.duration is not None and stream.time_base is not None:
                seconds = float(stream.duration * stream.time_base)
            elif container.duration:
                seconds = container.duration / 1_000_000
            else:
                seconds = 0.0
            info: VideoFacts = {
                "width": stream.codec_context.width,
                "height": stream.codec_context.height,
                "seconds": round(seconds, 2),
                "bytes": _size(path),
            }
        # The decoder is closed before the poster is made, and the poster is encoded straight from
        # the converted frame's memory: a worker's peak stays low even for a big, sharp video.
        return info, _jpeg(first)
    except (av.error.FFmpegError, ValueError, StopIteration) as e:
        raise NotAVideo(f"The file is not a playable video ({e}).") from None


def _jpeg(frame: av.VideoFrame) -> bytes:
    rgb = frame.reformat(format="rgb24")
    plane = rgb.planes[0]
    # Any buffer will do (no copy is made), though Pillow's types name only bytes and arrays.
    image = Image.frombuffer("RGB", (rgb.width, rgb.height), plane, "raw", "RGB", plane.line_size, 1)  # type: ignore[arg-type]
    poster = io.BytesIO()
    image.save(poster, "JPEG", quality=85)
    return poster.getvalue()


def _size(path: str | os.PathLike[str]) -> int:
    with open(path, "rb") as f:
        return f.seek(0, 2)


def bytes_file(data: bytes) -> ContentFile:
    return ContentFile(data)


def frame_of(name: str, which: str = "first", at: float | None = None) -> Image.Image:
    """The first or last frame of a stored video, as a Pillow image; with `at`, the frame shown at that
    second (the last one when the video is shorter)."""
    with tempfile.NamedTemporaryFile(suffix=".mp4") as copy:
        with default_storage.open(name, "rb") as source:
            shutil.copyfileobj(source, copy)
        copy.flush()
        try:
            with av.open(copy.name) as container:
                frame = None
                for frame in container.decode(video=0):  # noqa: B007 (the last frame stays in `frame`)
                    if which == "first" and at is None:
                        break
                    if at is not None and frame.time is not None and frame.time >= at:
                        break
                if frame is None:
                    raise NotAVideo("The video has no frames.")
                return frame.to_image()
        except (av.error.FFmpegError, ValueError) as e:
            raise NotAVideo(f"The file is not a playable video ({e}).") from None
