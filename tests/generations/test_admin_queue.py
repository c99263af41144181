"""Operators see the studio's queue in admin (waiting and at Pixapi per model, the valve, the breaker) and
can pause a model for maintenance, so nothing new of it is sent to Pixapi, or close its breaker."""

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from catalog.models import CatalogModel
from generations import queue as studio_queue
from generations.models import Batch, Comparison, Generation, StudioQueue
from generations.starting import start_generation
from tests.conftest import verified

Status = Generation.Status
MODELS = reverse("admin:catalog_catalogmodel_changelist")
pytestmark = pytest.mark.django_db


def ask(user, model, prompt):
    return start_generation(
        user, model=CatalogModel.objects.get(slug=model), prompt=prompt, duration=4, size="1280x720"
    )[0]


def act(client, action, *slugs):
    ids = [str(pk) for pk in CatalogModel.objects.filter(slug__in=slugs).values_list("pk", flat=True)]
    return client.post(MODELS, {"action": action, "_selected_action": ids}, follow=True)


def statuses(*gens):
    return [Generation.objects.get(pk=gen.pk).status for gen in gens]


@pytest.fixture
def waiting(owner, queue):
    """Two videos of each of wan and kling, waiting behind the studio's paused valve, each with a turn."""
    StudioQueue.objects.update_or_create(pk=1, defaults={"paused": True})
    gens = {model: [ask(owner, model, f"{model} shot {i}") for i in range(2)] for model in ("wan", "kling")}
    assert all(gen.status == Status.WAITING for pair in gens.values() for gen in pair)
    StudioQueue.objects.filter(pk=1).update(paused=False)
    return gens


def test_staff_without_the_right_to_change_models_cannot_pause_one(client):
    clerk = User.objects.create_user(
        username="clerk", email="clerk@example.com", password="pw-clerk-123", is_staff=True, **verified()
    )
    clerk.user_permissions.add(Permission.objects.get(codename="view_catalogmodel"))
    client.force_login(clerk)

    page = client.get(MODELS).content.decode()
    act(client, "pause_for_maintenance", "wan")

    assert "Pause for maintenance" not in page
    assert not CatalogModel.objects.get(slug="wan").queue_paused


def test_a_model_paused_for_maintenance_gets_no_slot_while_the_others_go(client, operator, waiting, queue):
    client.force_login(operator)

    page = act(client, "pause_for_maintenance", "wan").content.decode()
    sent = studio_queue.dispatch()

    assert "Paused 1 model(s)" in page
    assert CatalogModel.objects.get(slug="wan").queue_paused
    assert sorted(gen.model.slug for gen in sent) == ["kling", "kling"]
    assert statuses(*waiting["wan"]) == [Status.WAITING] * 2
    assert statuses(*waiting["kling"]) == [Status.QUEUED] * 2

    act(client, "resume", "wan")  # resuming hands its waiting videos the free slots at once

    assert statuses(*waiting["wan"]) == [Status.QUEUED] * 2
    assert [name for name, _ in queue] == ["submit_generation"] * 4


def test_the_models_list_shows_waiting_at_pixapi_cap_and_pause(client, operator, owner, waiting):
    CatalogModel.objects.filter(slug="kling").update(max_in_flight=1, queue_paused=True)
    studio_queue.dispatch()  # kling paused: both wan videos go
    client.force_login(operator)

    page = client.get(MODELS).content.decode()

    row = {slug: _row(page, slug) for slug in ("wan", "kling", "veo")}
    assert '<td class="field-waiting">0</td><td class="field-in_flight">2</td>' in row["wan"]
    assert '<td class="field-waiting">2</td><td class="field-in_flight">0</td>' in row["kling"]
    assert '<td class="field-cap">1</td>' in row["kling"]
    assert "studio&#x27;s only" in row["wan"]
    assert '<td class="field-queue_paused"><img src="/static/admin/img/icon-yes' in row["kling"]
    assert '<td class="field-queue_paused"><img src="/static/admin/img/icon-no' in row["wan"]
    assert '<td class="field-breaker">closed</td>' in row["veo"]


