"""Operators run generations from Django admin."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from accounts import credits
from accounts.models import CreditEntry, User
from catalog.models import CatalogModel
from generations.admin import GenerationAdmin
from generations.models import Generation
from library import sharing

CHANGELIST = "admin:generations_generation_changelist"
ACTIONS = ["retry", "mark_failed", "refund", "feature", "unfeature"]


def make(user, status, prompt="A harbour at dawn", task_id=None):
    wan = CatalogModel.objects.get(slug="wan")
    return Generation.objects.create(
        user=user,
        model=wan,
        prompt=prompt,
        full_prompt=prompt,
        duration=2,
        size="1280x720",
        status=status,
        pixapi_task_id=task_id,
        error_message="It failed." if status == Generation.Status.FAILED else "",
    )


def test_admin_needs_staff_rights(client, owner):
    client.force_login(owner)
    response = client.get(reverse("admin:generations_generation_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_list_filters_and_searches(client, operator, owner):
    make(owner, Generation.Status.FAILED, prompt="A broken bridge", task_id="task_01AAAAAAAAAAAAAAAAAAAAAAAA")
    make(owner, Generation.Status.COMPLETED, prompt="A golden field")
    client.force_login(operator)
    url = reverse("admin:generations_generation_changelist")
    html = client.get(url).content.decode()
    assert "A broken bridge" in html and "A golden field" in html
    assert 'class="studio-badge status-failed"' in html
    assert "A golden field" not in client.get(url, {"status__exact": "failed"}).content.decode()
    assert "A broken bridge" in client.get(url, {"q": "task_01AAAAAAAAAAAAAAAAAAAAAAAA"}).content.decode()
    assert "A golden field" in client.get(url, {"q": owner.email}).content.decode()


def test_change_page_shows_the_error_and_timings(client, operator, owner):
    gen = make(owner, Generation.Status.FAILED, prompt="A broken bridge")
    client.force_login(operator)
    html = client.get(reverse("admin:generations_generation_change", args=[gen.pk])).content.decode()
    assert "It failed." in html and "Timings" in html and "Tracking" in html


def test_retry_starts_a_new_generation_from_a_failed_one(client, operator, owner, queue):
    failed = make(owner, Generation.Status.FAILED, prompt="Try me again")
    make(owner, Generation.Status.COMPLETED, prompt="Leave me be")
    client.force_login(operator)
    client.post(
        reverse("admin:generations_generation_changelist"),
        {
            "action": "retry",
            "_selected_action": [str(g.pk) for g in Generation.objects.all()],
        },
    )
    new = Generation.objects.get(source=failed)
    assert new.status == Generation.Status.QUEUED and new.user == owner and new.prompt == "Try me again"
    assert queue == [("submit_generation", (str(new.pk),))]
    assert Generation.objects.count() == 3


def test_mark_failed_ends_only_active_ones(client, operator, owner):
    running = make(owner, Generation.Status.RUNNING, prompt="Stuck")
    done = make(owner, Generation.Status.COMPLETED, prompt="Done")
    client.force_login(operator)
    client.post(
        reverse("admin:generations_generation_changelist"),
        {
            "action": "mark_failed",
            "_selected_action": [str(running.pk), str(done.pk)],
        },
    )
    running.refresh_from_db()
    done.refresh_from_db()
    assert running.status == Generation.Status.FAILED and running.error_code == "operator"
    assert "Nothing was charged" in running.error_message
    assert done.status == Generation.Status.COMPLETED


def test_catalog_is_editable(client, operator):
    client.force_login(operator)
    wan = CatalogModel.objects.get(slug="wan")
    html = client.get(reverse("admin:catalog_catalogmodel_change", args=[wan.pk])).content.decode()
    assert "Credits per second" in html and "Typical seconds" in html


def staff_with(*codenames, name="viewer"):
    """A staff member with only the permissions named (no superuser rights)."""
    user = User.objects.create_user(username=name, email=f"{name}@example.com", password="pw-staff-123", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def viewer(db):
    return staff_with("view_generation", "view_catalogmodel")


def held(user, status, prompt="A harbour at dawn", **extra):
    """A generation whose cost is held, as start_generation leaves it (and charged once completed)."""
    gen = make(user, status, prompt=prompt)
    Generation.objects.filter(pk=gen.pk).update(cost=10, **extra)
    gen.refresh_from_db()
    credits.hold(user, 10, reference=gen.ledger_reference)
    if status == Generation.Status.COMPLETED:
        credits.settle(gen.user_id, gen.ledger_reference, succeeded=True)
    return gen


def with_files(gen):
    gen.video = default_storage.save(f"videos/{gen.pk}.mp4", ContentFile(b"video bytes"))
    gen.poster = default_storage.save(f"posters/{gen.pk}.jpg", ContentFile(b"poster bytes"))
    gen.save(update_fields=["video", "poster"])
    return gen


def snapshot():
    return (
        sorted(Generation.objects.values_list("id", "status", "featured", "error_code")),
        sorted(CreditEntry.objects.values_list("id", "kind", "amount")),
    )


# Permissions: view-only staff see everything and change nothing


def test_view_only_staff_are_offered_no_action(client, viewer, operator, owner):
    make(owner, Generation.Status.FAILED, prompt="A broken bridge")
    client.force_login(operator)
    offered = client.get(reverse(CHANGELIST)).content.decode()
    assert all(f'value="{action}"' in offered for action in ACTIONS)

    client.force_login(viewer)
    page = client.get(reverse(CHANGELIST))
    assert page.status_code == 200 and "A broken bridge" in page.content.decode()
    assert not any(f'value="{action}"' in page.content.decode() for action in ACTIONS)


@pytest.mark.parametrize("action", ACTIONS)
def test_view_only_staff_cannot_run_an_action(client, viewer, owner, queue, media_root, action):
    held(owner, Generation.Status.FAILED, prompt="Failed once")
    held(owner, Generation.Status.RUNNING, prompt="Still running")
    shared = held(owner, Generation.Status.COMPLETED, prompt="Shared and ready")
    sharing.share(shared, show_prompt=False, in_gallery=False)
    featured = held(owner, Generation.Status.COMPLETED, prompt="Featured already", featured=True)
    sharing.share(featured, show_prompt=False, in_gallery=False)
    before, balance = snapshot(), credits.balance_of(owner)
    client.force_login(viewer)

    client.post(
        reverse(CHANGELIST),
        {
            "action": action,
            "_selected_action": [str(pk) for pk in Generation.objects.values_list("pk", flat=True)],
        },
    )

    assert snapshot() == before and credits.balance_of(owner) == balance
    assert queue == []


def test_staff_with_change_permission_run_the_actions(client, owner):
    running = held(owner, Generation.Status.RUNNING, prompt="Stuck")
    client.force_login(staff_with("view_generation", "change_generation", name="changer"))
    client.post(reverse(CHANGELIST), {"action": "mark_failed", "_selected_action": [str(running.pk)]})
    running.refresh_from_db()
    assert running.status == Generation.Status.FAILED
    assert CreditEntry.objects.filter(kind=CreditEntry.Kind.RELEASE, reference=running.ledger_reference).exists()


def test_staff_media_views_need_the_view_permission(client, owner, media_root):
    gen = with_files(held(owner, Generation.Status.COMPLETED))
    client.force_login(staff_with(name="plainstaff"))
    assert client.get(reverse("admin_generation_video", args=[gen.pk])).status_code == 403
    assert client.get(reverse("admin_generation_poster", args=[gen.pk])).status_code == 403

    client.force_login(staff_with("view_generation"))
    video = client.get(reverse("admin_generation_video", args=[gen.pk]))
    assert video.status_code == 200 and b"".join(video.streaming_content) == b"video bytes"
    assert client.get(reverse("admin_generation_poster", args=[gen.pk])).status_code == 200


# Deleting


def test_deleting_an_in_flight_generation_ends_it_and_returns_its_hold(client, operator, owner):
    before = credits.balance_of(owner)
    gen = held(owner, Generation.Status.RUNNING, prompt="Deleted while running", lease_until=timezone.now())
    assert credits.balance_of(owner) == before - 10
    client.force_login(operator)

    response = client.post(reverse("admin:generations_generation_delete", args=[gen.pk]), {"post": "yes"}, follow=True)

    assert not Generation.objects.filter(pk=gen.pk).exists()
    assert credits.balance_of(owner) == before
    assert credits.held_now(owner) == 0
    assert "ended first and their held credits returned" in response.content.decode()


def test_deleting_generations_removes_their_files(
    client, operator, owner, media_root, django_capture_on_commit_callbacks
):
    one = with_files(held(owner, Generation.Status.COMPLETED, prompt="One"))
    two = with_files(held(owner, Generation.Status.COMPLETED, prompt="Two"))
    running = held(owner, Generation.Status.RUNNING, prompt="Three")
    kept = with_files(held(owner, Generation.Status.COMPLETED, prompt="Kept"))
    client.force_login(operator)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:generations_generation_delete", args=[one.pk]), {"post": "yes"})
    assert not default_storage.exists(one.video.name) and not default_storage.exists(one.poster.name)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse(CHANGELIST),
            {
                "action": "delete_selected",
                "post": "yes",
                "_selected_action": [str(two.pk), str(running.pk)],
            },
        )
    assert not Generation.objects.filter(pk__in=[one.pk, two.pk, running.pk]).exists()
    assert not default_storage.exists(two.video.name) and not default_storage.exists(two.poster.name)
    assert default_storage.exists(kept.video.name) and default_storage.exists(kept.poster.name)
    assert credits.held_now(owner) == 0


# The change form


def change_form(gen, **values):
    data = {"featured": "on"} if values.pop("featured", gen.featured) else {}
    if not gen.is_active:
        data.update(error_code=gen.error_code, error_message=gen.error_message, error_detail=gen.error_detail)
    data.update(values)
    return data


def test_the_change_form_cannot_feature_an_unshared_video(client, operator, owner):
    gen = held(owner, Generation.Status.COMPLETED, prompt="Never shared")
    client.force_login(operator)
    url = reverse("admin:generations_generation_change", args=[gen.pk])

    response = client.post(url, change_form(gen, featured=True))

    assert response.status_code == 200
    assert "Only a ready video that its creator shares by link can be featured" in response.content.decode()
    gen.refresh_from_db()
    assert not gen.featured

    sharing.share(gen, show_prompt=False, in_gallery=False)
    assert client.post(url, change_form(gen, featured=True)).status_code == 302
    gen.refresh_from_db()
    assert gen.featured


def test_tracking_fields_are_read_only_on_the_change_form(client, operator, owner):
    gen = held(owner, Generation.Status.RUNNING)
    client.force_login(operator)
    html = client.get(reverse("admin:generations_generation_change", args=[gen.pk])).content.decode()
    for field in [
        "status",
        "progress",
        "lease_until",
        "next_poll_at",
        "pixapi_task_id",
        "model",
        "duration",
        "error_message",
    ]:
        assert f'name="{field}"' not in html


def worker_moves_while_the_form_is_saved(monkeypatch, gen, **changes):
    """A worker's UPDATE lands after the admin has read the row for the posted form, before it saves."""
    read = GenerationAdmin.get_object

    def get_object(self, request, object_id, from_field=None):
        obj = read(self, request, object_id, from_field)
        if request.method == "POST":
            Generation.objects.filter(pk=gen.pk).update(**changes)
        return obj

    monkeypatch.setattr(GenerationAdmin, "get_object", get_object)


