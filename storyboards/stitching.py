"""Stitching a storyboard's shots into one MP4 with PyAV.

When every shot is already what the board asks for (H.264, the size, the frame rate, no trims, no
crossfades) the packets are copied as they are, one part after the other (a remux: nothing decoded).
Otherwise each part is decoded frame by frame, trimmed, fitted to the size, resampled to the frame rate
and encoded again; a crossfade holds back only the previous part's last frames, so memory stays flat
whatever the board's length.
"""

import io
import math
import os
from collections import deque
from dataclasses import dataclass
from fractions import Fraction

import av
from PIL import Image

# ultrafast, as the sandbox renders: at 1280x720 x264's slower presets hold many more reference and
# lookahead frames (a worker grows by about 60 MB with superfast, 75 MB with veryfast, 25 MB with
# ultrafast), and ultrafast is the quickest.
ENCODER = {"preset": "ultrafast", "crf": "20"}
# Slice threads only: frame threads would each hold frames of their own, and decoding is not the slow part.
DECODER_THREADS = "SLICE"
EPSILON = 1e-3  # seconds: frame times read back from a time base are not exact


class StitchError(Exception):
    pass


@dataclass(frozen=True)
class Part:
    path: str  # a local MP4 file
    head: float = 0.0  # seconds trimmed from its start
    tail: float = 0.0  # seconds trimmed from its end
    crossfade: bool = False  # a short crossfade from the previous part into this one (ignored for the first)


@dataclass
class _Facts:
    codec: str
    width: int
    height: int
    rate: float
    pix_fmt: str
    extradata: bytes
    seconds: float


def stitch(parts, out_path, *, width, height, fps=24, crossfade_seconds=0.5):
    """Writes the parts one after the other to `out_path` as an H.264 MP4 of exactly width x height.

    Returns {"mode": "remux" | "reencode", "seconds", "frames", "width", "height", "starts"}, where
    starts[i] is the output second at which part i first shows (for a crossfaded part, where its fade
    begins). Raises StitchError for a part that cannot be read or is trimmed to nothing.
    """
    parts = list(parts)
    if not parts:
        raise StitchError("There is nothing to stitch: the board has no shots.")
    if width <= 0 or height <= 0 or width % 2 or height % 2:
        raise ValueError(f"The size must be positive and even, not {width}x{height}.")
    if any(part.head < 0 or part.tail < 0 for part in parts):
        raise ValueError("A trim cannot be negative.")
    facts = [_facts(number, part) for number, part in enumerate(parts, 1)]
    for number, (part, fact) in enumerate(zip(parts, facts, strict=True), 1):
        if fact.seconds - part.head - part.tail <= EPSILON:
            raise StitchError(
                f"Shot {number} is trimmed to nothing: {part.head:g} s from its start and {part.tail:g} s "
                f"from its end leave none of its {fact.seconds:.2f} s."
            )
    try:
        if _can_copy(parts, facts, width, height, fps):
            result = _remux(parts, out_path)
        else:
            result = _reencode(parts, facts, out_path, width, height, fps, crossfade_seconds)
    except BaseException:
        if os.path.exists(out_path):
            os.unlink(out_path)
        raise
    return {**result, "width": width, "height": height}


def poster_of(path):
    """The first frame of a video as JPEG bytes."""
    try:
        with av.open(path) as container:
            frame = next(container.decode(video=0), None)
    except (av.error.FFmpegError, ValueError) as e:
        raise StitchError(f"The video could not be read ({e}).") from None
    if frame is None:
        raise StitchError("The video has no frames.")
    poster = io.BytesIO()
    frame.to_image().save(poster, "JPEG", quality=85)
    return poster.getvalue()


