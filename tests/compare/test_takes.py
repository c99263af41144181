"""Takes: keeping one of a comparison (the others set aside and back), the default model, a draft made
final, the keeper figures, and the Models page."""

import re
from decimal import Decimal

import pytest
from django.forms.models import inlineformset_factory
from django.urls import reverse
from django.utils.html import escape

from accounts import credits
from accounts.models import CreditEntry, Plan, User
from catalog.models import CatalogModel
from compare import takes
from generations.models import Comparison, Generation, ModelSample
from tests.generations.videos import make_generation, make_video

Status = Generation.Status


def model(slug):
    return CatalogModel.objects.get(slug=slug)


def comparison_of(user, *specs, prompt="A red kite over the dunes"):
    """A comparison with a take per (model slug, status): ready takes have real files."""
    comparison = Comparison.objects.create(user=user, prompt=prompt)
    made = []
    for slug, status in specs:
        if status == Status.COMPLETED:
            gen = make_video(user, prompt=prompt, model=slug, comparison=comparison)
        else:
            gen = make_generation(user, prompt=prompt, model=slug, status=status, comparison=comparison)
        made.append(gen)
    return comparison, made


def library_ids(client, query=""):
    html = client.get(reverse("library") + query).content.decode()
    return set(re.findall(r'id="item-([0-9a-f-]{36})"', html))


@pytest.fixture
def logged_in(client, owner):
    client.force_login(owner)
    return client


def keep_url(comparison, take):
    return reverse("take_keep", args=[comparison.pk, take.pk])


# The keeper


def test_keeping_one_sets_the_others_aside_out_of_the_library_and_restore_brings_one_back(logged_in, owner, media_root):
    comparison, (veo, wan, kling) = comparison_of(
        owner, ("veo", Status.COMPLETED), ("wan", Status.COMPLETED), ("kling", Status.COMPLETED)
    )
    assert library_ids(logged_in) == {str(veo.pk), str(wan.pk), str(kling.pk)}

    response = logged_in.post(keep_url(comparison, wan), {"next": f"/compare/{comparison.pk}/"})

    assert response.status_code == 302 and response["Location"] == f"/compare/{comparison.pk}/"
    comparison.refresh_from_db()
    assert comparison.keeper_id == wan.pk
    assert set(Generation.objects.filter(set_aside=True).values_list("pk", flat=True)) == {veo.pk, kling.pk}
    assert library_ids(logged_in) == {str(wan.pk)}  # the default view leaves the others out
    aside = logged_in.get(reverse("library") + "?show=set_aside").content.decode()
    assert set(re.findall(r'id="item-([0-9a-f-]{36})"', aside)) == {str(veo.pk), str(kling.pk)}
    assert "Restore" in aside and 'Set aside <span class="count">2</span>' in aside

    logged_in.post(reverse("generation_restore", args=[veo.pk]), {"next": reverse("library")})

    assert library_ids(logged_in) == {str(wan.pk), str(veo.pk)}
    comparison.refresh_from_db()
    assert comparison.keeper_id == wan.pk  # restoring does not change the keeper


def test_set_aside_takes_are_restored_or_deleted_in_bulk(logged_in, owner, media_root):
    comparison, (veo, wan, kling) = comparison_of(
        owner, ("veo", Status.COMPLETED), ("wan", Status.COMPLETED), ("kling", Status.COMPLETED)
    )
    takes.keep(comparison, veo)

    logged_in.post(reverse("library_bulk"), {"ids": [wan.pk], "action": "restore"})
    assert library_ids(logged_in) == {str(veo.pk), str(wan.pk)}

    logged_in.post(reverse("library_bulk"), {"ids": [kling.pk], "action": "delete", "confirm": "yes"})
    assert not Generation.objects.filter(pk=kling.pk).exists()
    assert library_ids(logged_in, "?show=set_aside") == set()


def test_only_a_ready_take_can_be_kept(logged_in, owner, media_root):
    comparison, (ready, making, failed) = comparison_of(
        owner, ("veo", Status.COMPLETED), ("wan", Status.RUNNING), ("kling", Status.FAILED)
    )

    logged_in.post(keep_url(comparison, making), {"next": reverse("library")})
    assert "You can keep this take once it is ready." in logged_in.get(reverse("library")).content.decode()
    with pytest.raises(takes.NotReady):
        takes.keep(comparison, failed)
    comparison.refresh_from_db()
    assert comparison.keeper_id is None and not Generation.objects.filter(set_aside=True).exists()

    takes.keep(comparison, ready)
    making.refresh_from_db(), failed.refresh_from_db()
    assert not making.set_aside and failed.set_aside  # one still being made is left alone


