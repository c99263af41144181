"""Schemathesis walks every operation of the API on the live server, with inputs made from the schema and
inputs that break it (wrong types, out of range, odd characters, missing fields): never a 5xx, and every
answer (status, content type, headers, body) is one the schema describes."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.endpoints import api
from generations.models import Generation
from tests.api.helpers import token_for
from tests.generations.videos import make_generation, make_video

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    ignored_auth,
]


schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
# One test per operation and mode, each with its own node id (schema.parametrize gives them all one,
# which pytest-xdist would run once).
OPERATIONS = [result.ok() for result in schema.get_all_operations()]
EXAMPLES = 20  # per operation and mode


@pytest.fixture
def token(owner, outsider, settings, media_root, queue):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api": "100000/m", "upload": "100000/h"}
    make_video(owner)
    make_generation(owner, status=Generation.Status.FAILED, error_message="Pixapi turned it down.")
    make_generation(outsider)
    return token_for(owner)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda mode: mode.value)
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.label)
def test_every_operation_answers_as_its_schema_says(operation, mode, token, live_server):
    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(
        max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
    )
    def answers_as_its_schema_says(case):
        case.call_and_validate(base_url=live_server.url, headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

    answers_as_its_schema_says()


@pytest.mark.django_db(transaction=True)
def test_answers_about_real_videos_match_the_schema(live_server, owner, media_root):
    """Generated ids are almost never real ones: the answers about real videos, checked the same way."""
    ready, running = make_video(owner), make_generation(owner, status=Generation.Status.RUNNING, progress=30)
    headers = {"Authorization": f"Bearer {token_for(owner)}"}
    one, download = schema["/api/v1/videos/{video_id}"]["GET"], schema["/api/v1/videos/{video_id}/download"]["GET"]
    seen = set()
    for operation, gen, extra, status in [
        (one, ready, {}, 200),
        (one, running, {}, 200),
        (download, ready, {}, 200),
        (download, ready, {"Range": "bytes=0-99"}, 206),
        (download, ready, {"Range": "bytes=999999999-"}, 416),
        (download, running, {}, 409),
    ]:
        case = operation.Case(path_parameters={"video_id": str(gen.pk)}, headers=extra)
        response = case.call_and_validate(base_url=live_server.url, headers=headers, checks=CHECKS)
        assert response.status_code == status
        seen.add(status)
    assert seen == {200, 206, 409, 416}


@pytest.mark.django_db(transaction=True)
def test_a_429_matches_the_schema_with_its_retry_after(live_server, owner, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api": "1/m"}
    headers = {"Authorization": f"Bearer {token_for(owner)}"}
    balance = schema["/api/v1/balance"]["GET"]
    statuses = [
        balance.Case().call_and_validate(base_url=live_server.url, headers=headers, checks=CHECKS).status_code
        for _ in range(2)
    ]
    assert statuses == [200, 429]
