"""The front door (`/` for visitors), the pricing page, and asking for another plan."""

from pathlib import Path

import av
import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.templatetags.static import static
from django.urls import reverse

from accounts.models import Plan, UpgradeRequest, User
from catalog.models import CatalogModel
from generations.models import Generation
from library import sharing
from studio.samples import SAMPLES
from tests.conftest import verified
from tests.generations.videos import make_video

SENTENCE = "Studio turns a few words or a picture into a short video you can keep and share."


@pytest.mark.django_db
def test_a_visitor_meets_the_front_door_with_samples_plans_and_sign_up(client):
    page = client.get("/").content.decode()

    assert SENTENCE in page
    for sample in SAMPLES:
        assert f'src="{static(f"samples/{sample['name']}.mp4")}"' in page
        assert f"Sample clip: {sample['prompt']}" in page
    assert page.count('class="badge">Sample</span>') == 3
    for plan in Plan.objects.all():
        assert plan.name in page
    # Free: 100 credits; Wan at 720p, 8 seconds (the Free plan's longest) costs 16: six clips.
    assert "Your free 100 credits make about 6 clips of 8 seconds." in page
    assert reverse("signup") in page


@pytest.mark.django_db
def test_what_the_free_credits_buy_follows_the_plans_and_prices_in_the_database(client):
    Plan.objects.filter(slug="free").update(monthly_credits=200)

    assert "Your free 200 credits make about 12 clips of 8 seconds." in client.get("/").content.decode()

    Plan.objects.filter(slug="free").update(max_duration=4)  # the cheapest model: Wan at 2 credits a second
    assert "about 25 clips of 4 seconds" in client.get("/").content.decode()


@pytest.mark.django_db
def test_featured_videos_come_first_and_samples_fill_the_rest(client, owner, media_root):
    gen = make_video(owner, prompt="A fox crossing a snowy field")
    sharing.share(gen, show_prompt=True, in_gallery=True)
    Generation.objects.filter(pk=gen.pk).update(featured=True)
    make_video(owner, prompt="Private: not featured")  # never on the front door

    page = client.get("/").content.decode()

    video_url = reverse("shared_video_file", args=[Generation.objects.get(pk=gen.pk).share_token])
    assert page.index(video_url) < page.index("/static/samples/")
    assert "A fox crossing a snowy field" in page
    assert "Private: not featured" not in page
    assert page.count('class="badge">Sample</span>') == 2


@pytest.mark.django_db
def test_a_featured_clip_is_named_as_on_every_public_page(client, owner, media_root):
    """Its title; else its prompt's first words only when shown; else whose video it is, never the prompt."""
    titled, hidden = make_video(owner, prompt="A heron lifting off"), make_video(owner, prompt="A secret recipe")
    sharing.share(titled, show_prompt=True, in_gallery=True)
    sharing.share(hidden, show_prompt=False, in_gallery=True)
    Generation.objects.filter(pk=titled.pk).update(featured=True, title="Morning heron")
    Generation.objects.filter(pk=hidden.pk).update(featured=True)

    page = client.get("/").content.decode()

    assert page.count("Morning heron") == 2  # the clip's label and its caption
    assert "A heron lifting off" not in page
    assert "A secret recipe" not in page and page.count("A video by Olive Owner") == 2


@pytest.mark.django_db
def test_a_creator_still_gets_their_dashboard(client, owner):
    client.force_login(owner)

    page = client.get("/").content.decode()

    assert SENTENCE not in page
    assert "Create a video" in page


def test_the_sample_clips_are_small_playable_videos_of_their_length_with_posters():
    folder = Path(settings.BASE_DIR) / "static" / "samples"
    for sample in SAMPLES:
        video, poster = folder / f"{sample['name']}.mp4", folder / f"{sample['name']}.jpg"
        assert video.stat().st_size < 250_000
        assert poster.stat().st_size < 100_000
        with av.open(str(video)) as container:
            stream = container.streams.video[0]
            assert (stream.codec_context.name, stream.width, stream.height) == (
                "h264",
                sample["width"],
                sample["height"],
            )
            assert container.duration / 1_000_000 == pytest.approx(sample["duration"], abs=0.1)


@pytest.mark.django_db
def test_the_pricing_page_lists_the_plans_from_the_database(client):
    Plan.objects.filter(slug="creator").update(name="Maker", monthly_credits=1500)

    page = client.get(reverse("pricing")).content.decode()

    assert "Maker" in page and "1,500" in page
    assert "Creator" not in page
    assert reverse("signup") in page  # a visitor is offered sign-up, not the form
    assert 'name="plan"' not in page


