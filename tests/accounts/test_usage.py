"""What creators and operators see of credits: the cost and balance before each video, the header, the
usage page (ledger, filters, chart, spending by model), the monthly budget, and the admin views."""

import re
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import credits
from accounts.models import CreditEntry, Plan, User
from catalog.models import CatalogModel
from generations.models import Generation
from generations.starting import start_generation


@pytest.fixture
def creator(client, owner):
    client.force_login(owner)
    return owner


def start(user, prompt, slug="wan", duration=2, size="1280x720"):
    return start_generation(
        user, model=CatalogModel.objects.get(slug=slug), prompt=prompt, duration=duration, size=size
    )[0]


def finish(gen, succeeded=True):
    Generation.objects.filter(pk=gen.pk).update(status=Generation.Status.DOWNLOADING)
    gen.refresh_from_db()
    if succeeded:
        return gen.mark_completed("videos/x.mp4", "posters/x.jpg", {"bytes": 1, "width": 1, "height": 1, "seconds": 2})
    return gen.mark_failed("service_error", "It broke. Nothing was charged.")


def usage_page(client, **params):
    return client.get(reverse("usage"), params).content.decode()


def create(client, **fields):
    data = {
        "prompt": "A hot air balloon over green hills",
        "model": "wan",
        "duration": "3",
        "size": "1280x720",
        "client_token": str(uuid.uuid4()),
        **fields,
    }
    return client.post(reverse("create"), data, headers={"hx-request": "true"})


# Before a video: the cost and what is left


def test_the_form_shows_the_cost_and_the_balance_after_it(client, creator):
    html = client.get(reverse("form_options"), {"model": "veo", "duration": "5", "size": "1920x1080"}).content.decode()
    assert (
        "This video costs <strong>12 credits</strong>. You have 1,000, so <strong>988</strong> left after it." in html
    )


def test_when_credits_run_short_the_form_says_so_and_what_to_do(client, creator):
    credits.adjust(creator, -995, reason="Spent elsewhere")
    html = client.get(reverse("form_options"), {"model": "wan", "duration": "4", "size": "1280x720"}).content.decode()
    assert "This video costs 8 credits and you have 5 credits. Pick a shorter length or a cheaper model." in html
    assert "For more credits sooner, ask the studio team." in html
    html = create(client, duration="4").content.decode()
    assert html.count("This video costs 8 credits and you have 5 credits.") == 1  # said once, beside the button
    assert re.search(r'id="cost" role="alert">\s*This video costs 8 credits and you have 5 credits', html)
    assert not Generation.objects.exists()
    assert credits.balance_of(creator) == 5


def test_a_started_video_updates_the_header_balance(client, creator, queue):
    html = create(client, duration="3").content.decode()
    assert re.search(r'id="credit-balance"[^>]*hx-swap-oob="outerHTML"', html)
    assert "<strong>994</strong> credits" in html


def test_every_page_shows_the_balance_in_the_header(client, creator):
    for name in ("dashboard", "profile", "usage", "library"):
        html = client.get(reverse(name)).content.decode()
        assert 'aria-label="Your balance: 1,000 credits. See your usage"' in html, name


# The monthly budget


def test_past_the_budget_the_studio_asks_first(client, creator, queue):
    client.post(reverse("usage"), {"monthly_budget": "10"})
    assert User.objects.get(pk=creator.pk).monthly_budget == 10
    create(client, prompt="First", duration="4")  # 8 of 10

    html = create(client, prompt="Second", duration="2").content.decode()  # 12 of 10: ask

    assert "would take this month&#x27;s spending to 12 credits, past your monthly budget of 10 credits" in html
    assert 'name="confirm_budget" value="1"' in html and "Generate anyway" in html
    assert Generation.objects.count() == 1

    create(client, prompt="Second", duration="2", confirm_budget="1")
    assert Generation.objects.count() == 2
    assert credits.balance_of(creator) == 1000 - 12


def test_a_budget_that_makes_no_sense_is_refused_in_plain_words(client, creator):
    html = client.post(reverse("usage"), {"monthly_budget": "-3"}).content.decode()
    assert "A budget is at least 1 credit. Leave it empty to have none." in html
    html = client.post(reverse("usage"), {"monthly_budget": "lots"}).content.decode()
    assert "Type a whole number of credits, like 500, or leave it empty." in html
    client.post(reverse("usage"), {"monthly_budget": ""})
    assert User.objects.get(pk=creator.pk).monthly_budget is None


