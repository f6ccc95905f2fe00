"""Factories and markers of the organisational-life tests."""

import contextlib
from datetime import date

import pytest

from learnapp.errors import DomainError
from learnapp.orglife.meetings import MeetingFields
from learnapp.orglife.models import MeetingKind

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def meeting_fields(**overrides) -> MeetingFields:
    values = {
        "kind": MeetingKind.THEMED_DAY,
        "title": "主题党日：学习党章",
        "held_on": date(2026, 3, 5),
        "study_items": (("学习党章第一章", 90),),
    }
    values.update(overrides)
    return MeetingFields(**values)


@contextlib.contextmanager
def refused(field):
    """The block raises a DomainError on `field` (messages are translated, fields are not)."""
    with pytest.raises(DomainError) as error:
        yield error
    assert error.value.field == field, error.value.message
