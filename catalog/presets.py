"""Style and camera presets: a few words a creator can add to a prompt with one choice."""

from collections.abc import Iterable

STYLES = {
    "cinematic": ("Cinematic", "cinematic lighting, shallow depth of field, subtle film grain"),
    "documentary": ("Documentary", "natural light, handheld documentary look, realistic colours"),
    "anime": ("Anime", "hand-drawn anime style, clean line art, vivid colours"),
    "watercolor": ("Watercolour", "soft watercolour painting style, paper texture"),
    "3d": ("3D animation", "polished 3D animation, soft global illumination"),
    "vintage": ("Vintage film", "1970s film look, warm faded colours, light leaks"),
    "noir": ("Film noir", "black and white, high contrast, dramatic shadows"),
}

CAMERAS = {
    "static": ("Still camera", "static camera, no camera movement"),
    "push_in": ("Slow push in", "slow push-in towards the subject"),
    "pull_out": ("Zoom out", "slow zoom out revealing the scene"),
    "orbit": ("Orbit", "camera orbits around the subject"),
    "pan_left": ("Pan left", "smooth pan from right to left"),
    "pan_right": ("Pan right", "smooth pan from left to right"),
    "handheld": ("Handheld", "handheld camera with gentle natural shake"),
    "drone": ("Drone shot", "aerial drone shot gliding over the scene"),
}


def choices(presets: dict[str, tuple[str, str]], empty_label: str) -> list[tuple[str, str]]:
    return [("", empty_label)] + [(key, label) for key, (label, _) in presets.items()]


def full_prompt(prompt: str, style: str = "", camera: str = "") -> str:
    """The prompt sent to Pixapi: the creator's words, then the presets' words."""
    parts = [prompt.strip().rstrip(".")]
    if style in STYLES:
        parts.append(f"Style: {STYLES[style][1]}")
    if camera in CAMERAS:
        parts.append(f"Camera: {CAMERAS[camera][1]}")
    return ". ".join(parts) + "."


MOTIONS = {
    "push_in": ("Slow push in", "slow push-in towards the subject"),
    "zoom_out": ("Zoom out", "slow zoom out revealing more of the scene"),
    "orbit": ("Orbit", "camera orbits around the subject"),
    "pan_left": ("Pan left", "smooth pan from right to left"),
    "pan_right": ("Pan right", "smooth pan from left to right"),
    "tilt_up": ("Tilt up", "camera tilts slowly upwards"),
    "handheld": ("Handheld", "handheld camera with gentle natural shake"),
    "still": ("Still camera", "static camera; only the subject moves"),
}


def motion_prompt(prompt: str, motions: Iterable[str]) -> str:
    """The image-to-video prompt: what should happen, then the chosen camera motions."""
    parts = [prompt.strip().rstrip(".")] if prompt.strip() else ["Bring this picture to life"]
    chosen = [MOTIONS[m][1] for m in motions if m in MOTIONS]
    if chosen:
        parts.append("Camera: " + "; ".join(chosen))
    return ". ".join(parts) + "."
