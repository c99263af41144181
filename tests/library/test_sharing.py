"""Share links, their preview tags, and the public galleries."""

import base64
import math
import re
from collections import Counter
from html.parser import HTMLParser

import pytest
from django.contrib.admin.sites import site
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory
from django.urls import reverse

from generations.admin import GenerationAdmin
from generations.models import Generation
from library import sharing
from tests.generations.videos import clip, make_generation, make_video

SITE = "https://studio.example"


class MetaTags(HTMLParser):
    def __init__(self, html):
        super().__init__()
        self.tags = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and (attrs.get("property") or attrs.get("name")):
            self.tags[attrs.get("property") or attrs.get("name")] = attrs.get("content")


@pytest.fixture
def site_url(settings):
    settings.SITE_URL = SITE
    return SITE


@pytest.fixture
def logged_in(client, owner):
    client.force_login(owner)
    return client


# Tokens


def test_tokens_are_unguessable():
    tokens = [sharing.new_token() for _ in range(2000)]

    assert len(set(tokens)) == len(tokens)
    for token in tokens[:50]:
        assert re.fullmatch(r"[A-Za-z0-9_-]{43,}", token)
        assert len(base64.urlsafe_b64decode(token + "=")) >= 32  # 256 random bits
    # The characters are spread evenly over the 64 of the URL-safe alphabet: close to 6 bits each.
    counts = Counter("".join(token[:42] for token in tokens))  # the 43rd carries only 4 bits
    total = sum(counts.values())
    bits = -sum(n / total * math.log2(n / total) for n in counts.values())
    assert len(counts) == 64 and bits > 5.98


def test_sharing_turns_a_link_on_and_stopping_turns_it_off_for_good(logged_in, owner, media_root, site_url):
    gen = make_video(owner)
    assert gen.share_token is None  # off by default

    panel = logged_in.post(reverse("generation_share", args=[gen.pk]), headers={"HX-Request": "true"})
    gen.refresh_from_db()
    first = gen.share_token
    assert first and gen.shared_at
    assert f'value="{SITE}/s/{first}/"' in panel.content.decode()
    assert logged_in.get(reverse("shared_video", args=[first])).status_code == 200

    logged_in.post(reverse("generation_unshare", args=[gen.pk]))
    gen.refresh_from_db()
    assert gen.share_token is None
    gone = logged_in.get(reverse("shared_video", args=[first]))
    assert gone.status_code == 404
    assert "This video is no longer shared" in gone.content.decode()
    assert logged_in.get(reverse("shared_video_file", args=[first])).status_code == 404

    logged_in.post(reverse("generation_share", args=[gen.pk]))
    gen.refresh_from_db()
    assert gen.share_token and gen.share_token != first  # the old link never comes back
    assert logged_in.get(reverse("shared_video", args=[first])).status_code == 404


def test_changing_what_a_link_shows_keeps_the_link(logged_in, owner, media_root):
    gen = make_video(owner)
    logged_in.post(reverse("generation_share", args=[gen.pk]))
    gen.refresh_from_db()
    token = gen.share_token

    logged_in.post(reverse("generation_share", args=[gen.pk]), {"share_prompt": "on", "in_gallery": "on"})
    gen.refresh_from_db()
    assert (gen.share_token, gen.share_prompt, gen.in_gallery) == (token, True, True)


def test_a_video_not_ready_cannot_be_shared_and_the_creator_is_told(logged_in, owner):
    gen = make_generation(owner, status=Generation.Status.RUNNING)
    response = logged_in.post(reverse("generation_share", args=[gen.pk]), headers={"HX-Request": "true"})
    assert "You can share this video once it is ready." in response.content.decode()
    gen.refresh_from_db()
    assert gen.share_token is None


# The shared page