def test_the_models_list_counts_in_one_query_whatever_the_number_of_models(
    client, operator, waiting, django_assert_max_num_queries
):
    client.force_login(operator)
    client.get(MODELS)  # the session and content types, cached
    for n in range(10):
        CatalogModel.objects.create(slug=f"extra-{n}", name=f"Extra {n}", durations=[4], sizes=["1280x720"])

    with django_assert_max_num_queries(8):
        page = client.get(MODELS).content.decode()

    assert "Extra 9" in page


def test_the_breaker_shows_while_open_and_an_operator_closes_it(client, operator, waiting):
    kling = CatalogModel.objects.get(slug="kling")
    for _ in range(3):
        kling.note_busy()
    until = timezone.localtime(CatalogModel.objects.get(slug="kling").busy_until)
    client.force_login(operator)

    page = client.get(MODELS).content.decode()
    assert f"open until {until:%H:%M:%S}, 3 busy answers" in _row(page, "kling")
    assert sorted(gen.model.slug for gen in studio_queue.dispatch()) == ["wan", "wan"]

    page = act(client, "close_breaker", "kling").content.decode()

    kling.refresh_from_db()
    assert "Closed the breaker of 1 model(s)" in page
    assert (kling.busy_until, kling.busy_strikes) == (None, 0)
    assert '<td class="field-breaker">closed</td>' in _row(page, "kling")
    assert statuses(*waiting["kling"]) == [Status.QUEUED] * 2  # its videos went at once


def test_the_studio_queue_is_always_listed_with_its_cap_and_slots(client, operator, owner):
    StudioQueue.objects.all().delete()
    client.force_login(operator)

    page = client.get(reverse("admin:generations_studioqueue_changelist")).content.decode()

    assert "The studio&#x27;s queue" in page
    assert f"0 of {settings.STUDIO_MAX_IN_FLIGHT} slots" in page
    assert f'<td class="field-default_cap">{settings.STUDIO_MAX_IN_FLIGHT}</td>' in page
    change = reverse("admin:generations_studioqueue_change", args=[1])
    response = client.post(change, {"max_in_flight": "12", "paused": "on"}, follow=True)
    assert response.status_code == 200
    valve = StudioQueue.objects.get(pk=1)
    assert (valve.max_in_flight, valve.paused, valve.cap()) == (12, True, 12)


def test_a_waiting_videos_settings_are_read_only_in_admin(client, operator, waiting):
    gen = waiting["wan"][1]
    client.force_login(operator)
    change = reverse("admin:generations_generation_change", args=[gen.pk])

    page = client.get(change).content.decode()
    client.post(change, {"prompt": "Changed by an operator", "featured": "on", "error_message": "x"})

    gen.refresh_from_db()
    assert "changed only by its creator, in their queue" in page
    assert 'name="prompt"' not in page and 'name="featured"' not in page
    assert (gen.prompt, gen.featured, gen.error_message) == ("wan shot 1", False, "")
    listed = client.get(reverse("admin:generations_generation_changelist"), {"status__exact": "waiting"})
    assert "Waiting (in the studio&#x27;s queue)" in listed.content.decode()
    assert listed.content.decode().count('name="_selected_action"') == 4


def _row(page, slug):
    """The change list's row of one model (from its slug's cell to the end of the row)."""
    at = page.index(f'<td class="field-slug">{slug}</td>')
    return page[page.rindex("<tr", 0, at) : page.index("</tr>", at)]


def test_batches_and_comparisons_are_listed_for_operators_and_read_only(client, operator, owner):
    Batch.objects.create(user=owner, name="Spring ads")
    comparison = Comparison.objects.create(user=owner, prompt="A kite over the dunes")
    client.force_login(operator)

    batches = client.get(reverse("admin:generations_batch_changelist")).content.decode()
    comparisons = client.get(reverse("admin:generations_comparison_changelist")).content.decode()

    assert "Spring ads" in batches and "A kite over the dunes" in comparisons
    assert client.get(reverse("admin:generations_batch_add")).status_code == 403
    page = client.get(reverse("admin:generations_comparison_change", args=[comparison.pk])).content.decode()
    assert 'name="prompt"' not in page  # looked at, never edited here
