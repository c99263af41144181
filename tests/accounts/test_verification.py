"""Sign-ups cannot be farmed: a new creator's credits wait until they follow the link mailed to their
address, once; the studio says what to do meanwhile; a changed address is verified again; videos are
announced only to verified addresses; and sign-up tells nobody whether an address has an account."""

import re
import time
from datetime import date

import pytest
from django.contrib.auth import get_user
from django.urls import reverse

from accounts import credits, verification
from accounts.management.commands.demo_creator import DEMO_EMAIL
from accounts.models import CreditEntry, User
from generations.models import Generation
from tests.conftest import verification_link
from tests.generations.videos import make_generation
from worker import lifecycle

PASSWORD = "moving-pictures-1895"


def sign_up(client, email="nia@example.com", name="Nia New", password=PASSWORD, **extra):
    return client.post(
        reverse("signup"),
        {
            "display_name": name,
            "email": email,
            "password1": password,
            "password2": password,
        },
        **extra,
    )


def log_in(client, email="nia@example.com", password=PASSWORD):
    return client.post(reverse("login"), {"username": email, "password": password})


@pytest.mark.django_db
def test_credits_come_once_the_link_is_followed_and_only_once(client, mailoutbox):
    response = sign_up(client)
    assert response.status_code == 302 and response.url == reverse("signup_sent")
    nia = User.objects.get(email="nia@example.com")
    assert not nia.email_verified
    assert credits.balance_of(nia) == 0 and not CreditEntry.objects.filter(user=nia).exists()
    assert credits.grant_allowances() == 0  # the monthly job skips an unverified address too
    assert not get_user(client).is_authenticated  # the same answer as for a taken address: nobody logged in

    sent = client.get(response.url).content.decode()
    assert "Check your email" in sent and "works for 3 days" in sent
    (mail,) = mailoutbox
    assert mail.to == ["nia@example.com"] and mail.subject == "Verify your email address for Studio"
    assert "get your 100 credits to start with" in " ".join(mail.body.split())
    # Plain 7-bit text: the console of `make run` shows the link whole, ready to click.
    raw = mail.message().as_string()
    assert "Content-Transfer-Encoding: 7bit" in raw
    assert re.search(r"^http://127\.0\.0\.1:8000/accounts/verify/[\w.-]+/$", raw, re.MULTILINE)

    # Logged in before verifying: every page says what to do, and nothing to spend.
    log_in(client)
    page = client.get(reverse("dashboard")).content.decode()
    assert "Verify your email address</strong> to get your credits: follow the link we sent to nia@example.com" in page
    assert "Send the link again" in page
    assert 'aria-label="Your balance: 0 credits. See your usage"' in page
    assert "you have no credits left. Verify your email address to get credits: follow the link we sent you" in page
    assert "Send the link again" in client.get(reverse("profile")).content.decode()

    link = verification_link(mailoutbox, "nia@example.com")
    page = client.get(link).content.decode()
    assert "Your address is verified" in page
    assert "Your 100 credits to start with are in your account." in page
    nia.refresh_from_db()
    assert nia.email_verified and nia.plan.slug == "free"
    assert credits.balance_of(nia) == 100
    assert credits.grant_allowances() == 0  # this month's allowance was the start
    assert "Send the link again" not in client.get(reverse("dashboard")).content.decode()

    again = client.get(link)
    assert again.status_code == 400
    assert "This link has been used already: your email address is verified." in again.content.decode()
    assert credits.balance_of(nia) == 100
    assert CreditEntry.objects.filter(user=nia).count() == 1


@pytest.mark.django_db
def test_the_link_works_without_logging_in_and_a_second_link_grants_nothing(client, mailoutbox):
    sign_up(client)
    nia = User.objects.get(email="nia@example.com")
    first = verification_link(mailoutbox, "nia@example.com")
    verification.send_link(nia)
    second = verification_link(mailoutbox, "nia@example.com")

    page = client.get(first).content.decode()
    assert "Log in to make a video" in page
    assert client.get(second).status_code == 400
    assert credits.balance_of(nia) == 100


@pytest.mark.django_db
def test_an_expired_link_is_refused_in_plain_words(client, mailoutbox, monkeypatch):
    sign_up(client)
    nia = User.objects.get(email="nia@example.com")
    real = time.time
    with monkeypatch.context() as m:
        m.setattr(time, "time", lambda: real() - 3 * 86400 - 60)
        link = verification.link_for(nia).removeprefix("http://127.0.0.1:8000")

    response = client.get(link)
    assert response.status_code == 400
    assert "This link has expired: links work for 3 days. Log in and ask for a new one." in response.content.decode()
    nia.refresh_from_db()
    assert not nia.email_verified and credits.balance_of(nia) == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "token", ["nope", "x" * 3000, "1.sx1ab3.AAAAAA.forged-signature-aaaaa", "zzzzzzzzzzzzzzzz.1.a.b", "a%20b"]
)
def test_a_broken_or_forged_link_is_refused_in_plain_words(client, token):
    response = client.get(f"/accounts/verify/{token}/")
    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()


