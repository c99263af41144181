"""Real results for the sandbox: H.264 MP4 clips (PyAV) and PNG stills (Pillow).

- Text-to-video: a slowly drifting colour field with soft light orbs and the prompt on a card.
- Image-to-video: a Ken Burns pan and zoom over the input image, cover-fitted to the frame.
- Images: a still of the same family; each of the n images gets its own palette and layout.

Everything is deterministic for a given task, so a re-render gives the same picture.
Files are rendered on first download and cached in PIXAPI_SANDBOX_DIR (`open_cached`), which is
kept bounded (`prune`).
"""

import functools
import hashlib
import io
import math
import os
import re
import threading
import time
import uuid
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import av
from django.conf import settings
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

FPS = 24
PRESET = "ultrafast"

# Evening, ocean, forest, candy, ember, dusk, mint, ink: three colours each, dark to light.
PALETTES = [
    ((36, 18, 74), (196, 46, 120), (255, 158, 94)),
    ((8, 30, 68), (14, 116, 144), (94, 234, 212)),
    ((12, 40, 28), (44, 122, 74), (190, 226, 120)),
    ((64, 22, 96), (236, 72, 153), (253, 224, 160)),
    ((58, 12, 12), (214, 64, 36), (252, 196, 64)),
    ((24, 24, 60), (99, 102, 241), (244, 170, 200)),
    ((10, 48, 56), (34, 160, 140), (230, 248, 200)),
    ((14, 16, 32), (60, 80, 160), (150, 200, 255)),
]

FONT_CANDIDATES = {
    True: [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
        "/System/Library/Fonts/Supplemental/Arial Bold.ttf",
        "DejaVuSans-Bold.ttf",
    ],
    False: [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/System/Library/Fonts/Supplemental/Arial.ttf",
        "DejaVuSans.ttf",
    ],
}


# ---------------------------------------------------------------- helpers


def seed_for(*parts):
    return int.from_bytes(hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()[:8], "big")


@functools.lru_cache(maxsize=32)
def font(size, bold=True):
    for candidate in FONT_CANDIDATES[bold]:
        try:
            return ImageFont.truetype(candidate, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)  # Pillow's own bundled FreeType font


def wrap(text, fnt, max_width, max_lines):
    """Greedy word wrap by rendered width; the last line ends with an ellipsis if text is cut."""
    words = text.split()
    lines, line = [], ""
    for word in words:
        while fnt.getlength(word) > max_width and len(word) > 1:  # a very long word: hard-break it
            cut = len(word)
            while cut > 1 and fnt.getlength(word[:cut]) > max_width:
                cut -= 1
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:cut])
            word = word[cut:]
        candidate = f"{line} {word}".strip()
        if fnt.getlength(candidate) <= max_width:
            line = candidate
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        if fnt.getlength(last + "…") > max_width:
            words = last.split(" ")
            while len(words) > 1 and fnt.getlength(" ".join(words) + "…") > max_width:
                words.pop()
            last = " ".join(words)
            while last and fnt.getlength(last + "…") > max_width:
                last = last[:-1]
        lines[-1] = last.rstrip(" ,;:.-") + "…"
    return lines or [""]


