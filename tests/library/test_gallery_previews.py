"""Link previews (Open Graph, X/Twitter) on the public galleries: the creator's page and the featured one."""

import pytest
from django.urls import reverse

from generations.models import Generation
from library import sharing
from tests.generations.videos import make_video


@pytest.mark.django_db
def test_a_creators_page_previews_with_its_latest_videos_poster(client, owner, media_root, settings):
    settings.SITE_URL = "https://studio.example.com"
    older = make_video(owner, prompt="Older")
    newer = make_video(owner, prompt="Newer")
    for gen in (older, newer):
        sharing.share(gen, show_prompt=True, in_gallery=True)
    newer.refresh_from_db()

    page = client.get(reverse("gallery", args=[owner.username])).content.decode()

    poster = f"https://studio.example.com{reverse('shared_poster', args=[newer.share_token])}"
    assert f'<meta property="og:image" content="{poster}">' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    assert '<meta name="twitter:title" content="Videos by Olive Owner">' in page
    assert '<meta property="og:description" content="Short videos by Olive Owner, made in the Studio.">' in page


@pytest.mark.django_db
def test_an_empty_gallery_previews_as_a_plain_card(client, owner):
    page = client.get(reverse("gallery", args=[owner.username])).content.decode()

    assert "og:image" not in page
    assert '<meta name="twitter:card" content="summary">' in page


@pytest.mark.django_db
def test_the_featured_gallery_previews_with_a_featured_poster(client, owner, media_root):
    gen = make_video(owner)
    sharing.share(gen, show_prompt=False, in_gallery=False)
    Generation.objects.filter(pk=gen.pk).update(featured=True)
    gen.refresh_from_db()

    page = client.get(reverse("featured")).content.decode()

    assert reverse("shared_poster", args=[gen.share_token]) in page.split("</head>")[0]
    assert '<meta name="twitter:card" content="summary_large_image">' in page


@pytest.mark.django_db
def test_each_gallery_carries_its_own_title_and_preview_tags_with_an_absolute_picture(
    client, owner, media_root, settings
):
    settings.SITE_URL = "https://studio.example.com"
    gen = make_video(owner, prompt="A private prompt", title="Harbour at dawn")
    sharing.share(gen, show_prompt=False, in_gallery=True)
    Generation.objects.filter(pk=gen.pk).update(featured=True)
    gen.refresh_from_db()
    poster = f"https://studio.example.com{reverse('shared_poster', args=[gen.share_token])}"

    pages = {
        "featured": (reverse("featured"), "Featured videos · Studio", "Featured videos from the Studio"),
        "creator": (reverse("gallery", args=["owner"]), "Olive Owner (@owner) · Studio", "Videos by Olive Owner"),
    }
    for url, title, og_title in pages.values():
        head = client.get(url).content.decode().split("</head>")[0]
        assert f"<title>{title}</title>" in head
        assert f'<meta property="og:title" content="{og_title}">' in head
        assert f'<meta property="og:url" content="https://studio.example.com{url}">' in head
        assert '<meta property="og:description" content="' in head
        assert f'<meta property="og:image" content="{poster}">' in head
        assert '<meta property="og:image:alt" content="Harbour at dawn">' in head
        assert '<meta name="twitter:card" content="summary_large_image">' in head
        assert "A private prompt" not in head
