"""The create form: what it offers, what it refuses and how it says so, and what it creates."""

import uuid

import pytest
from django.urls import reverse

from catalog.models import CatalogModel
from generations.models import Generation
from studio.models import SavedPrompt


@pytest.fixture
def creator(client, owner):
    client.force_login(owner)
    return owner


def create(client, htmx=True, **fields):
    data = {
        "prompt": "A hot air balloon over green hills",
        "model": "wan",
        "duration": "3",
        "size": "1280x720",
        "style": "",
        "camera": "",
        "client_token": str(uuid.uuid4()),
    }
    data.update(fields)
    headers = {"hx-request": "true"} if htmx else {}
    return client.post(reverse("create"), data, headers=headers)


def test_dashboard_shows_the_form_with_the_cost(client, creator):
    html = client.get(reverse("dashboard")).content.decode()
    assert "Describe your video" in html
    assert "This video costs <strong>8 credits</strong>" in html  # Veo, 4 s at 2 credits a second
    assert 'name="client_token"' in html


def test_the_options_follow_the_chosen_model(client, creator):
    html = client.get(reverse("form_options"), {"model": "kling", "duration": "4"}).content.decode()
    assert '<option value="5"' in html and '<option value="10"' in html
    assert '<option value="4"' not in html
    assert "Makes 5 or 10 second clips" in html
    html = client.get(reverse("form_options"), {"model": "wan", "duration": "15", "size": "1920x1080"}).content.decode()
    assert "This video costs <strong>30 credits</strong>" in html


def test_the_hd_price_applies_to_1080p(client, creator):
    html = client.get(reverse("form_options"), {"model": "veo", "duration": "5", "size": "1920x1080"}).content.decode()
    assert "This video costs <strong>12 credits</strong>" in html


def test_creating_queues_one_generation_and_hands_it_over_on_commit(client, creator, queue):
    response = create(client, style="cinematic", camera="orbit")
    assert response.status_code == 200
    gen = Generation.objects.get()
    assert gen.user == creator and gen.status == Generation.Status.QUEUED
    assert gen.full_prompt.startswith("A hot air balloon over green hills. Style: cinematic lighting")
    assert "Camera: camera orbits around the subject" in gen.full_prompt
    assert gen.cost == 6
    assert queue == [("submit_generation", (str(gen.pk),))]
    html = response.content.decode()
    assert f'id="generation-{gen.pk}"' in html and 'hx-swap-oob="afterbegin:#cards"' in html
    assert 'hx-trigger="every 1s"' in html  # the poller starts


def test_the_same_form_sent_twice_makes_one_video(client, creator, queue):
    token = str(uuid.uuid4())
    create(client, client_token=token)
    second = create(client, client_token=token)
    assert Generation.objects.count() == 1
    assert len(queue) == 1
    assert "afterbegin:#cards" not in second.content.decode()


def test_without_htmx_it_redirects_to_the_dashboard(client, creator, queue):
    response = create(client, htmx=False)
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")
    assert Generation.objects.count() == 1


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"prompt": ""}, "Describe the video you want: a few words are enough."),
        ({"prompt": "   \n  "}, "Describe the video you want: a few words are enough."),
        ({"prompt": "x" * 2001}, "That prompt is too long: keep it under 2,000 characters."),
        ({"model": "kling", "duration": "7"}, "Kling makes videos of 5 or 10 seconds. Pick one of those."),
        ({"model": "wan", "duration": "20"}, "Wan makes videos of 2 to 15 seconds. Pick one of those."),
        ({"size": "4000x4000"}, "Wan cannot make that shape. Pick one from the list."),
        ({"model": "gpt-image-2"}, "That model is not available right now. Pick another one."),
        ({"model": "nonsense"}, "That model is not available right now. Pick another one."),
    ],
)
def test_bad_input_is_refused_in_plain_words_and_nothing_is_created(client, creator, queue, fields, message):
    response = create(client, **fields)
    assert response.status_code == 200
    html = response.content.decode()
    assert message.replace("'", "&#x27;") in html
    assert Generation.objects.count() == 0 and queue == []
    if fields.get("prompt", "").strip():
        assert fields["prompt"][:50] in html  # what they typed is kept


def test_a_disabled_model_is_refused_even_if_posted(client, creator, queue):
    CatalogModel.objects.filter(slug="wan").update(enabled=False)
    html = create(client).content.decode()
    assert "That model is not available right now" in html
    assert Generation.objects.count() == 0