def test_the_default_model_sticks_in_the_create_form(logged_in, owner, media_root):
    comparison, (veo, kling) = comparison_of(owner, ("veo", Status.COMPLETED), ("kling", Status.COMPLETED))

    logged_in.post(reverse("take_default", args=[comparison.pk, kling.pk]))

    assert User.objects.get(pk=owner.pk).default_model.slug == "kling"
    for _ in range(2):  # and stays so, page after page
        html = logged_in.get(reverse("dashboard")).content.decode()
        assert re.search(r'<option value="kling"[^>]*selected', html)


def test_a_model_the_plan_leaves_out_cannot_be_the_default(owner):
    owner.plan = Plan.objects.get(slug="free")
    owner.save(update_fields=["plan"])
    assert not takes.use_as_default(owner, model("veo"))
    assert User.objects.get(pk=owner.pk).default_model is None


@pytest.mark.parametrize("who", ["outsider", "nobody"])
def test_someone_elses_comparison_and_takes_are_not_found(client, owner, outsider, who, media_root):
    comparison, (veo, wan) = comparison_of(owner, ("veo", Status.COMPLETED), ("wan", Status.COMPLETED))
    takes.keep(comparison, veo)
    if who == "outsider":
        client.force_login(outsider)
    posts = [
        keep_url(comparison, wan),
        reverse("take_default", args=[comparison.pk, wan.pk]),
        reverse("generation_restore", args=[wan.pk]),
        reverse("generation_final", args=[veo.pk]),
    ]
    for url in posts:
        response = client.post(url)
        assert response.status_code == (404 if who == "outsider" else 302), url
        if who == "nobody":
            assert "/accounts/login/" in response["Location"]
    assert client.get(reverse("generation_final", args=[veo.pk])).status_code == (404 if who == "outsider" else 302)
    comparison.refresh_from_db(), wan.refresh_from_db()
    assert comparison.keeper_id == veo.pk and wan.set_aside
    assert User.objects.get(pk=outsider.pk).default_model is None
    assert not Generation.objects.filter(user=outsider).exists()


def test_a_take_from_another_comparison_is_not_found(logged_in, owner, media_root):
    first, (veo,) = comparison_of(owner, ("veo", Status.COMPLETED))
    second, (wan,) = comparison_of(owner, ("wan", Status.COMPLETED))
    assert logged_in.post(keep_url(first, wan)).status_code == 404


def test_a_videos_page_links_back_to_its_comparison_and_marks_the_keeper(logged_in, owner, media_root):
    comparison, (veo, wan) = comparison_of(owner, ("veo", Status.COMPLETED), ("wan", Status.COMPLETED))
    takes.keep(comparison, veo)

    kept = logged_in.get(reverse("generation_detail", args=[veo.pk])).content.decode()
    aside = logged_in.get(reverse("generation_detail", args=[wan.pk])).content.decode()

    assert f'href="/compare/{comparison.pk}/">A take of a comparison</a>: the one you kept' in kept
    assert f'href="/compare/{comparison.pk}/">A take of a comparison</a>.' in aside
    assert "Set aside" in aside and "Restore to my library" in aside


def test_take_actions_offer_keep_default_and_final_for_a_ready_take(rf, owner, media_root):
    from django.template.loader import render_to_string

    comparison, (veo, wan) = comparison_of(owner, ("veo", Status.COMPLETED), ("wan", Status.RUNNING))
    request = rf.get(f"/compare/{comparison.pk}/")
    request.user = owner
    ready = render_to_string("compare/take_actions.html", {"take": veo, "comparison": comparison, "request": request})
    making = render_to_string("compare/take_actions.html", {"take": wan, "comparison": comparison, "request": request})
    assert "Keep this one" in ready and "Use this model by default" in ready and "Make final" in ready
    assert "Keep this one" not in making and "You can keep it once it is ready." in making
    takes.keep(comparison, veo)
    kept = render_to_string("compare/take_actions.html", {"take": veo, "comparison": comparison, "request": request})
    assert "Kept" in kept and "Keep this one" not in kept


# Draft, then final


