from django.core.management.base import BaseCommand

from accounts import credits, words
from accounts.models import CreditEntry, Plan, User

DEMO_EMAIL = "demo@studio.local"
DEMO_PASSWORD = "create-videos"
DEMO_PLAN = "creator"


class Command(BaseCommand):
    help = (
        "Creates the demo creator, verified, on the Creator plan with this month's credits (safe to run "
        "again: an existing one keeps its account, and gets this month's credits if it has not had them)."
    )

    def handle(self, *args, **options):
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            user = User.objects.create_user(
                username="demo",
                email=DEMO_EMAIL,
                password=DEMO_PASSWORD,
                display_name="Demo Creator",
                plan=Plan.objects.filter(slug=DEMO_PLAN).first(),
            )
            self.stdout.write(f"Created the demo creator {DEMO_EMAIL}")
        if not CreditEntry.objects.filter(user=user).exists() and user.plan_id is None:
            User.objects.filter(pk=user.pk).update(plan=Plan.objects.filter(slug=DEMO_PLAN).first())
            user.refresh_from_db()
        user.mark_email_verified(DEMO_EMAIL)  # an address of the studio's own: nothing to prove
        if credits.welcome(user):
            self.stdout.write(f"The demo creator has {words.amount(credits.balance_of(user))} to play with")
