"""Sizes as a value: "1280x720" parsed once, with its shape, its label and whether it is HD."""

from dataclasses import dataclass
from typing import Self

HD_ABOVE = 1280  # a longest side past 720p's is HD: it may cost more, and a plan may leave it out

LABELS = {
    "1280x720": "Landscape 720p",
    "1920x1080": "Landscape 1080p",
    "720x1280": "Portrait 720p",
    "1080x1920": "Portrait 1080p",
}


@dataclass(frozen=True)
class VideoSize:
    width: int
    height: int

    @classmethod
    def parse(cls, text: object) -> Self:
        """VideoSize(1280, 720) from "1280x720"; ValueError for anything else."""
        width, x, height = str(text).partition("x")
        if not x:
            raise ValueError(f"Not a size: {text!r}")
        return cls(int(width), int(height))

    @classmethod
    def natural(cls, portrait: bool) -> Self:
        """The 720p size of a picture's own shape."""
        return cls(720, 1280) if portrait else cls(1280, 720)

    def __str__(self) -> str:
        return f"{self.width}x{self.height}"

    @property
    def is_portrait(self) -> bool:
        return self.height > self.width

    @property
    def is_hd(self) -> bool:
        return max(self.width, self.height) > HD_ABOVE

    @property
    def label(self) -> str:
        return LABELS.get(str(self), str(self))


def is_hd(size: object) -> bool:
    """Whether a size given as text ("1920x1080") is HD; False for text that is not a size."""
    try:
        return VideoSize.parse(size).is_hd
    except ValueError:
        return False


def label(size: str) -> str:
    try:
        return VideoSize.parse(size).label
    except ValueError:
        return size