# The usage page


def test_a_failed_video_costs_nothing_and_the_usage_page_says_so(client, creator, queue):
    done = start(creator, "A lighthouse at dusk")
    broken = start(creator, "A storm at sea")
    finish(done)
    finish(broken, succeeded=False)

    html = usage_page(client)

    assert "<strong>996</strong> credits" in html  # the balance: 1000 less the one stored video
    lines = ledger(html)
    assert 'Returned 4 credits:</span> <span class="ledger-what">A storm at sea' in lines
    assert "not made, nothing spent" in lines
    assert lines.count("A storm at sea") == 1  # one line: held, then returned; never spent
    assert lines.count("A lighthouse at dusk") == 1  # one line: spent
    assert re.search(
        r'class="kind-charge">.*?Spent 4 credits:</span> <span class="ledger-what">A lighthouse', lines, re.S
    )


def test_the_chart_shows_todays_spending(client, creator, queue):
    finish(start(creator, "Dawn", duration=5))
    finish(start(creator, "Dusk", duration=3))
    old = start(creator, "Last week", duration=2)
    finish(old)
    CreditEntry.objects.filter(reference=f"generation:{old.pk}").update(created_at=timezone.now() - timedelta(days=7))

    html = usage_page(client)

    today = timezone.localdate()
    assert f'data-day="{today:%Y-%m-%d}" data-credits="16"' in html
    assert f'data-day="{today - timedelta(days=7):%Y-%m-%d}" data-credits="4"' in html
    assert f'data-day="{today - timedelta(days=1):%Y-%m-%d}" data-credits="0"' in html
    wide = html[html.index("day-chart-wide") : html.index("day-chart-narrow")]
    assert wide.count('<rect class="bar') == 30 and wide.count("bar-today") == 1
    assert "Last 30 days: <strong>20</strong> credits" in html


def test_spending_by_model(client, creator, queue):
    finish(start(creator, "Wan one", duration=5))
    finish(start(creator, "Kling one", slug="kling", duration=10))
    start(creator, "Still going", slug="kling", duration=5)  # held, not spent

    html = usage_page(client)
    table = html[html.index('id="models-heading"') : html.index('id="ledger"')]

    rows = re.findall(
        r'<th scope="row">(\w+)</th>\s*<td class="num">(\d+)</td>\s*<td class="num">([\d,.]+)</td>', table
    )
    assert rows == [("Kling", "1", "22"), ("Wan", "1", "10")]


def test_the_ledger_filters_by_kind_and_month(client, creator, queue):
    finish(start(creator, "Kept"))
    finish(start(creator, "Broke"), succeeded=False)
    last_month = timezone.now().replace(day=1) - timedelta(days=2)
    CreditEntry.objects.filter(description="Test credits").update(created_at=last_month)

    spent = ledger(usage_page(client, kind="spent"))
    assert "Kept" in spent and "Broke" not in spent and "Test credits" not in spent
    returned = ledger(usage_page(client, kind="returned"))
    assert 'Returned 4 credits:</span> <span class="ledger-what">Broke' in returned
    assert "Kept" not in returned  # a stored video's returned hold is part of its one line, under spent
    page = usage_page(client, kind="added", month=f"{last_month:%Y-%m}")
    added = ledger(page)
    assert "Test credits" in added and "Kept" not in added and "Broke" not in added
    assert f'<option value="{last_month:%Y-%m}" selected>{last_month:%B %Y}</option>' in page
    assert "Nothing here for this filter yet." in ledger(usage_page(client, kind="held", month=f"{last_month:%Y-%m}"))


def ledger(html):
    return html[html.index('id="ledger"') : html.index('id="budget-heading"')]


def test_the_ledger_pages_and_shows_only_ones_own_entries(client, creator, outsider, queue):
    for i in range(30):
        credits.grant(creator, 1, description=f"Gift {i}")
    credits.grant(outsider, 7, description="Someone else's gift")

    first = usage_page(client)
    second = usage_page(client, page=2)

    assert "Gift 29" in first and "Gift 0" not in first and "Page 1 of 2" in first
    assert "Gift 0" in second
    assert "Someone else" not in first + second


