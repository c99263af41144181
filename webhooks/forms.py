"""Registering a webhook endpoint."""

from django import forms

from webhooks import addresses
from webhooks.models import EVENTS, WebhookEndpoint


class EndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=EVENTS,
        widget=forms.CheckboxSelectMultiple,
        label="Send these events",
        error_messages={"required": "Choose at least one event to send."},
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "events"]
        labels = {"url": "Endpoint URL", "description": "Description (optional)"}

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            addresses.check_url(url)
        except addresses.Refused as e:
            raise forms.ValidationError(str(e)) from None
        return url
