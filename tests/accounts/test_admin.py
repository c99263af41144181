from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from accounts import credits
from accounts.models import CreditEntry, OperatorAlert, Plan, User
from catalog.models import CatalogModel
from generations.models import Generation, Picture

USERS = "admin:accounts_user_changelist"
USER_ACTIONS = ["grant_credits", "adjust_credits", "assign_plan"]


@pytest.mark.django_db
def test_an_operator_adds_a_creator_with_an_email_in_the_admin(client, operator):
    client.force_login(operator)

    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "new@example.com",
            "username": "new-creator",
            "display_name": "New Creator",
            "usable_password": "true",
            "password1": "a-long-enough-secret-9",
            "password2": "a-long-enough-secret-9",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(email="new@example.com")
    assert (user.username, user.display_name) == ("new-creator", "New Creator")
    assert client.get(reverse("admin:accounts_user_changelist") + "?q=new").status_code == 200


def staff_with(*codenames, name="viewer"):
    """A staff member with only the permissions named (no superuser rights)."""
    user = User.objects.create_user(username=name, email=f"{name}@example.com", password="pw-staff-123", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def viewer(db):
    return staff_with("view_user", "view_plan", "view_creditentry", "view_operatoralert")


def ledger():
    return sorted(CreditEntry.objects.values_list("id", "user_id", "amount"))


@pytest.mark.django_db
def test_view_only_staff_are_offered_no_credit_or_plan_action(client, viewer, operator, owner):
    client.force_login(operator)
    assert all(f'value="{action}"' in client.get(reverse(USERS)).content.decode() for action in USER_ACTIONS)

    client.force_login(viewer)
    page = client.get(reverse(USERS))
    assert page.status_code == 200 and owner.email in page.content.decode()
    assert not any(f'value="{action}"' in page.content.decode() for action in USER_ACTIONS)


@pytest.mark.django_db
@pytest.mark.parametrize("action", USER_ACTIONS)
def test_view_only_staff_cannot_grant_adjust_or_move_creators(client, viewer, owner, action):
    owner.plan = Plan.objects.get(slug="free")
    owner.save(update_fields=["plan"])
    before, balance = ledger(), credits.balance_of(owner)
    client.force_login(viewer)

    client.post(
        reverse(USERS),
        {
            "action": action,
            "_selected_action": [str(owner.pk)],
            "apply": "1",
            "amount": "50",
            "reason": "Because I can",
            "plan": Plan.objects.get(slug="pro").pk,
            "with_allowance": "on",
        },
    )

    owner.refresh_from_db()
    assert ledger() == before and credits.balance_of(owner) == balance
    assert owner.plan.slug == "free"


@pytest.mark.django_db
def test_staff_with_the_change_permission_grant_credits(client, owner):
    balance = credits.balance_of(owner)
    client.force_login(staff_with("view_user", "change_user", name="changer"))
    client.post(
        reverse(USERS),
        {
            "action": "grant_credits",
            "_selected_action": [str(owner.pk)],
            "apply": "1",
            "amount": "50",
            "reason": "A thank-you",
        },
    )
    assert credits.balance_of(owner) == balance + Decimal("50")


@pytest.mark.django_db
def test_view_only_staff_cannot_resolve_an_alert(client, viewer, operator):
    alert = OperatorAlert.objects.create(code="pixapi_account", message="The Pixapi key was refused.")
    url = reverse("admin:accounts_operatoralert_changelist")
    client.force_login(operator)
    assert 'value="resolve"' in client.get(url).content.decode()

    client.force_login(viewer)
    assert 'value="resolve"' not in client.get(url).content.decode()
    client.post(url, {"action": "resolve", "_selected_action": [str(alert.pk)]})
    alert.refresh_from_db()
    assert alert.resolved_at is None


@pytest.mark.django_db
def test_the_spending_page_needs_the_view_permission_on_the_ledger(client, viewer):
    client.force_login(staff_with("view_user", name="userviewer"))
    assert client.get(reverse("admin:accounts_spending")).status_code == 403
    client.force_login(viewer)
    assert client.get(reverse("admin:accounts_spending")).status_code == 200


def creators_things(user, prompt):
    """A finished video with its files, one still being made (its cost held), and an uploaded picture."""
    wan = CatalogModel.objects.get(slug="wan")
    done = Generation.objects.create(
        user=user,
        model=wan,
        prompt=prompt,
        full_prompt=prompt,
        duration=2,
        size="1280x720",
        status=Generation.Status.COMPLETED,
        finished_at=timezone.now(),
    )
    done.video = default_storage.save(f"videos/{done.pk}.mp4", ContentFile(b"video"))
    done.poster = default_storage.save(f"posters/{done.pk}.jpg", ContentFile(b"poster"))
    done.save()
    running = Generation.objects.create(
        user=user,
        model=wan,
        prompt=prompt,
        full_prompt=prompt,
        duration=2,
        size="1280x720",
        status=Generation.Status.RUNNING,
        cost=10,
    )
    credits.hold(user, 10, reference=running.ledger_reference)
    picture = Picture.objects.create(
        user=user,
        origin=Picture.UPLOAD,
        width=10,
        height=10,
        from_generation=done,
        image=default_storage.save("pictures/a.jpg", ContentFile(b"picture")),
        thumbnail=default_storage.save("pictures/thumbs/a.jpg", ContentFile(b"thumb")),
    )
    return [done.video.name, done.poster.name, picture.image.name, picture.thumbnail.name]


@pytest.mark.django_db
def test_deleting_a_creator_removes_their_files(
    client, operator, owner, outsider, media_root, django_capture_on_commit_callbacks
):
    files = creators_things(owner, "Owner's video")
    others = creators_things(outsider, "Outsider's video")
    assert all(default_storage.exists(name) for name in files + others)
    client.force_login(operator)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:accounts_user_delete", args=[owner.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not User.objects.filter(pk=owner.pk).exists()
    assert not Generation.objects.filter(user_id=owner.pk).exists()
    assert not CreditEntry.objects.filter(user_id=owner.pk).exists()
    assert not any(default_storage.exists(name) for name in files)
    assert all(default_storage.exists(name) for name in others)
    assert credits.held_now(outsider) == 10


@pytest.mark.django_db
def test_deleting_creators_in_bulk_removes_their_files(
    client, operator, owner, outsider, media_root, django_capture_on_commit_callbacks
):
    files = creators_things(owner, "Owner's video") + creators_things(outsider, "Outsider's video")
    client.force_login(operator)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse(USERS),
            {
                "action": "delete_selected",
                "post": "yes",
                "_selected_action": [str(owner.pk), str(outsider.pk)],
            },
        )

    assert not User.objects.filter(pk__in=[owner.pk, outsider.pk]).exists()
    assert not Generation.objects.exists() and not Picture.objects.exists()
    assert not any(default_storage.exists(name) for name in files)
