"""What the API takes and gives, as pydantic schemas: the OpenAPI schema is made from them."""

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from ninja import Schema
from pydantic import AfterValidator, Field

from catalog import presets
from generations.models import Generation

MAX_PROMPT = 2000
VideoStatus = Literal[tuple(status for status, _ in Generation.Status.choices)]


def _storable(value):
    """Text the database can keep: no NUL character, no lone UTF-16 surrogate (JSON can carry both)."""
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


Text = Annotated[str, AfterValidator(_storable)]


class ErrorDetail(Schema):
    code: str = Field(description="A short name a program can branch on, e.g. not_enough_credits.")
    message: str = Field(description="What happened and what to do, in plain words.")


class ErrorOut(Schema):
    error: ErrorDetail


class VideoIn(Schema):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "prompt": "A red fox trotting through fresh snow at sunrise",
                    "model": "wan",
                    "duration": 5,
                    "size": "1280x720",
                },
            ]
        }
    }

    prompt: Text = Field(min_length=1, max_length=MAX_PROMPT, description="Describe the video in a few words.")
    model: Text = Field(max_length=60, description="A model's slug, from GET /api/v1/models.")
    duration: int = Field(ge=1, le=600, description="Seconds; one of the model's durations.")
    size: Text = Field(max_length=20, description='One of the model\'s sizes, e.g. "1280x720".')
    style: Literal[tuple([""] + list(presets.STYLES))] = ""
    camera: Literal[tuple([""] + list(presets.CAMERAS))] = ""
    picture_id: UUID | None = Field(
        None, description="Animate one of your pictures (upload one with POST /api/v1/pictures)."
    )
    fit: Literal["crop", "letterbox"] = Field("crop", description="How the picture is fitted to the video's shape.")
    confirm_budget: bool = Field(False, description="Go ahead even past your own monthly budget.")
    failover: bool | None = Field(
        None,
        description="Whether it may be made on your next allowed model when its own is unavailable, for at most "
        "your failover's extra credits (your profile). Empty: as your profile says.",
    )


class VideoOut(Schema):
    id: UUID
    status: VideoStatus
    status_words: str
    progress: int = Field(ge=0, le=100, description="Per cent done, as Pixapi reports it.")
    model: str
    start: Literal["text", "image"]
    prompt: str
    title: str = Field(description="The creator's title for galleries (up to 80 characters); empty when none.")
    duration: int
    size: str
    style: str
    camera: str
    picture_id: UUID | None
    cost: str = Field(description="Credits held for it (charged once it is ready), as a decimal string.")
    created_at: datetime
    finished_at: datetime | None
    estimated_finish: datetime | None = Field(
        description="When it should be ready, while it waits or is being made (from the studio's own history)."
    )
    error: ErrorDetail | None = Field(description="Why it failed, when it did (its credits were returned).")
    download_url: str | None = Field(description="Where to download it, once it is ready.")
    video_seconds: float | None
    video_bytes: int | None
    rerouted_from: str | None = Field(
        None, description="The model it was asked for, when it was made on another because that one was unavailable."
    )
    rerouted_note: str = Field(
        "", description='What happened, in words: "Made on Wan because Veo was unavailable (+0 credits)".'
    )


class VideoPage(Schema):
    items: list[VideoOut]
    count: int
    page: int
    pages: int


class PictureOut(Schema):
    id: UUID
    name: str
    width: int
    height: int
    origin: str
    created_at: datetime


class PicturePage(Schema):
    items: list[PictureOut]
    count: int
    page: int
    pages: int


class BalanceOut(Schema):
    balance: str = Field(description="Credits you have, as a decimal string.")
    held: str = Field(description="Credits set aside for videos being made now.")
    plan: str | None


class PriceOut(Schema):
    model: str
    duration: int
    size: str
    cost: str
    balance: str
    balance_after: str
    allowed: bool = Field(description="Whether you could make it now: your plan and balance allow it.")
    refusal: str | None = Field(description="Why not, in plain words, when not allowed.")


class ModelOut(Schema):
    slug: str
    name: str
    guide: str
    text_to_video: bool
    image_to_video: bool
    durations: list[int]
    sizes: list[str]
    on_your_plan: bool
