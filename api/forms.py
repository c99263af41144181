"""The API pages' form: making a token."""

from django import forms

from api.models import DEFAULT_DAYS, LIFETIMES


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=60,
        help_text="What it is for, e.g. “my laptop” or “shop plugin”.",
        error_messages={"required": "Give the token a name, so you can tell it apart later."},
    )
    create = forms.BooleanField(
        label="May make videos (spends your credits)",
        required=False,
        help_text="Without it the token may only read: list, look at and download your videos, your balance and prices.",
    )
    days = forms.TypedChoiceField(
        label="Works for",
        choices=LIFETIMES,
        coerce=int,
        required=False,
        empty_value=DEFAULT_DAYS,
        initial=DEFAULT_DAYS,
        help_text="Then it stops working and you make a new one. It also ends if your password changes.",
    )
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="To be sure it is you making a key to your account.",
        error_messages={"required": "Type your password to make a token."},
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password