def test_generate_again_fills_the_form_from_an_earlier_generation(client, creator, queue):
    create(client, prompt="Northern lights over a frozen lake", model="kling", duration="10", style="noir")
    gen = Generation.objects.get()
    html = client.get(reverse("dashboard"), {"again": str(gen.pk)}).content.decode()
    assert "Northern lights over a frozen lake</textarea>" in html
    assert '<option value="kling" selected>' in html
    assert '<option value="10" selected>' in html
    assert '<option value="noir" selected>' in html
    assert f'name="source" value="{gen.pk}"' in html
    create(client, prompt="Northern lights over a frozen lake", model="kling", duration="10", source=str(gen.pk))
    assert Generation.objects.order_by("-created_at").first().source == gen


def test_saving_reusing_and_removing_a_prompt(client, creator, outsider):
    response = client.post(
        reverse("save_prompt"),
        {"prompt": "  A koi pond in the rain  ", "style": "watercolor"},
        headers={"hx-request": "true"},
    )
    assert "A koi pond in the rain" in response.content.decode()
    saved = SavedPrompt.objects.get()
    assert saved.user == creator and saved.text == "A koi pond in the rain" and saved.style == "watercolor"

    html = client.get(reverse("dashboard"), {"saved": saved.pk}).content.decode()
    assert "A koi pond in the rain</textarea>" in html and '<option value="watercolor" selected>' in html

    client.force_login(outsider)
    assert client.post(reverse("delete_saved_prompt", args=[saved.pk])).status_code == 404
    assert "A koi pond" not in client.get(reverse("dashboard"), {"saved": saved.pk}).content.decode()
    client.force_login(creator)
    client.post(reverse("delete_saved_prompt", args=[saved.pk]))
    assert SavedPrompt.objects.count() == 0


def test_recent_prompts_are_offered_once_each(client, creator, queue):
    for _ in range(3):
        create(client, prompt="A lighthouse in a storm")
    create(client, prompt="A quiet library at dawn")
    html = client.get(reverse("dashboard")).content.decode()
    assert "Recent prompts" in html
    assert html.count(">A lighthouse in a storm</a>") == 1


def test_dashboard_lists_only_the_creators_own_videos(client, creator, outsider, queue):
    create(client, prompt="Mine: a sailboat at dusk")
    client.force_login(outsider)
    assert "a sailboat at dusk" not in client.get(reverse("dashboard")).content.decode()


def test_every_page_carries_a_content_security_policy(client, creator):
    response = client.get(reverse("dashboard"))
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self' 'nonce-" in policy


# One set of rules: what the plan leaves out is shown locked, and never swapped in silently


def made_before(user, model="kling", duration=5, size="1280x720"):
    catalog = CatalogModel.objects.get(slug=model)
    return Generation.objects.create(
        user=user,
        model=catalog,
        prompt="A kite over the dunes",
        duration=duration,
        size=size,
        status=Generation.Status.COMPLETED,
        cost=catalog.price(duration, size),
    )


def on_free(user):
    from accounts.models import Plan

    user.plan = Plan.objects.get(slug="free")
    user.save(update_fields=["plan"])


def test_another_model_the_plan_leaves_out_is_said_and_the_one_chosen_named(client, creator):
    on_free(creator)
    gen = made_before(creator)  # made on Kling before the creator moved to Free
    html = client.get(reverse("dashboard"), {"again": str(gen.pk), "model": "veo"}).content.decode()
    assert '<option value="wan" selected>Wan</option>' in html
    assert '<option value="veo"' not in html
    assert "Veo comes with the Pro plan, so Wan is chosen." in html
    assert 'href="/pricing/#ask">See the plans</a>' in html


def test_a_length_and_shape_the_plan_leaves_out_become_the_nearest_and_say_so(client, creator):
    on_free(creator)
    gen = made_before(creator, model="wan", duration=12, size="1920x1080")
    html = client.get(reverse("dashboard"), {"again": str(gen.pk)}).content.decode()
    assert '<option value="8" selected>8 seconds</option>' in html
    assert '<option value="12"' not in html
    assert '<option value="1280x720" selected>' in html
    assert "Your Free plan makes videos of up to 8 seconds, so 8 seconds is chosen." in html
    assert "Your Free plan makes 720p videos, so Landscape 720p is chosen." in html
    assert "This video costs <strong>16 credits</strong>" in html  # the cost of what is chosen
