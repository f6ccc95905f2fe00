"""Factories and markers of the organisational-life tests."""

import contextlib
from datetime import date

import pytest

from learnapp.errors import DomainError
from learnapp.hours.models import HoursCategory
from learnapp.orglife.claims import submit_claim
from learnapp.orglife.meetings import MeetingFields
from learnapp.orglife.models import MeetingKind, StudyClaim
from learnapp.orgs.models import Role
from tests.factories import FIXED_NOW, make_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

# The new-meeting form of branch A, as a secretary fills it in.
MEETING_FORM = {
    "kind": "themed_day",
    "title": "三月主题党日",
    "held_on": "2026-03-05",
    "place": "会议室",
    "host_id": "0",
    "recorder_id": "0",
    "study_items-0-title": "学习党章",
    "study_items-0-minutes": "120",
}


def meeting_fields(**overrides) -> MeetingFields:
    values = {
        "kind": MeetingKind.THEMED_DAY,
        "title": "主题党日：学习党章",
        "held_on": date(2026, 3, 5),
        "study_items": (("学习党章第一章", 90),),
    }
    values.update(overrides)
    return MeetingFields(**values)


def post_new_meeting(auth, world, changes: dict | None = None):
    """The logged-in user posts branch A's new-meeting form, with `changes` to its fields."""
    url = f"/orglife/units/{world.branch_a.id}/meetings/new"
    return auth.post(url, {**MEETING_FORM, **(changes or {})})


def make_secretary_b(session, world):
    """乙支部's secretary, who logs in as "secb"."""
    return make_user(
        session, username="secb", unit=world.branch_b, roles=((Role.SECRETARY, world.branch_b),)
    )


def certified_claim(
    session, member, *, day: int = 1, hours: str = "2", description: str = ""
) -> StudyClaim:
    """`member` claims `hours` of external study done on `day` March 2026, with a PDF
    certificate; the description is "三月<day>日专题培训" unless one is given."""
    return submit_claim(
        session,
        member,
        category=HoursCategory.EXTERNAL,
        hours=hours,
        studied_on=date(2026, 3, day),
        description=description or f"三月{day}日专题培训",
        filename="证书.pdf",
        data=PDF,
        now=FIXED_NOW,
    )


@contextlib.contextmanager
def refused(field):
    """The block raises a DomainError on `field` (messages are translated, fields are not)."""
    with pytest.raises(DomainError) as error:
        yield error
    assert error.value.field == field, error.value.message
