import uuid

from lib.ids import parse_uuid


def test_a_posted_id_is_a_uuid_or_none():
    pk = uuid.uuid4()
    assert parse_uuid(str(pk)) == pk
    assert parse_uuid(pk) == pk
    assert parse_uuid(pk.hex) == pk
    for junk in (None, "", "not-an-id", "1' OR 1=1", 12, "\x00"):
        assert parse_uuid(junk) is None