def test_saving_the_change_form_keeps_what_a_worker_changed_meanwhile(client, operator, owner, monkeypatch):
    gen = held(owner, Generation.Status.RUNNING, prompt="Being made", progress=20)
    client.force_login(operator)
    url = reverse("admin:generations_generation_change", args=[gen.pk])
    assert client.get(url).status_code == 200
    lease = timezone.now() + timedelta(minutes=2)
    Generation.objects.filter(pk=gen.pk).update(progress=40)  # while the operator reads the page
    worker_moves_while_the_form_is_saved(
        monkeypatch,
        gen,
        status=Generation.Status.DOWNLOADING,
        progress=100,
        lease_until=lease,
        polls=7,
    )

    response = client.post(url, change_form(gen, status="failed", progress="0"))

    assert response.status_code == 302
    gen.refresh_from_db()
    assert (gen.status, gen.progress, gen.lease_until, gen.polls) == (Generation.Status.DOWNLOADING, 100, lease, 7)


def test_featuring_from_the_change_form_keeps_the_creators_sharing_choices(client, operator, owner, monkeypatch):
    gen = held(owner, Generation.Status.COMPLETED, prompt="Shared")
    sharing.share(gen, show_prompt=False, in_gallery=False)
    gen.refresh_from_db()
    client.force_login(operator)
    worker_moves_while_the_form_is_saved(monkeypatch, gen, share_prompt=True, in_gallery=True)

    assert (
        client.post(
            reverse("admin:generations_generation_change", args=[gen.pk]), change_form(gen, featured=True)
        ).status_code
        == 302
    )

    gen.refresh_from_db()
    assert gen.featured and gen.share_prompt and gen.in_gallery