def test_the_shared_page_previews_with_absolute_open_graph_and_twitter_tags(client, owner, media_root, site_url):
    gen = make_video(owner)
    sharing.share(gen, show_prompt=False, in_gallery=False)
    page_url = f"{SITE}/s/{gen.share_token}/"

    response = client.get(reverse("shared_video", args=[gen.share_token]))
    tags = MetaTags(response.content.decode()).tags

    assert response.status_code == 200
    assert tags["og:type"] == "video.other"
    assert tags["og:title"] == "A video by Olive Owner"
    assert tags["og:url"] == page_url
    assert tags["og:image"] == f"{page_url}poster.jpg"
    assert tags["og:video"] == tags["og:video:secure_url"] == f"{page_url}video.mp4"
    assert tags["og:video:type"] == "video/mp4"
    assert (tags["og:video:width"], tags["og:video:height"]) == ("1280", "720")
    assert (tags["og:image:width"], tags["og:image:height"]) == ("1280", "720")
    assert tags["twitter:card"] == "summary_large_image"
    assert tags["twitter:image"] == tags["og:image"]
    for name in ("og:url", "og:image", "og:video", "twitter:image"):
        assert tags[name].startswith(SITE + "/")


def test_the_preview_links_answer_logged_out(client, owner, media_root, site_url):
    gen = make_video(owner)
    sharing.share(gen, show_prompt=False, in_gallery=False)
    tags = MetaTags(client.get(reverse("shared_video", args=[gen.share_token])).content.decode()).tags
    data, poster, _ = clip()

    video = client.get(tags["og:video"].removeprefix(SITE))
    image = client.get(tags["og:image"].removeprefix(SITE))

    assert b"".join(video.streaming_content) == data
    assert b"".join(image.streaming_content) == poster


def test_the_shared_page_shows_the_prompt_only_when_the_creator_chose_to(client, owner, media_root):
    gen = make_video(owner, prompt="A heron lifting off a misty lake")
    sharing.share(gen, show_prompt=False, in_gallery=False)
    hidden = client.get(reverse("shared_video", args=[gen.share_token])).content.decode()
    sharing.share(gen, show_prompt=True, in_gallery=False)
    shown = client.get(reverse("shared_video", args=[gen.share_token])).content.decode()

    assert "A heron lifting off a misty lake" not in hidden
    assert "A heron lifting off a misty lake" in shown
    for page in (hidden, shown):
        assert "Olive Owner" in page and owner.email not in page
        assert f'src="/s/{gen.share_token}/video.mp4"' in page


def test_a_creator_without_a_display_name_is_named_by_handle_not_email(client, owner, media_root):
    owner.display_name = ""
    owner.save()
    gen = make_video(owner)
    sharing.share(gen, show_prompt=False, in_gallery=False)
    page = client.get(reverse("shared_video", args=[gen.share_token])).content.decode()
    assert 'A video by <a href="/@owner/">owner</a>' in page
    assert "owner@example.com" not in page


def test_the_shared_video_answers_range_requests(client, owner, media_root):
    gen = make_video(owner)
    sharing.share(gen, show_prompt=False, in_gallery=False)
    data, _, _ = clip()

    response = client.get(reverse("shared_video_file", args=[gen.share_token]), headers={"Range": "bytes=100-199"})

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-199/{len(data)}"
    assert b"".join(response.streaming_content) == data[100:200]


def test_a_deactivated_creators_links_stop_working(client, owner, media_root):
    gen = make_video(owner)
    sharing.share(gen, show_prompt=False, in_gallery=True)
    owner.is_active = False
    owner.save()
    assert client.get(reverse("shared_video", args=[gen.share_token])).status_code == 404
    assert client.get(reverse("gallery", args=[owner.username])).status_code == 404


# Galleries


