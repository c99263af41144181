from typing import cast

from django import forms

from accounts import words
from catalog import presets
from catalog.models import CatalogModel
from generations.models import Generation

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
    failover = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args, offer, failover_extra=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.offer, plan = offer, offer.plan
        if failover_extra is None:  # the creator allows no failover (their settings): the video waits for its model
            del self.fields["failover"]
        else:
            self.fields[
                "failover"
            ].label = f"If this model is unavailable, make it on the next one I allow (at most {words.amount(failover_extra)} more)"
        models = offer.video_models()
        if offer.lists_models():
            self.fields["model"].error_messages["invalid_choice"] = (
                f"That model is not part of your {plan.name} plan. Pick one from the list."
            )
        cast(forms.ModelChoiceField, self.fields["model"]).queryset = CatalogModel.objects.filter(
            pk__in=[m.pk for m in models]
        )
        self.plan_changes = []  # what the plan made us change of what was asked for, said beside the settings
        self.chosen_model = self._chosen_model(models)
        self.plan_note = words.plan_note(offer, models)
        self.fields["prompt"].error_messages["max_length"] = (
            f"That prompt is too long: keep it under {MAX_PROMPT:,} characters."
        )
        if self.chosen_model:
            m = self.chosen_model
            durations, sizes = offer.durations(m), offer.sizes(m)
            cast(forms.ChoiceField, self.fields["duration"]).choices = [(d, f"{d} seconds") for d in durations]
            cast(forms.ChoiceField, self.fields["size"]).choices = [
                (s, label) for s, label in m.size_choices() if s in sizes
            ]
            if not self.is_bound:
                self._keep_within_plan(m, durations, sizes)
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
        chosen = next((m for m in models if m.slug == wanted), models[0])
        if wanted and chosen.slug != wanted and not self.is_bound:
            locked = next((m for m in self.offer.video_models(every=True) if m.slug == wanted), None)
            if locked is not None:  # asked for (again, "try another model", a default) but not in the plan
                plan = self.offer.unlocking(locked)
                self.plan_changes.append(
                    f"{locked.name} comes with the {plan.name} plan, so {chosen.name} is chosen."
                    if plan
                    else f"{locked.name} is not offered on any plan, so {chosen.name} is chosen."
                )
                self.initial["model"] = chosen.slug
        return chosen

    def _keep_within_plan(self, model, durations, sizes):
        """A length or size asked for (a video made again) that the plan does not make becomes the nearest
        one it makes, and the form says so rather than showing another silently."""
        try:
            duration = int(self.initial.get("duration") or 0)
        except (TypeError, ValueError):
            duration = 0
        size = self.initial.get("size") or ""
        near_duration, near_size = self.offer.nearest(model, duration or durations[0], size or sizes[0])
        if duration and duration in model.durations and duration not in durations:
            self.initial["duration"] = near_duration
            self.plan_changes.append(
                f"Your {self.offer.plan.name} plan makes videos of up to {self.offer.plan.max_duration} seconds, "
                f"so {near_duration} seconds is chosen."
            )
        if size and size in model.sizes and size not in sizes:
            self.initial["size"] = near_size
            self.plan_changes.append(
                f"Your {self.offer.plan.name} plan makes 720p videos, so {dict(model.size_choices())[near_size]} is chosen."
            )

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


class _FromPicture:
    """The creator's offer, listing the models that animate a picture (for a video made from one)."""

    def __init__(self, offer):
        self._offer = offer

    def __getattr__(self, name):
        return getattr(self._offer, name)

    def video_models(self, from_picture=False, every=False):
        return self._offer.video_models(from_picture=True, every=every)


class EditForm(GenerationForm):
    """The create form's fields, limited to what the creator's plan allows for this video."""

    def __init__(self, *args, gen, offer, **kwargs):
        if gen.start == Generation.Start.IMAGE:
            offer = _FromPicture(offer)
        super().__init__(*args, offer=offer, **kwargs)
        del self.fields["client_token"]

    def cost(self):
        """The price of what the form shows: a length or shape the new model lacks shows as its first one."""
        model = self.chosen_model
        if model is None:
            return None
        data = self.data if self.is_bound else self.initial
        durations, sizes = self.offer.durations(model), self.offer.sizes(model)
        if not durations or not sizes:
            return None
        asked = str(data.get("duration") or "")
        duration = int(asked) if asked.isdigit() and int(asked) in durations else durations[0]
        size = data.get("size") if data.get("size") in sizes else sizes[0]
        return self.offer.cost(model, duration, size)
