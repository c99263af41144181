import logging
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models import Count, F
from django.db.models.deletion import Collector
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts import credits, verification, words
from accounts import usage as spending
from accounts.models import CreditEntry, OperatorAlert, Plan, UpgradeRequest, User

log = logging.getLogger(__name__)


def stored_files(queryset):
    """The names of the stored files on the rows that deleting `queryset` removes, cascades included
    (a creator's videos, posters and pictures), read the way Django's delete finds the rows."""
    collector = Collector(using=queryset.db)
    collector.collect(queryset)
    # The collected rows may have their file fields deferred: read those in batches, not row by row.
    querysets = [qs for qs in collector.fast_deletes if hasattr(qs, "values_list")]
    for model, objs in collector.data.items():
        pks = [obj.pk for obj in objs]
        querysets += [model._base_manager.filter(pk__in=pks[i : i + 500]) for i in range(0, len(pks), 500)]
    names = []
    for qs in querysets:
        fields = [f.attname for f in qs.model._meta.concrete_fields if isinstance(f, models.FileField)]
        if fields:
            names += [name for row in qs.values_list(*fields) for name in row if name]
    return names


def remove_files(names):
    """Stored files whose rows are gone. A file that cannot be removed is logged, not retried."""
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:
            log.exception("Could not remove %s from storage", name)


class CreditEntryInline(admin.TabularInline):
    """The latest entries of this creator's ledger (all of them: Credit entries, filtered by user)."""

    model = CreditEntry
    fk_name = "user"
    fields = ("created_at", "kind", "amount", "balance_after", "description", "model", "reason", "created_by")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name_plural = "Latest credit entries"
    LATEST = 30

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("model", "created_by")
        # The formset needs a filterable queryset, so the latest are picked by id rather than sliced.
        latest = CreditEntry.objects.order_by("-created_at", "-id").values("id")
        return queryset.filter(
            id__in=[row["id"] for row in latest.filter(user__in=self._users(request))[: self.LATEST]]
        )

    def _users(self, request):
        object_id = request.resolver_match.kwargs.get("object_id")
        return [object_id] if object_id else []

    def has_add_permission(self, request, obj=None):
        return False


class GrantForm(forms.Form):
    amount = forms.DecimalField(label="Credits", min_value=1, max_digits=10, decimal_places=2)
    reason = forms.CharField(
        label="Reason",
        max_length=500,
        help_text="Shown to the creator in their ledger.",
        widget=forms.TextInput(attrs={"size": 60}),
    )


class AdjustForm(forms.Form):
    amount = forms.DecimalField(
        label="Credits",
        max_digits=10,
        decimal_places=2,
        help_text="Positive adds, negative takes away (never below zero).",
    )
    reason = forms.CharField(
        label="Reason",
        max_length=500,
        help_text="Shown to the creator in their ledger.",
        widget=forms.TextInput(attrs={"size": 60}),
    )

    def clean_amount(self):
        if self.cleaned_data["amount"] == 0:
            raise forms.ValidationError("An adjustment of zero changes nothing.")
        return self.cleaned_data["amount"]


class PlanForm(forms.Form):
    plan = forms.ModelChoiceField(queryset=Plan.objects.all(), empty_label=None)
    with_allowance = forms.BooleanField(
        label="Also grant this month's allowance of the new plan now",
        required=False,
        help_text="Only to creators who have not had an allowance this month.",
    )


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("email", "display_name", "username", "plan", "balance", "is_staff", "is_active", "date_joined")
    list_filter = ("plan", *BaseUserAdmin.list_filter)
    list_select_related = ("plan",)
    search_fields = ("email", "display_name", "username")
    ordering = ("-date_joined",)
    readonly_fields = ("balance", "email_verified_at")  # set only by following the mailed link
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("Studio", {"fields": ("display_name", "email_verified_at", "notify_by_email")}),
        ("Credits", {"fields": ("balance", "plan", "monthly_budget")}),
    )
    # Email is how a creator signs in, so an account added here needs one from the start.
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "username", "display_name", "usable_password", "password1", "password2"),
            },
        ),
    )
    inlines = [CreditEntryInline]
    actions = ("grant_credits", "adjust_credits", "assign_plan")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(credit_balance=F("credit_account__balance"))

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    @admin.display(description="Balance", ordering="credit_balance")
    def balance(self, obj):
        value = getattr(obj, "credit_balance", None)
        if value is None:
            value = credits.balance_of(obj)
        url = reverse("admin:accounts_creditentry_changelist") + f"?user__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, f"{value:,.2f}".rstrip("0").rstrip("."))

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:  # a creator added by an operator starts like one who signed up: credits once verified
            credits.welcome(obj)
            verification.send_link(obj)

    def get_deleted_objects(self, objs, request):
        # Ledger entries are never deleted one by one, but a creator's ledger goes with the creator.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, perms_needed - {CreditEntry._meta.verbose_name}, protected

    def delete_model(self, request, obj):
        self.delete_queryset(request, User.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        """A creator goes with everything of theirs: their ledger, videos and pictures, and the stored
        files of those once the rows are gone. A worker busy with one of their videos finds it gone and
        stops (each of its steps is a conditional UPDATE); a download finishing now removes its own file."""
        with transaction.atomic():
            files = stored_files(queryset)
            queryset.delete()
            transaction.on_commit(lambda: remove_files(files))

    def _action_page(self, request, queryset, form, title, action):
        return TemplateResponse(
            request,
            "admin/accounts/credit_action.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "form": form,
                "users": queryset,
                "action": action,
                "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
                "opts": self.model._meta,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description="Grant credits to the selected creators…", permissions=["change"])
    def grant_credits(self, request, queryset):
        form = GrantForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self._action_page(request, queryset, form, "Grant credits", "grant_credits")
        amount, reason = form.cleaned_data["amount"], form.cleaned_data["reason"]
        for user in queryset:
            credits.grant(user, amount, reason=reason, by=request.user, description="Credits from the studio")
        self.message_user(request, f"Granted {words.amount(amount)} to {len(queryset)} creator(s).", messages.SUCCESS)
        return None

    @admin.action(description="Adjust credits of the selected creators, with a reason…", permissions=["change"])
    def adjust_credits(self, request, queryset):
        form = AdjustForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self._action_page(request, queryset, form, "Adjust credits", "adjust_credits")
        amount, reason = form.cleaned_data["amount"], form.cleaned_data["reason"]
        done = 0
        for user in queryset:
            try:
                credits.adjust(user, amount, reason=reason, by=request.user)
                done += 1
            except credits.NotEnoughCredits as e:
                self.message_user(request, words.below_zero(user, e), messages.WARNING)
        self.message_user(request, f"Adjusted {done} creator(s) by {amount:+} credits.", messages.SUCCESS)
        return None

    @admin.action(description="Move the selected creators to a plan…", permissions=["change"])
    def assign_plan(self, request, queryset):
        form = PlanForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return self._action_page(request, queryset, form, "Move to a plan", "assign_plan")
        plan = form.cleaned_data["plan"]
        count = queryset.update(plan=plan)
        granted = 0
        if form.cleaned_data["with_allowance"]:
            granted = sum(
                1 for user in User.objects.filter(pk__in=queryset.values("pk")) if credits.grant_allowance(user)
            )
        note = f"; {granted} got this month's allowance" if granted else ""
        self.message_user(request, f"Moved {count} creator(s) to the {plan.name} plan{note}.", messages.SUCCESS)
        return None


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "slug",
        "monthly_credits",
        "max_duration",
        "allow_hd",
        "max_running",
        "is_default",
        "creators",
        "position",
    )
    list_editable = ("position",)
    filter_horizontal = ("allowed_models",)
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(creator_count=Count("users"))

    @admin.display(description="Creators", ordering="creator_count")
    def creators(self, obj):
        return obj.creator_count


