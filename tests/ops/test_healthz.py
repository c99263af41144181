"""/healthz/ asks the database, the cache, storage and the cluster's heartbeat, and says which failed."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from generations import health


def test_every_part_well_is_200(client, db, media_root):
    health.beat()
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "parts": {"database": "ok", "cache": "ok", "storage": "ok", "cluster": "ok"},
    }
    assert response["Cache-Control"] == "no-store"


def test_a_silent_cluster_is_503_with_its_reason(client, db, media_root):
    health.beat(timezone.now() - timedelta(minutes=5))
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    assert body["parts"]["cluster"].startswith("no cluster has been heard from for 3")
    assert body["parts"]["database"] == "ok"


def test_storage_that_does_not_answer_is_named(client, db, media_root, settings, monkeypatch):
    from django.core.files.storage import default_storage

    health.beat()

    def broken(name):
        raise OSError("disk gone")

    monkeypatch.setattr(default_storage, "exists", broken)
    body = client.get(reverse("healthz")).json()
    assert body["parts"]["storage"] == "did not answer (OSError)"
    assert "disk gone" not in str(body)  # what failed, never the inner details


def test_the_trivial_view_answers_without_asking_anything(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get(reverse("ping")).content == b"ok"
