"""The sample clips a fresh studio shows visitors on its front door until operators feature real videos.

Rendered once by the sandbox's renderer (`PIXAPI_SANDBOX=1 DEBUG=1 .venv/bin/python bin/render_samples.py`)
and kept in the repository under static/samples/ (each well under 300 KB), so every install has them without rendering anything.
"""

SAMPLES = [
    dict(
        name="kite",
        prompt="A red kite dancing over a windy beach at golden hour",
        width=1280,
        height=720,
        duration=4,
        seed=11,
    ),
    dict(
        name="lantern",
        prompt="Paper lanterns drifting up over a quiet lake at night",
        width=720,
        height=1280,
        duration=4,
        seed=23,
    ),
    dict(
        name="city",
        prompt="A slow glide over a rainy neon city street, reflections on the road",
        width=1280,
        height=720,
        duration=4,
        seed=37,
    ),
]


def sample_clips():
    """Each sample with the static paths of its clip and poster."""
    return [
        {
            **sample,
            "video": f"samples/{sample['name']}.mp4",
            "poster": f"samples/{sample['name']}.jpg",
            "is_portrait": sample["height"] > sample["width"],
        }
        for sample in SAMPLES
    ]
