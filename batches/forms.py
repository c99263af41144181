"""The batch form: the create form's settings as defaults, and the prompts."""

from django import forms

from batches import reading as batches
from generations.forms import GenerationForm


class BatchForm(GenerationForm):
    """The settings of the create form (model, length, shape, style, camera) as the batch's defaults, and
    the prompts: pasted, one a line, or a CSV file."""

    prompts = forms.CharField(
        label="Prompts, one a line",
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 8, "placeholder": "A red fox trotting through fresh snow\nWaves breaking on black rocks"}
        ),
    )
    file = forms.FileField(label="Or upload a CSV file", required=False)
    name = forms.CharField(label="Name", max_length=80, required=False)
    spending_cap = forms.DecimalField(
        label="Spending cap",
        required=False,
        min_value=1,
        max_digits=10,
        decimal_places=2,
        error_messages={
            "invalid": "Give the cap as a number of credits, such as 200.",
            "min_value": "A cap is at least 1 credit. Leave it empty for no cap.",
            "max_digits": "That cap is more than the studio can count. Leave it empty for no cap.",
            "max_decimal_places": "Give the cap in whole credits or cents, such as 200 or 12.50.",
            "max_whole_digits": "That cap is more than the studio can count. Leave it empty for no cap.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["prompt"]  # the prompts come from the list or the file

    def read(self):
        """The batch as read from the file, else from the list (batches.reading)."""
        data = self.cleaned_data
        defaults = batches.Defaults(
            model=data["model"],
            duration=data["duration"],
            size=data["size"],
            style=data.get("style") or "",
            camera=data.get("camera") or "",
        )
        if data.get("file"):
            upload = data["file"]
            if upload.size > batches.MAX_BYTES:
                return batches.Reading(
                    errors=[f"That file is {upload.size / 1_000_000:.1f} MB; a batch file may be up to 1 MB."]
                )
            return batches.read_upload(upload.read(), offer=self.offer, defaults=defaults)
        return batches.read_text(data.get("prompts") or "", offer=self.offer, defaults=defaults)