@pytest.mark.django_db
def test_a_changed_address_is_verified_again(client, owner, mailoutbox):
    old_link = verification.link_for(owner).removeprefix("http://127.0.0.1:8000")  # sent to the old address
    client.force_login(owner)

    client.post(
        reverse("profile"),
        {
            "display_name": owner.display_name,
            "username": owner.username,
            "email": "olive@example.com",
            "current_password": "pw-owner-123",
        },
    )
    owner.refresh_from_db()
    assert owner.email == "olive@example.com" and not owner.email_verified
    assert "follow the link we sent to olive@example.com" in client.get(reverse("dashboard")).content.decode()
    (mail,) = mailoutbox
    assert mail.to == ["olive@example.com"]

    # A link sent to the old address no longer verifies anything.
    refused = client.get(old_link)
    assert refused.status_code == 400
    assert "This link was sent to an email address that is no longer on your account" in refused.content.decode()
    owner.refresh_from_db()
    assert not owner.email_verified

    before = credits.balance_of(owner)
    assert "Your address is verified" in client.get(verification_link(mailoutbox, "olive@example.com")).content.decode()
    owner.refresh_from_db()
    assert owner.email_verified
    # The Pro plan's allowance for this month, which the owner had not had (their credits were a grant).
    assert credits.balance_of(owner) == before + 5000
    assert credits.grant_allowance(owner) is None  # and not a second time this month


@pytest.mark.django_db
def test_a_profile_saved_without_a_new_address_stays_verified(client, owner):
    client.force_login(owner)
    client.post(
        reverse("profile"),
        {
            "display_name": "Olive Green",
            "username": owner.username,
            "email": "OWNER@example.com",
        },
    )
    owner.refresh_from_db()
    assert owner.display_name == "Olive Green" and owner.email_verified


@pytest.mark.django_db
def test_a_new_link_can_be_asked_for(client, mailoutbox):
    sign_up(client)
    log_in(client)
    mailoutbox.clear()

    response = client.post(reverse("resend_verification"), follow=True)
    assert "We sent a new link to nia@example.com. It works for 3 days." in response.content.decode()
    client.get(verification_link(mailoutbox, "nia@example.com"))
    assert credits.balance_of(User.objects.get(email="nia@example.com")) == 100

    response = client.post(reverse("resend_verification"), follow=True)
    assert "Your email address is verified already." in response.content.decode()
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_ready_mail_goes_only_to_a_verified_address(owner, outsider, mailoutbox):
    User.objects.filter(pk__in=[owner.pk, outsider.pk]).update(notify_by_email=True)
    User.objects.filter(pk=outsider.pk).update(email_verified_at=None)
    for user in [owner, outsider]:
        gen = make_generation(user, prompt=f"A kite for {user.username}", status=Generation.Status.COMPLETED)
        lifecycle.notify_by_email(Generation.objects.select_related("user").get(pk=gen.pk))

    assert [m.to for m in mailoutbox] == [["owner@example.com"]]


@pytest.mark.django_db
def test_monthly_allowances_go_only_to_verified_addresses():
    User.objects.create_user(username="ada", email="ada@example.com", password="x", email_verified_at=None)
    bob = User.objects.create_user(username="bob", email="bob@example.com", password="x")
    bob.mark_email_verified("bob@example.com")

    assert credits.grant_allowances(day=date(2026, 11, 1)) == 1
    assert list(CreditEntry.objects.values_list("user__username", flat=True)) == ["bob"]


@pytest.mark.django_db
def test_the_demo_creator_is_verified():
    from django.core.management import call_command

    call_command("demo_creator")
    demo = User.objects.get(email=DEMO_EMAIL)
    assert demo.email_verified and credits.balance_of(demo) == 1000


# No enumeration: the same answer whether or not an address has an account.


def _answer(response):
    return response.status_code, response.get("Location"), sorted(response.cookies.keys())


@pytest.mark.django_db
def test_signing_up_with_a_taken_address_answers_the_same_and_mails_its_owner(client, owner, mailoutbox):
    new = sign_up(client, email="someone.new@example.com")
    taken = sign_up(client, email="OWNER@example.com", name="Mallory")

    assert _answer(new) == _answer(taken) == (302, reverse("signup_sent"), [])
    assert User.objects.filter(email__iexact="owner@example.com").get() == owner
    owner.refresh_from_db()
    assert owner.display_name == "Olive Owner" and owner.check_password("pw-owner-123")
    assert not get_user(client).is_authenticated

    to_owner = mailoutbox[-1]
    assert to_owner.to == ["owner@example.com"] and to_owner.subject == "You already have a Studio account"
    assert "Someone, maybe you, tried to create a Studio account with this email address" in " ".join(
        to_owner.body.split()
    )
    assert "/accounts/password/reset/" in to_owner.body
    assert "/accounts/verify/" not in to_owner.body  # the owner's address is verified already


@pytest.mark.django_db
def test_a_taken_unverified_address_gets_its_link_again(client, mailoutbox):
    sign_up(client)
    sign_up(client)
    assert User.objects.filter(email="nia@example.com").count() == 1
    client.get(verification_link(mailoutbox, "nia@example.com"))
    assert credits.balance_of(User.objects.get(email="nia@example.com")) == 100


@pytest.mark.django_db
def test_password_reset_answers_the_same_for_any_address(client, owner, mailoutbox):
    known = client.post(reverse("password_reset"), {"email": "owner@example.com"})
    unknown = client.post(reverse("password_reset"), {"email": "nobody@example.com"})

    assert _answer(known) == _answer(unknown) == (302, reverse("password_reset_done"), [])
    assert [m.to for m in mailoutbox] == [["owner@example.com"]]


@pytest.mark.django_db
def test_operators_see_whether_an_address_is_verified(client, operator, owner):
    client.force_login(operator)
    html = client.get(reverse("admin:accounts_user_change", args=[owner.pk])).content.decode()
    assert "Email verified" in html
    assert 'name="email_verified_at"' not in html  # only the link sets it
