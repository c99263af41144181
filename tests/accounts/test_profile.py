import pytest
from django.urls import reverse

from accounts.models import User


def profile_data(user, **changes):
    data = {"display_name": user.display_name, "username": user.username, "email": user.email, "current_password": ""}
    if user.notify_by_email:
        data["notify_by_email"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.django_db
def test_the_profile_shows_the_creators_details(client, owner):
    client.force_login(owner)

    html = client.get(reverse("profile")).content.decode()
    assert 'value="Olive Owner"' in html
    assert 'value="owner"' in html
    assert 'value="owner@example.com"' in html
    assert '<label for="id_notify_by_email">Email me when a video is ready</label>' in html
    assert f'href="{reverse("password_change")}"' in html


@pytest.mark.django_db
def test_editing_the_profile_saves_for_the_logged_in_creator_only(client, owner, outsider):
    client.force_login(owner)

    response = client.post(
        reverse("profile"),
        profile_data(
            owner,
            display_name="  Olive   Green ",
            username="Olive-Green",
            notify_by_email="on",
        ),
        follow=True,
    )

    assert "Your profile is saved." in response.content.decode()
    owner.refresh_from_db()
    assert (owner.display_name, owner.username, owner.notify_by_email) == ("Olive Green", "olive-green", True)
    outsider.refresh_from_db()
    assert (outsider.display_name, outsider.username, outsider.notify_by_email) == (
        "Oscar Outsider",
        "outsider",
        False,
    )


@pytest.mark.django_db
def test_unticking_the_email_setting_turns_it_off(client, owner):
    User.objects.filter(pk=owner.pk).update(notify_by_email=True)
    client.force_login(owner)

    client.post(reverse("profile"), profile_data(owner, notify_by_email=None))

    owner.refresh_from_db()
    assert owner.notify_by_email is False


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("handle", "message"),
    [
        ("OUTSIDER", "Someone already has that handle"),
        ("no spaces", "Use 2 to 30 lowercase letters, numbers or hyphens"),
        ("-edge-", "Use 2 to 30 lowercase letters, numbers or hyphens"),
        ("x", "Use 2 to 30 lowercase letters, numbers or hyphens"),
        ("admin", "kept for the studio itself"),
    ],
)
def test_a_handle_that_cannot_be_used_is_explained(client, owner, outsider, handle, message):
    client.force_login(owner)

    response = client.post(reverse("profile"), profile_data(owner, display_name="New Name", username=handle))

    html = response.content.decode()
    assert message in html
    assert 'value="New Name"' in html  # the rest of what was typed stays
    owner.refresh_from_db()
    assert (owner.username, owner.display_name) == ("owner", "Olive Owner")


@pytest.mark.django_db
def test_a_rejected_edit_does_not_show_up_as_saved_elsewhere_on_the_page(client, owner, outsider):
    client.force_login(owner)

    response = client.post(reverse("profile"), profile_data(owner, username="outsider"))

    assert response.context["user"].username == "owner"


@pytest.mark.django_db
def test_changing_the_email_needs_the_current_password(client, owner):
    client.force_login(owner)

    response = client.post(reverse("profile"), profile_data(owner, email="olive@example.com"))
    assert "To change your email address, type your current password here." in response.content.decode()
    owner.refresh_from_db()
    assert owner.email == "owner@example.com"

    client.post(reverse("profile"), profile_data(owner, email="Olive@Example.com", current_password="pw-owner-123"))
    owner.refresh_from_db()
    assert owner.email == "olive@example.com"


@pytest.mark.django_db
def test_an_email_another_creator_uses_is_refused_in_any_case(client, owner, outsider):
    client.force_login(owner)

    response = client.post(
        reverse("profile"),
        profile_data(
            owner,
            email="OUTSIDER@example.com",
            current_password="pw-owner-123",
        ),
    )

    assert "Another account already uses this email address." in response.content.decode()
    owner.refresh_from_db()
    assert owner.email == "owner@example.com"


@pytest.mark.django_db
def test_the_database_refuses_the_same_email_in_another_case(owner):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        User.objects.create_user(username="copy", email="OWNER@example.com", password="x")