def _facts(number, part):
    try:
        with av.open(part.path) as container:
            if not container.streams.video:
                raise StitchError(f"Shot {number} has no video in it.")
            stream = container.streams.video[0]
            context = stream.codec_context
            rate = stream.average_rate or stream.guessed_rate or stream.base_rate
            if stream.duration is not None and stream.time_base is not None:
                seconds = float(stream.duration * stream.time_base)
            elif container.duration:
                seconds = container.duration / av.time_base
            else:
                seconds = _demuxed_seconds(container, stream)
            return _Facts(
                codec=context.name,
                width=context.width,
                height=context.height,
                rate=float(rate) if rate else 0.0,
                pix_fmt=context.format.name if context.format else "",
                extradata=bytes(context.extradata or b""),
                seconds=seconds,
            )
    except (av.error.FFmpegError, ValueError, OSError) as e:
        raise StitchError(f"Shot {number} could not be read: it is not a playable video ({e}).") from None


def _demuxed_seconds(container, stream):
    """A part's length from its packets alone, when its header does not say."""
    start: float | None = None
    end = 0.0
    for packet in container.demux(stream):
        if packet.pts is None:
            continue
        begin = float(packet.pts * packet.time_base)
        start = begin if start is None else min(start, begin)
        end = max(end, begin + float((packet.duration or 0) * packet.time_base))
    return (end - start) if start is not None else 0.0


def _can_copy(parts, facts, width, height, fps):
    first = facts[0]
    return all(
        fact.codec == "h264"
        and (fact.width, fact.height) == (width, height)
        and abs(fact.rate - fps) < 0.01
        and fact.pix_fmt == "yuv420p"
        # One stream has one set of H.264 parameters: parts encoded differently cannot share it.
        and fact.extradata == first.extradata
        and not part.head
        and not part.tail
        and not (part.crossfade and index)
        for index, (part, fact) in enumerate(zip(parts, facts, strict=True))
    )


def _remux(parts, out_path):
    starts, frames, offset = [], 0, 0  # offset in the output time base
    with av.open(parts[0].path) as first:
        template = first.streams.video[0]
        out_base = template.time_base
        output = av.open(out_path, "w", format="mp4", options={"movflags": "+faststart"})
        try:
            stream = output.add_stream_from_template(template)
            stream.time_base = out_base
            for number, part in enumerate(parts, 1):
                starts.append(float(offset * out_base))
                try:
                    offset, count = _copy_part(part, output, stream, out_base, offset)
                except av.error.FFmpegError as e:
                    raise StitchError(f"Shot {number} could not be read to the end ({e}).") from None
                frames += count
        finally:
            output.close()
    return {"mode": "remux", "seconds": round(float(offset * out_base), 3), "frames": frames, "starts": starts}


def _copy_part(part, output, stream, out_base, offset):
    """Copies one part's packets, their times moved to follow the previous part; returns the new end."""
    with av.open(part.path) as container:
        source = container.streams.video[0]
        base = source.time_base
        frame_ticks = _ticks(1 / float(source.average_rate or 24), out_base)
        origin, end, count = None, offset, 0
        for packet in container.demux(source):
            if packet.size == 0:  # the flush packet at the end of the demuxer
                continue
            if origin is None:
                origin = packet.pts if packet.pts is not None else 0
            pts = None if packet.pts is None else offset + _ticks((packet.pts - origin) * base, out_base)
            dts = None if packet.dts is None else offset + _ticks((packet.dts - origin) * base, out_base)
            length = _ticks(packet.duration * base, out_base) if packet.duration else frame_ticks
            packet.stream = stream
            packet.time_base = out_base
            packet.pts, packet.dts = pts, dts
            if pts is not None:
                end = max(end, pts + length)
            output.mux(packet)
            count += 1
    return end, count


def _ticks(seconds, base):
    return round(Fraction(seconds) / base)