def test_make_final_holds_the_new_price_and_records_lineage(logged_in, owner, queue, media_root):
    draft = make_video(owner, prompt="A lighthouse at dusk", model="veo", style="", camera="")  # 2 s at 720p
    page = logged_in.get(reverse("generation_final", args=[draft.pk])).content.decode()
    hd_price = model("veo").price(4, "1920x1080")  # veo's nearest length to 2 s is 4 s
    assert "Veo" in page and "Landscape 1080p" in page
    assert f"{hd_price:.0f} credits" in page and f"{hd_price - draft.cost:.0f} more than the draft" in page
    before = credits.balance_of(owner)

    response = logged_in.post(
        reverse("generation_final", args=[draft.pk]),
        {"choice": "veo:1920x1080", "client_token": "7f1c3c59-8f7e-4f7e-9a7c-0c4e3f1d2b10"},
    )

    final = Generation.objects.exclude(pk=draft.pk).get()
    assert response.status_code == 302 and response["Location"] == reverse("generation_detail", args=[final.pk])
    assert (final.model.slug, final.size, final.duration, final.cost) == ("veo", "1920x1080", 4, hd_price)
    assert final.source_id == draft.pk and final.is_final and final.prompt == draft.prompt
    hold = CreditEntry.objects.get(user=owner, kind="hold", reference=final.ledger_reference)
    assert -hold.amount == hd_price == before - credits.balance_of(owner)
    assert f'Made final as <a href="{reverse("generation_detail", args=[final.pk])}">a Veo video</a>' in (
        logged_in.get(reverse("generation_detail", args=[draft.pk])).content.decode()
    )
    assert f'Final of <a href="{reverse("generation_detail", args=[draft.pk])}">the Veo draft</a>' in (
        logged_in.get(reverse("generation_detail", args=[final.pk])).content.decode()
    )


def test_a_plan_without_hd_shows_1080p_locked_and_refuses_it(logged_in, owner, queue, media_root):
    owner.plan = Plan.objects.get(slug="free")
    owner.save(update_fields=["plan"])
    draft = make_video(owner, model="wan")

    choices = takes.final_choices(owner, draft)
    hd = next(c for c in choices if c.key == "wan:1920x1080")
    assert hd.cost is None and hd.locked_by is not None
    response = logged_in.post(reverse("generation_final", args=[draft.pk]), {"choice": "wan:1920x1080"})
    assert response.status_code == 400 and "Choose one of the ways" in response.content.decode()
    assert Generation.objects.count() == 1


def test_a_refusal_to_make_final_is_said_just_above_its_button(logged_in, owner, queue, media_root):
    draft = make_video(owner, model="wan")
    credits.hold(owner, credits.balance_of(owner) - 1, reference="elsewhere")  # 1 credit left
    page = logged_in.post(reverse("generation_final", args=[draft.pk]), {"choice": "wan:1920x1080"}).content.decode()
    problem = page.index('id="final-problem"')
    assert page.index("</fieldset>") < problem < page.index(">Make it final</button>")
    assert "you have 1 credit" in page and 'aria-describedby="final-problem">Make it final' in page
    assert Generation.objects.count() == 1


# Keeper figures


def test_keeper_figures_on_hand_made_data(owner, outsider, media_root):
    one, (veo1, wan1) = comparison_of(owner, ("veo", Status.COMPLETED), ("wan", Status.COMPLETED))
    two, (veo2, wan2, kling2) = comparison_of(
        owner, ("veo", Status.COMPLETED), ("wan", Status.COMPLETED), ("kling", Status.FAILED)
    )
    undecided, _ = comparison_of(owner, ("veo", Status.COMPLETED), ("wan", Status.COMPLETED))
    theirs, (their_veo, their_wan) = comparison_of(outsider, ("veo", Status.COMPLETED), ("wan", Status.COMPLETED))
    takes.keep(one, veo1)
    takes.keep(two, wan2)
    takes.keep(theirs, their_veo)

    rows, total = takes.keeper_figures(Generation.objects.for_user(owner))
    by = {r.name: r for r in rows}
    # Each take: 2 s; veo 4 credits, wan 4 credits (seeded prices at 720p), kling failed (costs nothing).
    assert (by["Veo"].kept, by["Veo"].set_aside, by["Veo"].ready, by["Veo"].kept_seconds) == (1, 1, 2, 2)
    assert (by["Wan"].kept, by["Wan"].set_aside, by["Wan"].ready, by["Wan"].kept_seconds) == (1, 1, 2, 2)
    assert (by["Kling"].kept, by["Kling"].set_aside) == (0, 1)
    assert by["Veo"].spent == veo1.cost + veo2.cost
    assert by["Veo"].per_kept_second == ((veo1.cost + veo2.cost) / 2).quantize(Decimal("0.1"))
    assert by["Kling"].per_kept_second is None
    assert (total.kept, total.set_aside, total.kept_seconds) == (2, 3, 4)
    assert total.spent == veo1.cost + wan1.cost + veo2.cost + wan2.cost  # the undecided comparison apart
    assert by["Veo"].keeper_rate is None  # fewer than ten ready takes: not enough to say

    everyone, studio_total = takes.keeper_figures(Generation.objects.all())
    assert (studio_total.kept, studio_total.set_aside) == (3, 4)