def test_a_creators_page_shows_only_the_videos_they_chose(client, owner, outsider, media_root):
    chosen = make_video(owner, prompt="Chosen and shown")
    sharing.share(chosen, show_prompt=True, in_gallery=True)
    link_only = make_video(owner, prompt="Shared by link only")
    sharing.share(link_only, show_prompt=True, in_gallery=False)
    make_video(owner, prompt="Not shared at all", in_gallery=True, share_prompt=True)
    theirs = make_video(outsider, prompt="Someone else's")
    sharing.share(theirs, show_prompt=True, in_gallery=True)

    page = client.get(reverse("gallery", args=["Owner"])).content.decode()

    assert "Olive Owner" in page and "@owner" in page
    assert "Chosen and shown" in page
    assert "Shared by link only" not in page and "Not shared at all" not in page and "Someone else" not in page
    assert owner.email not in page


def test_an_unknown_handle_is_a_polite_404(client, db):
    response = client.get(reverse("gallery", args=["nobody-here"]))
    assert response.status_code == 404
    assert "No creator called @nobody-here" in response.content.decode()


def test_galleries_page_by_keyset_too(client, owner, media_root):
    for i in range(30):
        gen = make_generation(
            owner, prompt=f"Gallery clip {i}", status=Generation.Status.COMPLETED, share_prompt=True, in_gallery=True
        )
        Generation.objects.filter(pk=gen.pk).update(share_token=sharing.new_token())

    first = client.get(reverse("gallery", args=["owner"])).content.decode()
    cursor = re.search(r'hx-get="\?after=([0-9]+_[0-9a-f]{32})"', first).group(1)
    second = client.get(reverse("gallery", args=["owner"]), {"after": cursor}, headers={"HX-Request": "true"})

    card = r">Gallery clip (\d+)</a>"  # the cards' links (the head's preview names the first one too)
    shown = re.findall(card, first) + re.findall(card, second.content.decode())
    assert sorted(map(int, shown)) == list(range(30))


def feature_in_admin(operator, queryset, action="feature"):
    request = RequestFactory().post("/admin/")
    request.user = operator
    request.session = {}
    request._messages = FallbackStorage(request)
    getattr(GenerationAdmin(Generation, site), action)(request, queryset)
    return [str(m) for m in request._messages]


def test_operators_feature_shared_videos_and_a_stopped_share_leaves_the_gallery(client, owner, operator, media_root):
    shared = make_video(owner, prompt="Worth featuring")
    sharing.share(shared, show_prompt=True, in_gallery=False)
    private = make_video(owner, prompt="Never shared")

    notes = feature_in_admin(operator, Generation.objects.filter(pk__in=[shared.pk, private.pk]))

    assert notes == ["Featured 1 video(s). 1 not shared by their creator (or not ready) were left out."]
    page = client.get(reverse("featured")).content.decode()
    assert "Worth featuring" in page and "Never shared" not in page
    assert 'href="/@owner/"' in page

    sharing.stop_sharing(shared)
    assert "Worth featuring" not in client.get(reverse("featured")).content.decode()
    shared.refresh_from_db()
    assert not shared.featured  # sharing again does not bring it back without an operator


def test_operators_can_take_a_video_out_of_the_featured_gallery(client, owner, operator, media_root):
    gen = make_video(owner, prompt="Featured for a while")
    sharing.share(gen, show_prompt=True, in_gallery=False)
    feature_in_admin(operator, Generation.objects.filter(pk=gen.pk))
    feature_in_admin(operator, Generation.objects.filter(pk=gen.pk), action="unfeature")
    assert "Featured for a while" not in client.get(reverse("featured")).content.decode()


# A video's title for galleries


