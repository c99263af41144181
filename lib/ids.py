"""Ids as they come from outside (a form, a query string): parsed, or None for anything else."""

import uuid


def parse_uuid(value: object) -> uuid.UUID | None:
    """The UUID that `value` spells (text or a UUID), else None: a posted id may be anything."""
    if value is None:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