def test_the_usage_page_shows_what_was_kept(logged_in, owner, media_root):
    one, (veo, wan) = comparison_of(owner, ("veo", Status.COMPLETED), ("wan", Status.COMPLETED))
    takes.keep(one, veo)
    html = logged_in.get(reverse("usage")).content.decode()
    assert "What you kept from comparisons" in html
    row = re.search(r'<th scope="row">Veo</th>(.*?)</tr>', html, re.S).group(1)
    # kept 1, set aside 0, 2 seconds kept, and the 4 credits of its one ready take over those 2 seconds
    assert re.findall(r'<td class="num">([^<]*)</td>', row) == ["1", "0", "2", "2"]


def test_the_catalog_admin_shows_the_studios_keeper_figures(client, operator, owner, media_root):
    one, (veo, wan) = comparison_of(owner, ("veo", Status.COMPLETED), ("wan", Status.COMPLETED))
    takes.keep(one, wan)
    client.force_login(operator)
    html = client.get(reverse("admin:catalog_catalogmodel_changelist")).content.decode()
    assert "Takes kept across the studio" in html
    assert re.search(r'<th scope="row">Wan</th><td>1</td><td>0</td>', html)
    change = client.get(reverse("admin:catalog_catalogmodel_change", args=[model("wan").pk])).content.decode()
    assert "Sample clips" in change


def test_a_sample_must_be_a_ready_video_of_its_model(owner, media_root):
    from generations.admin import SampleFormSet

    wan = model("wan")
    Formset = inlineformset_factory(CatalogModel, ModelSample, formset=SampleFormSet, fields=("generation", "position"))

    def errors(gen):
        data = {
            "samples-TOTAL_FORMS": "1",
            "samples-INITIAL_FORMS": "0",
            "samples-0-generation": str(gen.pk),
            "samples-0-position": "1",
        }
        formset = Formset(data, instance=wan, prefix="samples")
        return formset.is_valid() or " ".join(str(e) for e in formset.errors)

    assert errors(make_video(owner, model="wan")) is True
    assert "not one of the available choices" in errors(make_generation(owner, model="wan", status=Status.RUNNING))
    assert "not this model" in errors(make_video(owner, model="veo"))


# The Models page


def test_the_models_page_lists_models_with_prices_and_sample_clips_only(client, owner, outsider, media_root):
    sample = make_video(outsider, model="kling")
    private = make_video(owner, model="kling")
    chosen = ModelSample.objects.create(model=model("kling"), generation=sample, position=1)

    html = client.get(reverse("models")).content.decode()

    for m in CatalogModel.objects.filter(kind=CatalogModel.Kind.VIDEO, enabled=True):
        assert f">{m.name}</h2>" in html and escape(m.guide) in html
    assert "2 to 15 seconds" in html and "5 or 10 seconds" in html  # wan, kling
    assert "2.24 credits" in html and "2.40 at 1080p" in html  # kling per second; veo at 1080p
    assert "Not enough comparisons yet" in html
    assert reverse("model_sample_file", args=[chosen.pk, "mp4"]) in html
    assert str(sample.pk) not in html and str(private.pk) not in html
    video = client.get(reverse("model_sample_file", args=[chosen.pk, "mp4"]))
    assert video.status_code == 200 and video["Content-Type"] == "video/mp4"
    assert client.get(reverse("model_sample_file", args=[chosen.pk + 1, "mp4"])).status_code == 404
    chosen.delete()  # no longer a sample: no longer served
    assert client.get(reverse("model_sample_file", args=[chosen.pk or 1, "mp4"])).status_code == 404


def test_the_keeper_rate_shows_once_there_are_ten_ready_takes(client, owner, media_root):
    for i in range(5):
        comparison = Comparison.objects.create(user=owner, prompt=f"Idea {i}")
        kept = make_generation(owner, model="wan", status=Status.COMPLETED, comparison=comparison)
        make_generation(owner, model="wan", status=Status.COMPLETED, comparison=comparison)
        takes.keep(comparison, kept)
    html = client.get(reverse("models")).content.decode()
    assert "50% of its takes (5 of 10)" in html


def test_a_take_that_finishes_after_the_keeper_was_chosen_is_set_aside_with_the_rest(logged_in, owner, media_root):
    comparison, (veo, late) = comparison_of(owner, ("veo", Status.COMPLETED), ("wan", Status.DOWNLOADING))
    logged_in.post(keep_url(comparison, veo))

    late.refresh_from_db()
    assert not late.set_aside  # still being made: left alone
    assert late.mark_completed(
        "videos/late.mp4", "posters/late.jpg", {"bytes": 1, "width": 1, "height": 1, "seconds": 2}
    )

    late.refresh_from_db()
    assert late.set_aside and str(late.pk) not in library_ids(logged_in)
