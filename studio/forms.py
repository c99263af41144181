from django import forms

from accounts import words
from catalog import presets
from catalog.models import CatalogModel

MAX_PROMPT = 2000


def _list_words(values):
    values = [str(v) for v in values]
    if len(values) > 6 and all(v.isdigit() for v in values):
        return f"{values[0]} to {values[-1]}"
    return ", ".join(values[:-1]) + f" or {values[-1]}" if len(values) > 1 else "".join(values)


class GenerationForm(forms.Form):
    """What a creator asks for. Offers only what the chosen model and the creator's plan accept, and
    checks it again (start_generation checks the plan once more, for every way in)."""

    prompt = forms.CharField(
        label="Describe your video",
        max_length=MAX_PROMPT,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "A red fox trotting through fresh snow at sunrise"}),
        error_messages={"required": "Describe the video you want: a few words are enough."},
    )
    model = forms.ModelChoiceField(
        label="Model",
        queryset=CatalogModel.objects.none(),
        to_field_name="slug",
        empty_label=None,
        error_messages={"invalid_choice": "That model is not available right now. Pick another one."},
    )
    duration = forms.TypedChoiceField(label="Length", coerce=int)
    size = forms.ChoiceField(label="Shape")
    style = forms.ChoiceField(label="Style", choices=presets.choices(presets.STYLES, "No style"), required=False)
    camera = forms.ChoiceField(
        label="Camera", choices=presets.choices(presets.CAMERAS, "Model decides"), required=False
    )
    client_token = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, offer, **kwargs):
        super().__init__(*args, **kwargs)
        self.offer, plan = offer, offer.plan
        models = offer.video_models()
        if offer.lists_models():
            self.fields["model"].error_messages["invalid_choice"] = (
                f"That model is not part of your {plan.name} plan. Pick one from the list."
            )
        self.fields["model"].queryset = CatalogModel.objects.filter(pk__in=[m.pk for m in models])
        self.chosen_model = self._chosen_model(models)
        self.plan_note = words.plan_note(offer, models)
        self.fields["prompt"].error_messages["max_length"] = (
            f"That prompt is too long: keep it under {MAX_PROMPT:,} characters."
        )
        if self.chosen_model:
            m = self.chosen_model
            durations, sizes = offer.durations(m), offer.sizes(m)
            self.fields["duration"].choices = [(d, f"{d} seconds") for d in durations]
            self.fields["size"].choices = [(s, label) for s, label in m.size_choices() if s in sizes]
            self.fields["duration"].error_messages["invalid_choice"] = (
                f"{m.name} makes videos of {_list_words(durations)} seconds. Pick one of those."
                if durations == m.durations
                else f"Your {plan.name} plan makes {m.name} videos of {_list_words(durations)} seconds. Pick one of those."
            )
            self.fields["size"].error_messages["invalid_choice"] = (
                f"{m.name} cannot make that shape. Pick one from the list."
                if sizes == m.sizes
                else f"Your {plan.name} plan makes 720p videos. Pick a shape from the list."
            )

    def _chosen_model(self, models):
        if not models:
            return None
        wanted = self.data.get("model") if self.is_bound else self.initial.get("model")
        wanted = getattr(wanted, "slug", wanted)
        return next((m for m in models if m.slug == wanted), models[0])

    def clean_prompt(self):
        prompt = " ".join(self.cleaned_data["prompt"].split())
        if not prompt:
            raise forms.ValidationError("Describe the video you want: a few words are enough.")
        return prompt

    def cost(self):
        """The price of what the form currently says, or None while it says nothing valid."""
        m = self.chosen_model
        if m is None:
            return None
        data = self.data if self.is_bound else self.initial
        durations, sizes = self.offer.durations(m), self.offer.sizes(m)
        try:
            duration = int(data.get("duration") or durations[0])
        except (TypeError, ValueError, IndexError):
            return None
        size = data.get("size") or (sizes[0] if sizes else "")
        return self.offer.cost(m, duration, size)