def colour_field(width, height, palette, seed):
    """A smooth multi-colour gradient of the given size."""
    rng = _Random(seed)
    grid = Image.new("RGB", (4, 3))
    dark, mid, light = palette
    cells = []
    for y in range(3):
        for x in range(4):
            # darker at the bottom-left, lighter towards the top-right, with some play
            weight = (x / 3 + (2 - y) / 2) / 2 + rng.uniform(-0.25, 0.25)
            cells.append(_mix3(dark, mid, light, max(0.0, min(1.0, weight))))
    grid.putdata(cells)
    small = grid.resize((max(8, width // 12), max(8, height // 12)), Image.BICUBIC)
    small = small.filter(ImageFilter.GaussianBlur(max(1, min(small.size) // 8)))
    return small.resize((width, height), Image.BILINEAR)


def orb_mask(radius, strength):
    """A soft round light: an 'L' mask of 2*radius square that fades to nothing at its rim."""
    # radial_gradient is 256x256 and grows from 0 at the centre to 181 at the middle of an edge
    falloff = [int(strength * max(0.0, 1.0 - d / 180) ** 2) for d in range(256)]
    mask = Image.radial_gradient("L").point(falloff)
    return mask.resize((2 * radius, 2 * radius), Image.BILINEAR)


def text_card(text, frame_width, frame_height, label=None):
    """The prompt, wrapped on a translucent rounded card: an RGBA image."""
    short = min(frame_width, frame_height)
    size = max(14, short // 17)
    fnt = font(size, bold=True)
    max_width = int(frame_width * 0.74)
    lines = wrap(text or "(no prompt)", fnt, max_width, max_lines=5 if frame_height >= frame_width else 4)
    line_height = int(size * 1.3)
    pad = int(size * 0.9)
    text_width = max(int(fnt.getlength(line)) for line in lines)
    label_font = font(max(10, size // 2), bold=False)
    label_height = int(size * 0.9) if label else 0
    card_w = max(text_width, int(label_font.getlength(label)) if label else 0) + 2 * pad
    card_h = line_height * len(lines) + label_height + 2 * pad
    card = Image.new("RGBA", (card_w, card_h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(card)
    draw.rounded_rectangle((0, 0, card_w - 1, card_h - 1), radius=pad, fill=(10, 10, 24, 150))
    y = pad
    if label:
        draw.text((pad, y), label, font=label_font, fill=(255, 255, 255, 170))
        y += label_height
    for line in lines:
        draw.text((pad + 2, y + 2), line, font=fnt, fill=(0, 0, 0, 120))
        draw.text((pad, y), line, font=fnt, fill=(255, 255, 255, 255))
        y += line_height
    return card


def badge(text, frame_width, frame_height):
    """A small pill in the top-left corner naming the sandbox."""
    size = max(10, min(frame_width, frame_height) // 40)
    fnt = font(size, bold=True)
    pad = size // 2
    w = int(fnt.getlength(text)) + 2 * pad
    h = int(size * 1.2) + 2 * pad // 2 * 2
    pill = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(pill)
    draw.rounded_rectangle((0, 0, w - 1, h - 1), radius=h // 2, fill=(255, 255, 255, 60))
    draw.text((pad, pad // 2), text, font=fnt, fill=(255, 255, 255, 230))
    return pill


def _mix(a, b, t):
    return tuple(int(round(x + (y - x) * t)) for x, y in zip(a, b))


def _mix3(a, b, c, t):
    return _mix(a, b, t * 2) if t < 0.5 else _mix(b, c, (t - 0.5) * 2)


def _ease(t):
    return 0.5 - 0.5 * math.cos(math.pi * max(0.0, min(1.0, t)))


class _Random:
    """A tiny deterministic generator (random.Random would do, this keeps seeds explicit)."""

    def __init__(self, seed):
        self.state = seed & ((1 << 64) - 1) or 1

    def next(self):
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) & ((1 << 64) - 1)
        return (self.state >> 11) / float(1 << 53)

    def uniform(self, a, b):
        return a + (b - a) * self.next()


# ---------------------------------------------------------------- scenes


class _Scene:
    """The text-to-video scene; also draws the image stills."""

    def __init__(self, width, height, prompt, seed, label):
        self.width, self.height = width, height
        rng = _Random(seed)
        palette = PALETTES[seed % len(PALETTES)]
        self.margin_x, self.margin_y = int(width * 0.12), int(height * 0.12)
        self.field = colour_field(width + 2 * self.margin_x, height + 2 * self.margin_y, palette, seed)
        self.drift = rng.uniform(0, 2 * math.pi)
        short = min(width, height)
        self.orbs = []
        for index in range(4):
            radius = int(short * rng.uniform(0.16, 0.32))
            colour = _mix(palette[2], (255, 255, 255), rng.uniform(0.1, 0.5)) if index % 2 else palette[1]
            self.orbs.append(
                {
                    "mask": orb_mask(radius, int(rng.uniform(70, 130))),
                    "colour": colour,
                    "radius": radius,
                    "cx": rng.uniform(0.15, 0.85),
                    "cy": rng.uniform(0.15, 0.85),
                    "ax": rng.uniform(0.08, 0.22),
                    "ay": rng.uniform(0.06, 0.18),
                    "speed": rng.uniform(0.5, 1.2) * (1 if rng.next() < 0.5 else -1),
                    "phase": rng.uniform(0, 2 * math.pi),
                }
            )
        card = text_card(prompt, width, height)
        self.card_rgb = card.convert("RGB")
        self.card_alpha = card.getchannel("A")
        self.card_pos = ((width - card.width) // 2, (height - card.height) // 2 + height // 14)
        pill = badge(label, width, height)
        self.badge_rgb, self.badge_alpha = pill.convert("RGB"), pill.getchannel("A")
        self.badge_pos = (short // 30, short // 30)
        self.fades = {}

    def frame(self, t, fade=1.0, progress=None):
        """The picture at t in [0, 1] of the clip."""
        w, h = self.width, self.height
        angle = 2 * math.pi * t * 0.5 + self.drift
        ox = int(self.margin_x * (1 + 0.9 * math.sin(angle)))
        oy = int(self.margin_y * (1 + 0.9 * math.cos(angle * 0.8)))
        im = self.field.crop((ox, oy, ox + w, oy + h))
        for orb in self.orbs:
            a = 2 * math.pi * t * orb["speed"] + orb["phase"]
            x = int(w * (orb["cx"] + orb["ax"] * math.sin(a))) - orb["radius"]
            y = int(h * (orb["cy"] + orb["ay"] * math.cos(a * 1.3))) - orb["radius"]
            im.paste(orb["colour"], (x, y), orb["mask"])
        im.paste(self.badge_rgb, self.badge_pos, self.badge_alpha)
        if fade >= 1.0:
            im.paste(self.card_rgb, self.card_pos, self.card_alpha)
        elif fade > 0:
            key = round(fade, 2)
            if key not in self.fades:
                self.fades[key] = self.card_alpha.point(lambda v: int(v * key))
            im.paste(self.card_rgb, (self.card_pos[0], self.card_pos[1] + int(12 * (1 - key))), self.fades[key])
        if progress is not None:
            bar = max(3, h // 160)
            ImageDraw.Draw(im).rectangle((0, h - bar, int(w * progress), h), fill=(255, 255, 255))
        return im


class _KenBurns:
    """A slow pan and zoom over a picture, cover-fitted to the frame."""

    OVERSCAN = 1.25

    def __init__(self, picture, width, height, seed):
        self.width, self.height = width, height
        base_w, base_h = int(round(width * self.OVERSCAN)), int(round(height * self.OVERSCAN))
        self.base = ImageOps.fit(picture.convert("RGB"), (base_w, base_h), Image.LANCZOS)
        rng = _Random(seed)
        self.zoom_in = rng.next() < 0.6
        self.pan = 1 if rng.next() < 0.5 else -1

    def frame(self, t):
        e = _ease(t)
        base_w, base_h = self.base.size
        # window scale: 1.0 shows the whole cover-fitted picture; 1/1.25 is zoomed in by 25 %
        scale = 1.0 - (1.0 - 1.0 / self.OVERSCAN) * (e if self.zoom_in else 1.0 - e)
        win_w, win_h = base_w * scale, base_h * scale
        room_x, room_y = base_w - win_w, base_h - win_h
        x0 = room_x * (0.5 + 0.45 * self.pan * (e - 0.5))
        y0 = room_y * (0.5 - 0.2 * (e - 0.5))
        return self.base.resize((self.width, self.height), Image.BILINEAR, box=(x0, y0, x0 + win_w, y0 + win_h))


# ---------------------------------------------------------------- public API


def open_picture(data):
    """The input image bytes as an RGB picture, upright."""
    picture = Image.open(io.BytesIO(data))
    picture = ImageOps.exif_transpose(picture)
    return picture.convert("RGB")


def render_video(path, *, width, height, duration, prompt="", model="", seed=0, input_image=None):
    """Write an H.264 MP4 of exactly width x height and duration seconds (24 fps) to `path`."""
    frames = int(round(duration * FPS))
    if input_image:
        scene = _KenBurns(open_picture(input_image), width, height, seed)

        def picture(index):
            return scene.frame(index / max(1, frames - 1))

    else:
        label = f"PIXAPI SANDBOX · {model.upper()} · {duration} s".strip()
        scene = _Scene(width, height, prompt, seed, label)
        fade_frames = min(FPS // 2, frames)

        def picture(index):
            fade = (index + 1) / fade_frames if index < fade_frames else 1.0
            return scene.frame(index / max(1, frames - 1), fade=fade, progress=(index + 1) / frames)

    container = av.open(str(path), mode="w", format="mp4", options={"movflags": "+faststart"})
    try:
        stream = container.add_stream("libx264", rate=FPS, options={"preset": PRESET, "crf": "23"})
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.codec_context.gop_size = FPS * 2
        for index, data in enumerate(_frames_ahead(picture, frames)):
            frame = av.VideoFrame(width, height, "rgb24")
            frame.planes[0].update(data)
            frame.pts = index
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    finally:
        container.close()


def _frames_ahead(picture, count, ahead=6, workers=2):
    """RGB bytes of pictures 0..count-1, in order, drawn on helper threads while the caller encodes.

    Pillow lets go of the GIL while it crops, pastes and resizes, so drawing overlaps encoding.
    """
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sandbox-render") as pool:
        pending = deque()
        submitted = 0
        try:
            while submitted < min(ahead, count):
                pending.append(pool.submit(lambda i: picture(i).tobytes(), submitted))
                submitted += 1
            while pending:
                data = pending.popleft().result()
                if submitted < count:
                    pending.append(pool.submit(lambda i: picture(i).tobytes(), submitted))
                    submitted += 1
                yield data
        finally:
            for future in pending:
                future.cancel()


def render_still(*, width, height, prompt, model, index=0, count=1, seed=0):
    """One generated image: a PIL image of width x height; each index looks different."""
    label = f"PIXAPI SANDBOX · {model.upper()}" + (f" · {index + 1} of {count}" if count > 1 else "")
    scene = _Scene(width, height, prompt, seed + 7919 * index, label)
    return scene.frame(((seed >> 8) % 1000) / 1000.0)


def png_bytes(image):
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()


_locks_guard = threading.Lock()
_locks = {}


def open_cached(name, build):
    """The cached file `name` in PIXAPI_SANDBOX_DIR, open for reading, made by `build(tmp_path)` on
    first use (and again if it was pruned since).

    One render per file per process (a lock per name); across processes the render goes to a
    unique temporary file that is renamed into place, so a reader never sees half a file.
    """
    folder = Path(settings.PIXAPI_SANDBOX_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    try:
        return open(path, "rb")
    except FileNotFoundError:
        pass
    with _locks_guard:
        lock = _locks.setdefault(name, threading.Lock())
    try:
        with lock:
            try:
                return open(path, "rb")  # made by another thread meanwhile
            except FileNotFoundError:
                pass
            tmp = folder / f".{name}.{uuid.uuid4().hex}.tmp"
            try:
                build(tmp)
                os.replace(tmp, path)
            finally:
                tmp.unlink(missing_ok=True)
            made = open(path, "rb")  # open before pruning: an open file outlives its deletion
            prune(folder)
            return made
    finally:
        with _locks_guard:
            _locks.pop(name, None)


RESULT_RE = re.compile(r"task_[0-9A-Z]{26}(?:-[0-9])?\.(?:mp4|png)")
TMP_RE = re.compile(r"\.task_[0-9A-Z]{26}(?:-[0-9])?\.(?:mp4|png)\.[0-9a-f]{32}\.tmp")
STALE_TMP_SECONDS = 3600  # a render never takes this long: its temporary file was left by a crash


def prune(folder):
    """Keep the results on disk bounded: delete those older than their URLs' life
    (PIXAPI_SANDBOX_URL_TTL), then all but the PIXAPI_SANDBOX_MAX_FILES newest. A result asked for
    again after that is rendered again, the same."""
    now = time.time()
    results = []
    for entry in os.scandir(folder):
        is_result, is_tmp = RESULT_RE.fullmatch(entry.name), TMP_RE.fullmatch(entry.name)
        if not (is_result or is_tmp):
            continue
        try:
            age = now - entry.stat().st_mtime
        except FileNotFoundError:
            continue
        if (is_tmp and age > STALE_TMP_SECONDS) or (is_result and age > settings.PIXAPI_SANDBOX_URL_TTL):
            Path(entry.path).unlink(missing_ok=True)
        elif is_result:
            results.append((age, entry.path))
    for _, stale in sorted(results)[settings.PIXAPI_SANDBOX_MAX_FILES :]:
        Path(stale).unlink(missing_ok=True)