@admin.register(CreditEntry)
class CreditEntryAdmin(admin.ModelAdmin):
    """The ledger, read-only: entries are only ever written by accounts.credits."""

    list_display = (
        "created_at",
        "user",
        "kind",
        "signed_amount",
        "balance_after",
        "description",
        "model",
        "reason",
        "created_by",
    )
    list_filter = ("kind", "model", "created_at")
    search_fields = ("user__email", "user__display_name", "reference", "description", "reason")
    date_hierarchy = "created_at"
    list_select_related = ("user", "model", "created_by")
    change_list_template = "admin/accounts/creditentry/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Amount", ordering="amount")
    def signed_amount(self, obj):
        return f"{obj.amount:+,.2f}"

    def get_urls(self):
        spending_url = path("spending/", self.admin_site.admin_view(self.spending_view), name="accounts_spending")
        return [spending_url, *super().get_urls()]

    def spending_view(self, request):
        """Spending across the studio: per day and per model, the last 30 days."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        entries = CreditEntry.objects.all()
        points = spending.daily_spending(entries)
        return TemplateResponse(
            request,
            "admin/accounts/spending.html",
            {
                **self.admin_site.each_context(request),
                "title": "Spending across the studio",
                "chart": spending.day_chart(points),
                "days": [(day, credits_) for day, credits_ in reversed(points)],
                "models": spending.by_model(entries, since=timezone.now() - timedelta(days=30)),
                "opts": CreditEntry._meta,
            },
        )


@admin.register(OperatorAlert)
class OperatorAlertAdmin(admin.ModelAdmin):
    list_display = ("message", "code", "times", "first_seen", "last_seen", "resolved_at")
    list_filter = ("code", ("resolved_at", admin.EmptyFieldListFilter))
    readonly_fields = ("code", "message", "detail", "times", "first_seen", "last_seen", "resolved_at")
    actions = ("resolve",)

    def has_add_permission(self, request):
        return False

    @admin.action(description="Mark resolved", permissions=["change"])
    def resolve(self, request, queryset):
        count = queryset.filter(resolved_at=None).update(resolved_at=timezone.now())
        self.message_user(request, f"Resolved {count} alert(s).", messages.SUCCESS)


class OpenFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("resolved", "Resolved")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.open()
        if self.value() == "resolved":
            return queryset.exclude(resolved_at=None)
        return queryset


@admin.register(UpgradeRequest)
class UpgradeRequestAdmin(admin.ModelAdmin):
    """Creators asking for another plan (the pricing page's form). Move them with the user admin's
    "Move the selected creators to a plan" action, then mark the request resolved."""

    list_display = ("created_at", "user", "current_plan", "plan", "short_message", "resolved_at")
    list_filter = (OpenFilter, "plan")
    list_select_related = ("user", "plan", "current_plan")
    search_fields = ("user__email", "user__display_name", "message")
    readonly_fields = ("user", "plan", "current_plan", "message", "created_at", "resolved_at", "resolved_by")
    actions = ("resolve",)

    def has_add_permission(self, request):
        return False

    @admin.display(description="Message")
    def short_message(self, obj):
        return obj.message if len(obj.message) <= 80 else obj.message[:79] + "…"

    @admin.action(description="Mark resolved", permissions=["change"])
    def resolve(self, request, queryset):
        count = queryset.resolve(by=request.user)
        self.message_user(request, f"Resolved {count} upgrade request(s).", messages.SUCCESS)