@pytest.mark.django_db
def test_a_creator_asks_for_another_plan_and_operators_have_it(client, owner):
    free = Plan.objects.get(slug="free")
    owner.plan = free
    owner.save(update_fields=["plan"])
    creator = Plan.objects.get(slug="creator")
    client.force_login(owner)

    form_page = client.get(reverse("pricing")).content.decode()
    assert f'<option value="{free.pk}"' not in form_page  # not the plan they are on
    response = client.post(
        reverse("upgrade_request"), {"plan": creator.pk, "message": "For a film festival"}, follow=True
    )

    request = UpgradeRequest.objects.get()
    assert (request.user, request.plan, request.current_plan, request.message) == (
        owner,
        creator,
        free,
        "For a film festival",
    )
    assert request.resolved_at is None
    assert "the studio team has your request for the Creator plan" in response.content.decode()
    assert "You asked for the Creator plan on" in response.content.decode()


@pytest.mark.django_db
def test_a_request_for_no_plan_is_refused_plainly_and_stores_nothing(client, owner):
    client.force_login(owner)

    response = client.post(reverse("upgrade_request"), {"plan": "999999", "message": "Hello"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "Pick one of the plans listed." in page
    assert "Hello</textarea>" in page  # what they wrote is kept
    assert not UpgradeRequest.objects.exists()


@pytest.mark.django_db
def test_visitors_cannot_post_a_request(client):
    response = client.post(reverse("upgrade_request"), {"plan": Plan.objects.first().pk})

    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert not UpgradeRequest.objects.exists()


@pytest.mark.django_db
def test_asking_for_a_plan_is_rate_limited(client, owner, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "upgrade": "2/d"}
    client.force_login(owner)
    plan = Plan.objects.get(slug="creator")

    answers = [client.post(reverse("upgrade_request"), {"plan": plan.pk}) for _ in range(3)]

    assert [a.status_code for a in answers] == [302, 302, 429]
    assert "You have asked for another plan several times today" in answers[2].content.decode()
    assert UpgradeRequest.objects.count() == 2


@pytest.mark.django_db
def test_operators_filter_and_resolve_requests_with_the_change_permission(client, owner, operator):
    creator = Plan.objects.get(slug="creator")
    first = UpgradeRequest.objects.create(user=owner, plan=creator, message="Please")
    done = UpgradeRequest.objects.create(user=owner, plan=creator)
    UpgradeRequest.objects.filter(pk=done.pk).update(resolved_at="2026-01-01T00:00:00Z")
    url = reverse("admin:accounts_upgraderequest_changelist")
    client.force_login(operator)

    open_page = client.get(url + "?status=open").content.decode()
    assert open_page.count('name="_selected_action"') == 1
    client.post(url, {"action": "resolve", "_selected_action": [first.pk]})

    first.refresh_from_db()
    assert first.resolved_at is not None and first.resolved_by == operator
    assert client.get(url + "?status=open").content.decode().count('name="_selected_action"') == 0


@pytest.mark.django_db
def test_staff_with_only_the_view_permission_cannot_resolve(client, owner):
    viewer = User.objects.create_user(
        username="viewer", email="viewer@example.com", password="pw-viewer-123", is_staff=True, **verified()
    )
    viewer.user_permissions.add(Permission.objects.get(codename="view_upgraderequest"))
    request = UpgradeRequest.objects.create(user=owner, plan=Plan.objects.get(slug="creator"))
    url = reverse("admin:accounts_upgraderequest_changelist")
    client.force_login(viewer)

    assert "Mark resolved" not in client.get(url).content.decode()
    client.post(url, {"action": "resolve", "_selected_action": [request.pk]})

    request.refresh_from_db()
    assert request.resolved_at is None


@pytest.mark.django_db
def test_the_usage_page_leads_to_the_form_for_another_plan(client, owner):
    client.force_login(owner)

    page = client.get(reverse("usage")).content.decode()

    assert f'<a href="{reverse("pricing")}#ask">ask the studio team</a>' in page


@pytest.mark.django_db
def test_the_pricing_page_says_what_a_video_costs_from_the_catalog(client):
    CatalogModel.objects.filter(slug="wan").update(credits_per_second=3)

    page = client.get(reverse("pricing")).content.decode()

    assert (
        '<th scope="row">Wan</th>\n            <td>2 to 15 seconds</td>\n            <td>24 credits for 8 s</td>'
        in page
    )
    assert (
        '<th scope="row">Veo</th>\n            <td>4 to 8 seconds</td>\n            <td>16 credits for 8 s</td>\n'
        "            <td>19 credits for 8 s</td>" in page
    )
    assert "<td>5 or 10 seconds</td>" in page  # Kling


@pytest.mark.django_db
def test_a_refused_request_shows_the_whole_pricing_page_again(client, owner):
    client.force_login(owner)

    page = client.post(reverse("upgrade_request"), {"plan": "nope"}).content.decode()

    assert "What a video costs" in page and "16 credits for 8 s" in page
