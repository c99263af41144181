"""What went wrong, in the words a creator is told. Codes are stored on the generation."""

NOTHING_CHARGED = "Nothing was charged."

MESSAGES = {
    "prompt_rejected": (
        "The model turned this prompt down. Try rewording it: leave out real people's names, "
        "brands and anything violent or explicit."
    ),
    "invalid_request": "The video service could not accept these settings. Try another duration or size.",
    "model_not_found": "This model is not available right now. Pick another model and try again.",
    "studio_unavailable": (
        "The studio cannot start videos right now. Our team has been told; please try again a little later."
    ),
    "service_error": "The video service ran into a problem while making this video. Please try again.",
    "outcome_unknown": (
        "We lost contact with the video service while starting this video, so we cannot tell whether it "
        "started. To be safe we stopped here rather than risk making it twice. Please try again."
    ),
    "timed_out": "This video took far longer than it should, so we stopped waiting for it. Please try again.",
    "not_started": (
        "This video waited longer than its model's time limit before it could start, so we did not start it. "
        "Please try again."
    ),
    "lost": "The video service lost track of this video. Please try again.",
    "expired": "The finished video expired at the video service before we could save it. Please try again.",
    "damaged": "The video came back damaged, so we did not keep it. Please try again.",
    "too_large": "The finished video was larger than the studio accepts. Try a shorter or smaller video.",
    "download_failed": (
        "The video was made, but we could not save it: the video service kept failing to hand it over. "
        "Our team has been told. Please try again."
    ),
    "storage_full": (
        "The video was made, but the studio ran out of room to save it. Our team has been told; "
        "please try again a little later."
    ),
    "canceled": "This video was canceled.",
    "operator": "An operator stopped this video.",
}


def message_for(code: str, detail: str = "", subject: str = "video") -> str:
    """The creator's message for a failure code. `subject` names what failed: "video" or "pictures"."""
    text = MESSAGES.get(code, MESSAGES["service_error"])
    if subject != "video":
        text = text.replace("this video", f"these {subject}").replace("the video", f"the {subject}")
        text = text.replace("videos", subject).replace("The finished video", f"The finished {subject}")
    if code == "invalid_request" and detail:
        text = f"The video service could not accept these settings: {detail.rstrip('.')}."
    if code != "canceled":
        text = f"{text} {NOTHING_CHARGED}"
    return text


def code_for_task_error(error_code: str | None) -> str:
    """The failure code for a task that Pixapi accepted and then failed."""
    code = (error_code or "").lower()
    if "reject" in code or "moderation" in code or "content" in code or "safety" in code:
        return "prompt_rejected"
    return "service_error"