def _reencode(parts, facts, out_path, width, height, fps, crossfade_seconds):
    # Crossfades are planned from each part's kept length before anything is decoded: a crossfade takes
    # at most half of either part, so a short part between two fades is never used twice.
    kept = [math.floor((f.seconds - p.head - p.tail) * fps) for p, f in zip(parts, facts, strict=True)]
    wanted = max(0, round(crossfade_seconds * fps))
    overlaps = [0] + [
        min(wanted, kept[i - 1] // 2, kept[i] // 2) if parts[i].crossfade else 0 for i in range(1, len(parts))
    ]
    overlaps.append(0)
    output = av.open(out_path, "w", format="mp4", options={"movflags": "+faststart"})
    try:
        stream = output.add_stream("libx264", rate=fps, options=dict(ENCODER))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.gop_size = fps * 2
        writer = _Writer(output, stream, fps)
        held: deque[av.VideoFrame] = (
            deque()
        )  # a part's last frames, held back while the next part may fade in over them
        starts = []
        for index, part in enumerate(parts):
            previous, held = held, deque()
            fade_in = len(previous)
            ahead = overlaps[index + 1]
            starts.append(writer.count / fps)  # everything before `previous` is written
            for position, frame in enumerate(_part_frames(index + 1, part, facts[index], fps)):
                frame = _fitted(frame, width, height)
                if previous:
                    frame = _blend(previous.popleft(), frame, (position + 1) / (fade_in + 1))
                held.append(frame)
                if len(held) > ahead:
                    writer.write(held.popleft())
            held.extend(previous)  # a part shorter than its header said: the rest of the fade-out plays on
            while len(held) > ahead:
                writer.write(held.popleft())
        while held:
            writer.write(held.popleft())
        writer.finish()
    finally:
        output.close()
    if writer.count == 0:
        raise StitchError("Nothing is left of the board after trimming.")
    return {"mode": "reencode", "seconds": round(writer.count / fps, 3), "frames": writer.count, "starts": starts}


class _Writer:
    def __init__(self, output, stream, fps):
        self.output, self.stream = output, stream
        self.time_base = Fraction(1, fps)
        self.count = 0

    def write(self, frame):
        frame.pts = self.count
        frame.time_base = self.time_base
        frame.pict_type = av.video.frame.PictureType.NONE  # the encoder chooses, not the source's decoder
        for packet in self.stream.encode(frame):
            self.output.mux(packet)
        self.count += 1

    def finish(self):
        for packet in self.stream.encode():
            self.output.mux(packet)


def _part_frames(number, part, fact, fps):
    """The part's frames at the output rate: those between its trims, each shown for as many output
    frames as its own time on screen covers (so a 30 fps part drops some, a 12 fps one repeats)."""
    end = fact.seconds - part.tail if part.tail else math.inf
    step = 1 / fps
    try:
        with av.open(part.path) as container:
            source = container.streams.video[0]
            source.thread_type = DECODER_THREADS
            own_step = 1 / fact.rate if fact.rate else step
            origin = first = held = None
            slot = 0
            for index, frame in enumerate(container.decode(source)):
                moment = float(frame.pts * frame.time_base) if frame.pts is not None else index * own_step
                origin = moment if origin is None else origin
                moment -= origin
                if moment < part.head - EPSILON:
                    continue
                if moment >= end - EPSILON:
                    break
                if first is None:
                    first = moment
                while held is not None and first + slot * step < moment - EPSILON:
                    yield held
                    slot += 1
                held, last = frame, moment
            if held is not None:
                until = min(end, last + own_step)
                while first + slot * step < until - EPSILON:
                    yield held
                    slot += 1
    except av.error.FFmpegError as e:
        raise StitchError(f"Shot {number} could not be read to the end ({e}).") from None


def _fitted(frame, width, height):
    """The frame at exactly width x height: scaled to cover it, keeping its shape, then centred and cropped."""
    if (frame.width, frame.height) == (width, height):
        return frame
    scale = max(width / frame.width, height / frame.height)
    cover_w, cover_h = max(width, math.ceil(frame.width * scale)), max(height, math.ceil(frame.height * scale))
    rgb = frame.reformat(width=cover_w, height=cover_h, format="rgb24", interpolation="BILINEAR")
    if (cover_w, cover_h) == (width, height):
        return rgb
    plane = rgb.planes[0]
    image = Image.frombuffer("RGB", (cover_w, cover_h), plane, "raw", "RGB", plane.line_size, 1)
    left, top = (cover_w - width) // 2, (cover_h - height) // 2
    return av.VideoFrame.from_image(image.crop((left, top, left + width, top + height)))


def _blend(before, after, alpha):
    return av.VideoFrame.from_image(Image.blend(before.to_image(), after.to_image(), alpha))
