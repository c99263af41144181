from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.db import IntegrityError, transaction

from accounts import handles
from accounts.models import User
from catalog.models import CatalogModel

PASSWORD_HELP = "At least 8 characters. Avoid common words, your name, or only numbers."
PASSWORDS_DIFFER = "The two passwords are not the same. Please type the same password twice."


def _email_field(**kwargs):
    return forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={"invalid": "That does not look like an email address. Check for typos, like a missing @."},
        **kwargs,
    )


def _password_field(label, autocomplete, help_text=""):
    return forms.CharField(
        label=label,
        strip=False,
        help_text=help_text,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


class FocusFirstError:
    """After a failed submit, the cursor starts in the first field that needs fixing."""

    def full_clean(self):
        super().full_clean()
        first = next((name for name in self.fields if name in self.errors), None)
        if first:
            for field in self.fields.values():
                field.widget.attrs.pop("autofocus", None)
            self.fields[first].widget.attrs["autofocus"] = True


class SignupForm(FocusFirstError, forms.ModelForm):
    display_name = forms.CharField(
        label="Your name",
        max_length=80,
        help_text="Shown on your videos. You can change it later.",
        widget=forms.TextInput(attrs={"autocomplete": "name", "autofocus": True}),
    )
    email = _email_field()
    password1 = _password_field("Password", "new-password", PASSWORD_HELP)
    password2 = _password_field("Password again", "new-password")

    class Meta:
        model = User
        fields = ("display_name", "email")

    def clean_display_name(self):
        return " ".join(self.cleaned_data["display_name"].split())

    def clean_email(self):
        # An address that has an account already is not refused here: that would tell anyone who has
        # an account. Its owner hears of it by mail instead (accounts.verification.sign_up).
        return self.cleaned_data["email"].strip().lower()

    def validate_unique(self):
        pass  # the same: the database still refuses a second account for one address

    def validate_constraints(self):
        pass

    def clean(self):
        cleaned = super().clean()
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", forms.ValidationError(PASSWORDS_DIFFER, code="password_mismatch"))
        return cleaned

    def _post_clean(self):
        super()._post_clean()
        # Checked against the would-be creator, so a password made of their email or handle is refused.
        self.instance.username = handles.clean(self.instance.display_name)
        password = self.cleaned_data.get("password1")
        if password and "password2" not in self.errors:
            try:
                password_validation.validate_password(password, self.instance)
            except forms.ValidationError as error:
                self.add_error("password1", error)

    def save(self):
        """Creates the creator with a free handle. Raises IntegrityError when another sign-up took the
        email address in the meantime (a double click); a handle taken in the meantime is simply retried."""
        user = super().save(commit=False)
        user.set_password(self.cleaned_data["password1"])
        for attempt in range(3):
            user.username = handles.unique_handle(user.display_name, user.email)
            try:
                with transaction.atomic():
                    user.save()
                return user
            except IntegrityError:
                if attempt == 2 or User.objects.filter(email__iexact=user.email).exists():
                    raise


class LoginForm(FocusFirstError, auth_forms.AuthenticationForm):
    error_messages = {
        "invalid_login": "That email address and password do not match an account. "
        "Check them and try again, or reset your password.",
        "inactive": "This account is switched off. Please contact support.",
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields["username"] = _email_field()
        self.fields["username"].widget.attrs["autofocus"] = True
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"

    def clean_username(self):
        return self.cleaned_data["username"].strip()


class ProfileForm(FocusFirstError, forms.ModelForm):
    display_name = forms.CharField(
        label="Your name",
        max_length=80,
        help_text="Shown on your videos.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    username = forms.CharField(
        label="Handle",
        max_length=handles.MAX_LENGTH,
        help_text="Your short public name in links. Lowercase letters, numbers and hyphens.",
        widget=forms.TextInput(attrs={"autocomplete": "username", "spellcheck": "false", "autocapitalize": "none"}),
    )
    email = _email_field()
    current_password = _password_field(
        "Current password",
        "current-password",
        "Only needed when you change your email address.",
    )
    notify_by_email = forms.BooleanField(label="Email me when a video is ready", required=False)

    class Meta:
        model = User
        fields = ("display_name", "username", "email", "notify_by_email")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["current_password"].required = False
        self.saved_email = self.instance.email

    def clean_display_name(self):
        return " ".join(self.cleaned_data["display_name"].split())

    def clean_username(self):
        handle = self.cleaned_data["username"].strip().lower()
        if problem := handles.problem(handle):
            raise forms.ValidationError(problem, code="invalid_handle")
        if handles.is_taken(handle, exclude_user=self.instance):
            raise forms.ValidationError("Someone already has that handle. Please pick another.", code="handle_taken")
        return handle

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("Another account already uses this email address.", code="email_taken")
        return email

    @property
    def email_changed(self):
        return self.is_valid() and self.cleaned_data["email"] != self.saved_email.lower()

    def save(self):
        """Saves what the form edits and nothing else. A new address is unverified until its link is
        followed (the view mails it)."""
        fields = list(self._meta.fields)
        if self.email_changed:
            self.instance.email_verified_at = None
            fields.append("email_verified_at")
        self.instance.save(update_fields=fields)
        return self.instance

    def clean(self):
        cleaned = super().clean()
        email = cleaned.get("email")
        if email and email != self.saved_email.lower():
            if not self.instance.check_password(cleaned.get("current_password") or ""):
                self.add_error(
                    "current_password",
                    forms.ValidationError(
                        "To change your email address, type your current password here.",
                        code="password_needed",
                    ),
                )
        return cleaned


class PasswordChangeForm(FocusFirstError, auth_forms.PasswordChangeForm):
    error_messages = {
        **auth_forms.PasswordChangeForm.error_messages,
        "password_incorrect": "That is not your current password. Please try again.",
        "password_mismatch": PASSWORDS_DIFFER,
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _relabel_new_passwords(self)
        self.fields["old_password"].label = "Current password"


class SetPasswordForm(FocusFirstError, auth_forms.SetPasswordForm):
    error_messages = {**auth_forms.SetPasswordForm.error_messages, "password_mismatch": PASSWORDS_DIFFER}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _relabel_new_passwords(self)


class PasswordResetForm(FocusFirstError, auth_forms.PasswordResetForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"] = _email_field()
        self.fields["email"].widget.attrs["autofocus"] = True


def _relabel_new_passwords(form):
    form.fields["new_password1"].label = "New password"
    form.fields["new_password1"].help_text = PASSWORD_HELP
    form.fields["new_password2"].label = "New password again"
    form.fields["new_password2"].help_text = ""


class BudgetForm(forms.Form):
    monthly_budget = forms.DecimalField(
        label="Credits a month",
        required=False,
        min_value=1,
        max_value=10_000_000,
        decimal_places=0,
        help_text="Before a video takes this month's spending past it, the studio asks you first. Leave empty to never ask.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": "1", "placeholder": "No budget"}),
        error_messages={
            "invalid": "Type a whole number of credits, like 500, or leave it empty.",
            "min_value": "A budget is at least 1 credit. Leave it empty to have none.",
            "max_value": "That is more credits than the studio counts. Try a smaller number.",
            "max_decimal_places": "Type a whole number of credits, like 500.",
        },
    )

    def save(self, user):
        User.objects.filter(pk=user.pk).update(monthly_budget=self.cleaned_data["monthly_budget"])


class FailoverForm(forms.Form):
    """What may happen to a video whose model is unavailable: wait for it, or move to the next model the
    creator allows (their first, second and third choices; none: the plan's models in the catalog's order)
    for at most this many credits more."""

    CHOICES = ("first", "second", "third")
    prefix = "failover"  # beside the profile's own form on one page

    allow = forms.BooleanField(label="Make it on the next model I allow", required=False)
    extra = forms.DecimalField(
        label="At most this many credits more",
        required=False,
        min_value=0,
        max_value=10_000,
        decimal_places=0,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": "1"}),
        error_messages={
            "invalid": "Type a whole number of credits, like 5 (0: never more than it cost).",
            "min_value": "Type 0 or more credits.",
            "max_value": "That is more than any video costs. Try a smaller number.",
            "max_decimal_places": "Type a whole number of credits, like 5.",
        },
    )
    first = forms.ModelChoiceField(queryset=None, label="First choice", required=False, to_field_name="slug")
    second = forms.ModelChoiceField(queryset=None, label="Second choice", required=False, to_field_name="slug")
    third = forms.ModelChoiceField(queryset=None, label="Third choice", required=False, to_field_name="slug")

    def __init__(self, *args, user, **kwargs):
        order = list(user.failover_models) + [None, None, None]
        initial = {
            "allow": user.failover_extra is not None,
            "extra": user.failover_extra if user.failover_extra is not None else 0,
            **dict(zip(self.CHOICES, order)),
        }
        super().__init__(*args, initial=initial, **kwargs)
        videos = CatalogModel.objects.filter(kind=CatalogModel.Kind.VIDEO, enabled=True)
        for name in self.CHOICES:
            self.fields[name].queryset = videos
            self.fields[name].empty_label = "Any the plan makes"

    def clean(self):
        data = super().clean()
        if data.get("allow") and data.get("extra") is None:
            self.add_error("extra", "Say how many credits more a video may cost on another model (0 is fine).")
        picked = [data[name].slug for name in self.CHOICES if data.get(name)]
        if len(set(picked)) != len(picked):
            self.add_error("second", "Pick each model once.")
        data["order"] = picked
        return data

    def save(self, user):
        extra = self.cleaned_data["extra"] if self.cleaned_data["allow"] else None
        User.objects.filter(pk=user.pk).update(failover_extra=extra, failover_models=self.cleaned_data["order"])
