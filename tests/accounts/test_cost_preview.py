"""Money before the click: a video the balance does not cover has its Generate button disabled, with the
reason and the way to ask for more beside it; a video past the monthly budget is warned of in the cost
preview; and the header's balance follows every answer that changed it (the wizard's pictures too)."""

import re

import pytest
from django.urls import reverse

from accounts import credits
from accounts.models import User
from generations.models import Draft, ImageRequest

GENERATE = re.compile(r"<button[^>]*generate-button[^>]*>Generate video</button>")


@pytest.fixture
def creator(client, owner):
    client.force_login(owner)
    return owner


def options(client, **settings):
    """The settings part of the create form as it comes back for a change of settings."""
    fields = {"model": "wan", "duration": "4", "size": "1280x720", **settings}
    return client.get(reverse("form_options"), fields, headers={"hx-request": "true"}).content.decode()


def generate_button(html):
    return GENERATE.search(html).group(0)


def test_short_of_credits_generate_is_disabled_with_the_reason_and_the_way_out(client, creator):
    credits.adjust(creator, -995, reason="Spent elsewhere")  # 5 left; 4 seconds of Wan cost 8

    html = options(client, duration="4")

    button = generate_button(html)
    assert " disabled" in button and 'aria-describedby="cost"' in button
    reason = re.search(r'<p class="cost cost-short" id="cost"[^>]*>(.*?)</p>', html, re.S).group(1)
    assert "This video costs 8 credits and you have 5 credits. Pick a shorter length or a cheaper model." in reason
    assert '<a class="btn btn-secondary ask-credits" href="/pricing/#ask">Ask for more credits</a>' in html
    assert "Save prompt" in html  # a prompt can still be kept for later


def test_a_cheaper_choice_enables_generate_again(client, creator):
    credits.adjust(creator, -995, reason="Spent elsewhere")

    html = options(client, duration="2")  # 4 credits of 5

    assert " disabled" not in generate_button(html)
    assert "Ask for more credits" not in html
    assert "You have 5, so <strong>1</strong> left after it." in html


def test_the_dashboard_opens_with_generate_disabled_when_the_balance_is_empty(client, creator):
    credits.adjust(creator, -1000, reason="Spent elsewhere")

    html = client.get(reverse("dashboard")).content.decode()

    assert " disabled" in generate_button(html)
    assert "you have no credits left" in html and 'href="/pricing/#ask">Ask for more credits</a>' in html


def test_a_creator_with_credits_has_generate_enabled(client, creator):
    html = client.get(reverse("dashboard")).content.decode()
    button = generate_button(html)
    assert " disabled" not in button and "aria-describedby" not in button
    assert "Ask for more credits" not in html and "cost-budget" not in html


def test_the_budget_warning_shows_before_the_click(client, creator, queue):
    User.objects.filter(pk=creator.pk).update(monthly_budget=10)
    credits.hold(creator, 8, reference="generation:earlier", description="Earlier")
    credits.charge(creator, "generation:earlier")

    html = options(client, duration="2")  # 4 more: 12 of 10

    warning = re.search(r'<p class="cost-budget" id="cost-budget">(.*?)</p>', html, re.S).group(1)
    assert (
        "This video (4 credits) would take this month&#x27;s spending to 12 credits, past your monthly budget of 10 credits. "
        "The studio will ask before it starts." in warning
    )
    button = generate_button(html)
    assert " disabled" not in button and 'aria-describedby="cost-budget"' in button

    User.objects.filter(pk=creator.pk).update(monthly_budget=100)
    assert "cost-budget" not in options(client, duration="2")


def test_an_unverified_creator_is_told_to_verify_not_to_ask(client, db):
    user = User.objects.create_user(username="new", email="new@example.com", password="x")
    client.force_login(user)
    html = options(client)
    assert " disabled" in generate_button(html)
    assert "Verify your email address to get credits" in html and "Ask for more credits" not in html


# The wizard's review step


def review_draft(client, user, settings=None):
    """A draft at the review step, with a picture (its file is not needed for the review's words)."""
    from generations.models import Picture

    picture = Picture.objects.create(user=user, origin=Picture.UPLOAD, width=640, height=480, image="p.jpg")
    draft = Draft.objects.create(
        user=user,
        picture=picture,
        prompt="The kite climbs",
        model="wan",
        duration=5,
        size="1280x720",
        step="review",
        **(settings or {}),
    )
    return draft


def test_the_wizard_review_disables_make_when_short(client, creator):
    credits.adjust(creator, -995, reason="Spent elsewhere")
    draft = review_draft(client, creator)

    html = client.get(reverse("wizard_step", args=[draft.pk, "review"])).content.decode()

    button = re.search(r'<button[^>]*id="make-video"[^>]*>', html).group(0)
    assert " disabled" in button and 'aria-describedby="review-cost"' in button
    assert re.search(r'id="review-cost">This video costs 10 credits and you have 5 credits', html)
    assert 'href="/pricing/#ask">Ask for more credits</a>' in html


def test_the_wizard_review_warns_of_the_budget_before_the_click(client, creator):
    User.objects.filter(pk=creator.pk).update(monthly_budget=6)
    draft = review_draft(client, creator)

    html = client.get(reverse("wizard_step", args=[draft.pk, "review"])).content.decode()

    assert (
        "This video (10 credits) would take this month&#x27;s spending to 10 credits, past your monthly budget of 6"
        in html
    )
    button = re.search(r'<button[^>]*id="make-video"[^>]*>', html).group(0)
    assert " disabled" not in button


# The header's balance


def test_pictures_asked_for_and_finished_bring_the_header_balance_along(client, creator, queue):
    draft = Draft.objects.create(user=creator)
    html = client.post(
        reverse("wizard_make", args=[draft.pk]),
        {"prompt": "A red kite", "model": "gpt-image-2"},
        headers={"hx-request": "true"},
    ).content.decode()
    assert re.search(r'id="credit-balance"[^>]*hx-swap-oob="outerHTML"', html)
    assert "<strong>988</strong> credits</a>" in html  # 3 pictures at 4 credits, held

    status = reverse("wizard_make_status", args=[draft.pk])
    html = client.get(status, headers={"hx-request": "true"}).content.decode()
    assert "credit-balance" not in html  # still being made: nothing changed

    ImageRequest.objects.get().mark_failed("service_error", "It broke. Nothing was charged.")
    html = client.get(status, headers={"hx-request": "true"}).content.decode()
    assert re.search(r'id="credit-balance"[^>]*hx-swap-oob="outerHTML"', html)
    assert "<strong>1,000</strong> credits</a>" in html  # the hold came back


def test_the_header_says_one_credit_not_one_credits(client, creator):
    credits.adjust(creator, -999, reason="Spent elsewhere")
    html = client.get(reverse("usage")).content.decode()
    assert 'aria-label="Your balance: 1 credit. See your usage"' in html and "<strong>1</strong> credit</a>" in html
