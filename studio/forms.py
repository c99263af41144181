"""The creator's front's forms: asking for another plan, making pictures in the wizard."""

from django import forms

from accounts import plans
from accounts.models import Plan
from generations.forms import MAX_PROMPT


class UpgradeForm(forms.Form):
    plan = forms.ModelChoiceField(
        label="Plan you would like",
        queryset=Plan.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": "Pick one of the plans listed."},
    )
    message = forms.CharField(
        label="Anything the studio team should know (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        current = plans.plan_for(user)
        self.fields["plan"].queryset = Plan.objects.exclude(pk=getattr(current, "pk", None))


class MakePicturesForm(forms.Form):
    prompt = forms.CharField(
        max_length=MAX_PROMPT,
        error_messages={
            "required": "Describe the picture you want: a few words are enough.",
            "max_length": f"That is too long: keep it under {MAX_PROMPT:,} characters.",
        },
    )
    model = forms.CharField(max_length=60)
    client_token = forms.UUIDField(required=False)