def test_storyboards_are_listed_read_only_with_their_shots(client, operator, owner):
    from generations.models import Shot, Storyboard, StoryboardExport

    board = Storyboard.objects.create(user=owner, title="A walk through the dunes")
    wan = CatalogModel.objects.get(slug="wan")
    Shot.objects.create(storyboard=board, position=1, prompt="A lantern lit on a dune", model=wan, duration=2)
    Shot.objects.create(storyboard=board, position=2, prompt="The camera rises over the dunes", model=wan, duration=2)
    export = StoryboardExport.objects.create(storyboard=board, version=1, parts=[])
    client.force_login(operator)

    listing = client.get(reverse("admin:generations_storyboard_changelist"))
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "A walk through the dunes" in html and "Olive Owner" in html
    page = client.get(reverse("admin:generations_storyboard_change", args=[board.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "A lantern lit on a dune" in html and "The camera rises over the dunes" in html
    assert 'name="shots-0-prompt"' not in html  # shown, never an input
    assert client.get(reverse("admin:generations_storyboardexport_changelist")).status_code == 200
    assert client.get(reverse("admin:generations_storyboardexport_change", args=[export.pk])).status_code == 200

    client.post(
        reverse("admin:generations_storyboard_change", args=[board.pk]),
        {"title": "Renamed", "shots-TOTAL_FORMS": "0", "shots-INITIAL_FORMS": "2"},
    )
    board.refresh_from_db()
    assert board.title == "A walk through the dunes" and board.shots.count() == 2


def test_staff_without_the_view_permission_cannot_see_storyboards(client, owner):
    from generations.models import Storyboard

    board = Storyboard.objects.create(user=owner, title="A walk through the dunes")
    client.force_login(staff_with("view_generation", name="plain"))
    assert client.get(reverse("admin:generations_storyboard_changelist")).status_code == 403
    assert client.get(reverse("admin:generations_storyboard_change", args=[board.pk])).status_code == 403


def test_operators_see_a_videos_title_and_may_change_it_on_a_finished_video(client, operator, owner):
    gen = held(owner, Generation.Status.COMPLETED, prompt="A harbour at dawn", title="Something unfit")
    client.force_login(operator)
    listing = client.get(reverse(CHANGELIST), {"q": "unfit"}).content.decode()
    assert "<strong>Something unfit</strong><br>A harbour at dawn" in listing
    url = reverse("admin:generations_generation_change", args=[gen.pk])
    html = client.get(url).content.decode()
    assert 'name="title"' in html and 'value="Something unfit"' in html
    assert 'name="prompt"' not in html and 'name="model"' not in html

    assert client.post(url, change_form(gen, title="Harbour at dawn")).status_code == 302

    gen.refresh_from_db()
    assert (gen.title, gen.prompt) == ("Harbour at dawn", "A harbour at dawn")
