"""The compare form: what the confirm step and the one confirmation ask to compare."""

from django import forms

from accounts.offer import offer_for
from catalog import presets
from generations import drafts
from generations.forms import MAX_PROMPT
from generations.models import Draft
from generations.starting import MAX_COMPARED, MAX_TAKES
from lib.ids import parse_uuid


class CompareForm(forms.Form):
    """A prompt and its settings (from the create form) or a wizard's draft, the models to compare and the
    takes of each. Lenient, as links are: a length or a number of takes out of range is brought within it,
    an unknown size, style or camera left at its default, an unknown model left out. What cannot be
    compared is the form's one error, in the creator's words.

    Once valid: `ask` (the settings start_comparison takes), `models`, `takes` and `draft` (or None).
    `no_draft` when it names a draft the creator does not have, or one with no picture: not found."""

    draft = forms.CharField(required=False)
    prompt = forms.CharField(required=False)
    duration = forms.CharField(required=False)
    size = forms.CharField(required=False)
    style = forms.CharField(required=False)
    camera = forms.CharField(required=False)
    compare = forms.Field(required=False, widget=forms.MultipleHiddenInput)
    takes = forms.CharField(required=False)

    def __init__(self, data, *, user):
        super().__init__(data)
        self.user = user
        self.draft, self.no_draft = None, False

    def clean(self):
        data, offer = self.cleaned_data, offer_for(self.user)
        if data.get("draft"):
            self.draft = Draft.objects.for_user(self.user).unfinished().filter(pk=parse_uuid(data["draft"])).first()
            if self.draft is None or self.draft.picture is None:
                self.no_draft = True
                raise forms.ValidationError("No such picture to animate.")
            self.ask = self._from_draft()
            every = offer.video_models(from_picture=True, every=True)
        else:
            self.ask = self._from_prompt(data)
            every = offer.video_models(every=True)
        wanted = set(data.get("compare") or [])
        self.models = [m for m in every if m.slug in wanted]
        self.takes = max(1, min(_int(data.get("takes"), 1), MAX_TAKES))
        if len(self.models) * self.takes < 2:
            raise forms.ValidationError("Pick two models or more, or two takes or more of one model.")
        if len(self.models) * self.takes > MAX_COMPARED:
            raise forms.ValidationError(
                f"A comparison makes {MAX_COMPARED} takes at most: pick fewer models or fewer takes."
            )
        return data

    def _from_draft(self):
        draft = self.draft
        chosen = drafts.settings_for(self.user, draft)
        if chosen is None:
            raise forms.ValidationError("Your plan has no model that animates a picture.")
        return {
            "prompt": draft.prompt or "Bring this picture to life",
            "duration": chosen["duration"],
            "size": chosen["size"],
            "input_picture": draft.picture,
            "fit": chosen["fit"],
            "full_prompt": presets.motion_prompt(draft.prompt, draft.motions),
            "camera": ",".join(draft.motions)[:40],
        }

    def _from_prompt(self, data):
        prompt = " ".join(data.get("prompt", "").split())
        if not prompt:
            raise forms.ValidationError("Describe the video you want: a few words are enough.")
        if len(prompt) > MAX_PROMPT:
            raise forms.ValidationError(f"That prompt is too long: keep it under {MAX_PROMPT:,} characters.")
        size = data.get("size", "")[:20]
        if "x" not in size or not size.replace("x", "", 1).isdigit():
            size = "1280x720"
        style, camera = data.get("style", ""), data.get("camera", "")
        return {
            "prompt": prompt,
            "duration": max(1, min(_int(data.get("duration"), 5), 60)),
            "size": size,
            "style": style if style in dict(presets.choices(presets.STYLES, "")) else "",
            "camera": camera if camera in dict(presets.choices(presets.CAMERAS, "")) else "",
        }

    def error(self):
        return self.non_field_errors()[0] if self.non_field_errors() else "Something in the form is not right."


def _int(value, default):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
