"""Operators run generations from Django admin."""

from django.urls import reverse

from generations.models import CatalogModel, Generation




def make(user, status, prompt="A harbour at dawn", task_id=None):
    wan = CatalogModel.objects.get(slug="wan")
    return Generation.objects.create(
        user=user, model=wan, prompt=prompt, full_prompt=prompt, duration=2, size="1280x720", status=status,
        pixapi_task_id=task_id, error_message="It failed." if status == Generation.FAILED else "",
    )


def test_admin_needs_staff_rights(client, owner):
    client.force_login(owner)
    response = client.get(reverse("admin:generations_generation_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_list_filters_and_searches(client, operator, owner):
    make(owner, Generation.FAILED, prompt="A broken bridge", task_id="task_01AAAAAAAAAAAAAAAAAAAAAAAA")
    make(owner, Generation.COMPLETED, prompt="A golden field")
    client.force_login(operator)
    url = reverse("admin:generations_generation_changelist")
    html = client.get(url).content.decode()
    assert "A broken bridge" in html and "A golden field" in html
    assert 'class="studio-badge status-failed"' in html
    assert "A golden field" not in client.get(url, {"status__exact": "failed"}).content.decode()
    assert "A broken bridge" in client.get(url, {"q": "task_01AAAAAAAAAAAAAAAAAAAAAAAA"}).content.decode()
    assert "A golden field" in client.get(url, {"q": owner.email}).content.decode()


def test_change_page_shows_the_error_and_timings(client, operator, owner):
    gen = make(owner, Generation.FAILED, prompt="A broken bridge")
    client.force_login(operator)
    html = client.get(reverse("admin:generations_generation_change", args=[gen.pk])).content.decode()
    assert "It failed." in html and "Timings" in html and "Tracking" in html


def test_retry_starts_a_new_generation_from_a_failed_one(client, operator, owner, queue):
    failed = make(owner, Generation.FAILED, prompt="Try me again")
    make(owner, Generation.COMPLETED, prompt="Leave me be")
    client.force_login(operator)
    client.post(reverse("admin:generations_generation_changelist"), {
        "action": "retry", "_selected_action": [str(g.pk) for g in Generation.objects.all()],
    })
    new = Generation.objects.get(source=failed)
    assert new.status == Generation.QUEUED and new.user == owner and new.prompt == "Try me again"
    assert queue == [("submit_generation", (str(new.pk),))]
    assert Generation.objects.count() == 3


def test_mark_failed_ends_only_active_ones(client, operator, owner):
    running = make(owner, Generation.RUNNING, prompt="Stuck")
    done = make(owner, Generation.COMPLETED, prompt="Done")
    client.force_login(operator)
    client.post(reverse("admin:generations_generation_changelist"), {
        "action": "mark_failed", "_selected_action": [str(running.pk), str(done.pk)],
    })
    running.refresh_from_db()
    done.refresh_from_db()
    assert running.status == Generation.FAILED and running.error_code == "operator"
    assert "Nothing was charged" in running.error_message
    assert done.status == Generation.COMPLETED


def test_catalog_is_editable(client, operator):
    client.force_login(operator)
    wan = CatalogModel.objects.get(slug="wan")
    html = client.get(reverse("admin:generations_catalogmodel_change", args=[wan.pk])).content.decode()
    assert "Credits per second" in html and "Typical seconds" in html