def test_out_of_credits_the_usage_page_says_what_to_do(client, creator):
    credits.adjust(creator, -1000, reason="Test")
    html = usage_page(client)
    assert "You have run out of credits." in html
    assert 'class="balance-pill balance-empty"' in html


# Admin


def test_operators_see_balances_and_plans_on_the_user_list(client, operator, owner):
    client.force_login(operator)
    html = client.get(reverse("admin:accounts_user_changelist")).content.decode()
    assert f'?user__id__exact={owner.pk}">1,000</a>' in html
    assert ">Pro<" in html


def test_operators_grant_and_adjust_with_a_reason(client, operator, owner):
    client.force_login(operator)
    url = reverse("admin:accounts_user_changelist")
    page = client.post(url, {"action": "grant_credits", "_selected_action": [owner.pk]}).content.decode()
    assert "Reason" in page and "owner@example.com" in page  # the form asks first

    client.post(
        url,
        {
            "action": "grant_credits",
            "_selected_action": [owner.pk],
            "amount": "50",
            "reason": "Sorry about the outage",
            "apply": "1",
        },
    )
    client.post(
        url,
        {
            "action": "adjust_credits",
            "_selected_action": [owner.pk],
            "amount": "-30",
            "reason": "Duplicate grant",
            "apply": "1",
        },
    )
    refused = client.post(
        url,
        {
            "action": "adjust_credits",
            "_selected_action": [owner.pk],
            "amount": "-5000",
            "reason": "Too much",
            "apply": "1",
        },
        follow=True,
    ).content.decode()

    assert credits.balance_of(owner) == 1020
    grant, adjustment = CreditEntry.objects.filter(user=owner, created_by=operator).order_by("id")
    assert (grant.kind, grant.amount, grant.reason) == ("grant", 50, "Sorry about the outage")
    assert (adjustment.kind, adjustment.amount, adjustment.reason) == ("adjustment", -30, "Duplicate grant")
    assert "would go below zero" in refused

    change = client.get(reverse("admin:accounts_user_change", args=[owner.pk])).content.decode()
    assert "Latest credit entries" in change and "Sorry about the outage" in change


def test_an_adjustment_needs_a_reason(client, operator, owner):
    client.force_login(operator)
    html = client.post(
        reverse("admin:accounts_user_changelist"),
        {
            "action": "adjust_credits",
            "_selected_action": [owner.pk],
            "amount": "10",
            "reason": "",
            "apply": "1",
        },
    ).content.decode()
    assert "This field is required." in html
    assert credits.balance_of(owner) == 1000


def test_operators_see_spending_across_the_studio(client, operator, owner, outsider, queue):
    finish(start(owner, "Owner's", duration=5))
    finish(start(outsider, "Outsider's", slug="kling", duration=5))
    finish(start(outsider, "Failed", duration=5), succeeded=False)
    client.force_login(operator)

    html = client.get(reverse("admin:accounts_spending")).content.decode()

    assert "the last 30 days: <strong>21</strong> credits" in html  # 10 + 11; the failed one cost nothing
    assert re.search(r"<td>Kling</td><td class=\"num\">1</td><td class=\"num\">11</td>", html)
    assert re.search(r"<td>Wan</td><td class=\"num\">1</td><td class=\"num\">10</td>", html)
    assert f'data-day="{timezone.localdate():%Y-%m-%d}" data-credits="21"' in html
    assert "Spending across the studio" in client.get(reverse("admin:accounts_creditentry_changelist")).content.decode()


def test_the_ledger_in_admin_cannot_be_edited(client, operator, owner):
    client.force_login(operator)
    entry = CreditEntry.objects.get(user=owner)
    assert client.get(reverse("admin:accounts_creditentry_add")).status_code == 403
    assert (
        client.post(reverse("admin:accounts_creditentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    )
    assert CreditEntry.objects.filter(pk=entry.pk).exists()


def test_plans_are_edited_in_admin(client, operator):
    client.force_login(operator)
    free = Plan.objects.get(slug="free")
    html = client.get(reverse("admin:accounts_plan_change", args=[free.pk])).content.decode()
    assert "Videos at once" in html and "1080p allowed" in html
