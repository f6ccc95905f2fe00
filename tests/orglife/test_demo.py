"""The demo branch's organisational life: this year's meetings with attendance, votes that stand,
a pending claim, study recorded on behalf, and members in every completion status."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from learnapp.accounts.models import User
from learnapp.completion.queries import Filters, Frame, overview
from learnapp.completion.status import STATUS_ORDER
from learnapp.demo import seed_demo
from learnapp.orglife.models import ClaimState, Meeting, MeetingKind, StudyClaim
from learnapp.orglife.queries import quorum

pytestmark = pytest.mark.usefixtures("ctx")
OCTOBER = datetime(2026, 10, 15, 2, 0, tzinfo=UTC)


def test_the_demo_branch_has_this_years_meetings_claims_and_every_status(session):
    seed_demo(session, OCTOBER)
    secretary = session.scalar(sa.select(User).where(User.username == "demo-secretary"))
    (branch,) = secretary.managed_units
    meetings = session.scalars(
        sa.select(Meeting).where(Meeting.unit_id == branch.id, Meeting.held_on >= date(2026, 1, 1))
    ).all()
    kinds = [m.kind for m in meetings]
    assert kinds.count(MeetingKind.THEMED_DAY) == 10  # one a month up to October
    general = [m for m in meetings if m.kind == MeetingKind.GENERAL]
    assert len(general) == 3
    for meeting in general:
        result = quorum(session, meeting)
        assert meeting.votes_cast and result.vote_issue(meeting.votes_cast) is None
    assert all(m.attendances for m in meetings)
    member = session.scalar(sa.select(User).where(User.username == "demo-member"))
    pending = session.scalars(
        sa.select(StudyClaim).where(StudyClaim.state == ClaimState.PENDING)
    ).all()
    assert [c.member_id for c in pending] == [member.id]
    assert session.scalar(sa.select(StudyClaim).where(StudyClaim.is_on_behalf.is_(True)))
    counts = overview(session, branch, Frame.of(session, 2026, OCTOBER), Filters()).total.counts
    assert all(counts[status] > 0 for status in STATUS_ORDER), counts
