"""The library's forms: its filters, and naming a collection."""

from django import forms
from django.conf import settings

from generations.models import Collection, Generation
from library.listing import NO_COLLECTION, SHOWS, STORYBOARDS


class Filters(forms.Form):
    """What the creator narrows the library to. Every field is optional; one that makes no sense
    is left out (and said so), the others still apply."""

    q = forms.CharField(label="Search your prompts", required=False, max_length=200)
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[
            ("", "Any status"),
            ("ready", "Ready"),
            ("making", "Being made"),
            ("failed", "Failed"),
        ],
    )
    model = forms.ChoiceField(label="Model", required=False)
    start = forms.ChoiceField(
        label="Started from",
        required=False,
        choices=[
            ("", "Text or picture"),
            (Generation.Start.TEXT, "Text"),
            (Generation.Start.IMAGE, "A picture"),
        ],
    )
    when = forms.ChoiceField(
        label="When",
        required=False,
        choices=[
            ("", "Any time"),
            ("today", "Today"),
            ("week", "Last 7 days"),
            ("month", "Last 30 days"),
            ("year", "Last 12 months"),
        ],
    )
    show = forms.ChoiceField(
        required=False, choices=[("", "Everything")] + [(k, k) for k in SHOWS] + [(STORYBOARDS, STORYBOARDS)]
    )
    collection = forms.ChoiceField(required=False)

    def __init__(self, data, *, models, collections):
        super().__init__(data)
        self.fields["model"].choices = [("", "Any model")] + [(m.slug, m.name) for m in models]
        self.fields["collection"].choices = [("", "All"), (NO_COLLECTION, "None")] + [
            (str(c.pk), c.name) for c in collections
        ]
        self.model_ids = {m.slug: m.pk for m in models}

    def values(self):
        """The valid choices only, as a dict; empty values left out."""
        self.is_valid()
        return {k: v for k, v in getattr(self, "cleaned_data", {}).items() if v}

    def problems(self):
        return [f"{self.fields[name].label or name}: {', '.join(errors)}" for name, errors in self.errors.items()]


class CollectionForm(forms.ModelForm):
    class Meta:
        model = Collection
        fields = ["name"]
        labels = {"name": "Collection name"}
        error_messages = {"name": {"required": "Give the collection a name, for example Holiday clips."}}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self):
        limit = settings.COLLECTIONS_PER_ACCOUNT
        if self.instance.pk is None and Collection.objects.filter(user=self.user).count() >= limit:
            raise forms.ValidationError(
                f"You have {limit} collections, as many as one account keeps. Remove one you no longer use "
                "(its videos stay in your library), then make a new one."
            )
        return super().clean()

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Give the collection a name, for example Holiday clips.")
        taken = Collection.objects.filter(user=self.user, name__iexact=name).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError("You already have a collection with this name.")
        return name

    def save(self, commit=True):
        self.instance.user = self.user
        return super().save(commit)