def test_the_creator_gives_a_video_a_title_and_can_clear_it(logged_in, owner, media_root):
    gen = make_video(owner, prompt="A heron lifting off a misty lake")
    url = reverse("generation_title", args=[gen.pk])
    assert 'id="video-title"' in logged_in.get(reverse("generation_detail", args=[gen.pk])).content.decode()

    response = logged_in.post(url, {"title": "  Morning   heron "}, follow=True)

    gen.refresh_from_db()
    assert gen.title == "Morning heron"
    page = response.content.decode()
    assert "Its title is now Morning heron." in page and 'value="Morning heron"' in page
    assert "<title>Morning heron · Studio</title>" in page

    answer = logged_in.post(url, {"title": ""}, headers={"HX-Request": "true"}).content.decode()
    gen.refresh_from_db()
    assert gen.title == "" and "Title cleared." in answer and 'id="title-panel"' in answer


def test_a_title_too_long_is_refused_in_words_and_kept_to_fix(logged_in, owner, media_root):
    gen = make_video(owner, title="Kept as it was")
    too_long = "A heron " * 12

    answer = logged_in.post(
        reverse("generation_title", args=[gen.pk]), {"title": too_long}, headers={"HX-Request": "true"}
    ).content.decode()

    gen.refresh_from_db()
    assert gen.title == "Kept as it was"
    assert "A title can be at most 80 characters; this one has 95. Try a shorter one." in answer
    assert 'role="alert"' in answer and 'aria-invalid="true"' in answer and f'value="{too_long.strip()}' in answer
    page = logged_in.post(reverse("generation_title", args=[gen.pk]), {"title": too_long}, follow=True)
    assert "A title can be at most 80 characters" in page.content.decode()


def test_only_the_creator_can_title_a_video(client, owner, outsider, media_root):
    gen = make_video(owner, title="Mine")
    client.force_login(outsider)

    response = client.post(reverse("generation_title", args=[gen.pk]), {"title": "Taken over"})

    assert response.status_code == 404
    gen.refresh_from_db()
    assert gen.title == "Mine"
    client.logout()
    assert client.post(reverse("generation_title", args=[gen.pk]), {"title": "Anonymous"}).status_code == 302
    gen.refresh_from_db()
    assert gen.title == "Mine"


def test_the_library_card_shows_a_title_when_there_is_one(logged_in, owner, media_root):
    make_video(owner, prompt="A fox in the snow", title="Winter fox")
    make_video(owner, prompt="A kite over the dunes")

    page = logged_in.get(reverse("library")).content.decode()

    assert '<p class="lib-title"><strong>Winter fox</strong></p>' in page
    assert page.count('class="lib-title"') == 1


def test_galleries_name_a_video_by_its_title_else_shared_words_else_its_creator(client, owner, media_root):
    titled = make_video(owner, prompt="The secret recipe for my titled clip", title="Harbour at dawn")
    sharing.share(titled, show_prompt=False, in_gallery=True)
    told = make_video(owner, prompt="One two three four five six seven eight nine ten")
    sharing.share(told, show_prompt=True, in_gallery=True)
    untold = make_video(owner, prompt="A private prompt nobody should read")
    sharing.share(untold, show_prompt=False, in_gallery=True)
    Generation.objects.filter(pk__in=[titled.pk, told.pk, untold.pk]).update(featured=True)

    for url in (reverse("gallery", args=[owner.username]), reverse("featured")):
        page = client.get(url).content.decode()
        assert "Harbour at dawn" in page
        assert "One two three four five six seven eight…" in page and "nine ten" not in page
        assert f'href="/s/{untold.share_token}/">A video by Olive Owner</a>' in page
        assert "secret recipe" not in page and "private prompt" not in page

    titled.refresh_from_db()
    shown = client.get(reverse("shared_video", args=[titled.share_token])).content.decode()
    tags = MetaTags(shown).tags
    assert tags["og:title"] == tags["twitter:title"] == "Harbour at dawn"
    assert "<h1>Harbour at dawn</h1>" in shown and "<title>Harbour at dawn · Studio</title>" in shown
    assert "secret recipe" not in shown
    told.refresh_from_db()
    tags = MetaTags(client.get(reverse("shared_video", args=[told.share_token])).content.decode()).tags
    assert tags["og:title"] == "One two three four five six seven eight…"
