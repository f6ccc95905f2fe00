"""Demo organisational life: this year's meetings of the demo branch with attendance, a pending
claim of the demo member, and study recorded on behalf of an elderly member.

Everything goes through the services, so the ledger entries are the ones real use would make.
Attendance varies by member, and a few members have an approved centralised-training claim, so
the completion dashboard shows members in every status.
"""

from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_CEILING, Decimal

from sqlalchemy.orm import Session

from learnapp.completion.member_rows import member_status
from learnapp.completion.queries import Frame
from learnapp.completion.status import Status
from learnapp.hours.models import HoursCategory
from learnapp.hours.services import org_day
from learnapp.orglife.attendance import set_attendance
from learnapp.orglife.claims import approve_claim, record_on_behalf, submit_claim
from learnapp.orglife.meetings import MeetingFields, create_meeting
from learnapp.orglife.models import Attendance, MeetingKind
from learnapp.orglife.queries import expected_members
from learnapp.orgs.models import MemberCategory, Role

# A one-page PDF: the demo claim's evidence (a certificate scan in real use).
EVIDENCE = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _marks(members, month: int) -> list:
    """Most attend; every fourth member drops out after spring (behind pace), one is on leave."""
    marks = []
    for index, member in enumerate(members):
        if index % 4 == 3 and month > 3:
            marks.append((member.id, Attendance.ABSENT, "外出学习"))
        elif index % 7 == 5 and month % 3 == 0:
            marks.append((member.id, Attendance.LEAVE, "病假"))
        else:
            marks.append((member.id, Attendance.PRESENT, ""))
    return marks


def _meeting(session, org, now, kind, held_on, title, minutes, members, **extra):
    marks = _marks(members, held_on.month)
    if extra.pop("vote", False):
        # Everyone with a vote who is present votes: one abstains, the rest are for.
        present = {m for m, status, _r in marks if status == Attendance.PRESENT}
        voters = sum(1 for m in members if m.id in present and m.category == MemberCategory.FULL)
        extra.update(votes_for=voters - 1, votes_against=0, votes_abstain=1)
    fields = MeetingFields(
        kind=kind,
        title=title,
        held_on=held_on,
        place="院机关三楼会议室",
        host_id=org.secretary.id,
        recorder_id=members[1].id if len(members) > 1 else None,
        agenda=extra.pop("agenda", title),
        study_items=((title, minutes),) if minutes else (),
        **extra,
    )
    meeting = create_meeting(session, org.secretary, org.demo_branch, fields, now)
    set_attendance(session, org.secretary, meeting, marks, now)
    return meeting


def seed(session: Session, org, now) -> str:
    today = org_day(now)
    members = expected_members(session, org.demo_branch)
    count = 0
    for month in range(1, today.month + 1):
        day = date(today.year, month, 10)
        if day > today:
            continue
        _meeting(
            session,
            org,
            now,
            MeetingKind.THEMED_DAY,
            day,
            f"{month}月主题党日：学习党章和党的创新理论",
            120,
            members,
        )
        count += 1
        if month % 3 == 0 and date(today.year, month, 21) <= today:
            _meeting(
                session,
                org,
                now,
                MeetingKind.LECTURE,
                date(today.year, month, 20),
                f"第{month // 3}季度党课：坚持和加强党的全面领导",
                90,
                members,
            )
            _meeting(
                session,
                org,
                now,
                MeetingKind.GENERAL,
                date(today.year, month, 21),
                f"第{month // 3}季度支部党员大会",
                0,
                members,
                resolutions="通过支部工作安排。",
                vote_subject="支部季度工作安排",
                vote=True,
            )
            count += 2
    # Members present all year who also went to centralised training reach the target.
    frame = Frame.of(session, today.year, now)
    trained = 0
    for index, member in enumerate(members):
        if member.id == org.secretary.id or index % 4 != 0:
            continue
        row = member_status(session, member, frame)
        if row is None or row.status in (Status.DONE, Status.EXEMPT) or row.target is None:
            continue
        studied_on = date(today.year, 1, 15) if today >= date(today.year, 1, 15) else today
        # Claimed and approved in the days after the training, not when the demo is seeded, so
        # the member's notification of the decision is dated when the decision was made.
        submitted = min(now, datetime.combine(studied_on + timedelta(days=2), time(1), UTC))
        claim = submit_claim(
            session,
            member,
            category=HoursCategory.CENTRALISED,
            # What is missing and two more, rounded up to whole hours (claims are in quarters).
            hours=min(
                Decimal(100),
                (row.target - row.counted + Decimal(2)).quantize(Decimal(1), ROUND_CEILING),
            ),
            studied_on=studied_on,
            description="院党委集中培训班（结业证书）",
            filename="结业证书.pdf",
            data=EVIDENCE,
            now=submitted,
        )
        approve_claim(session, org.secretary, claim, min(now, submitted + timedelta(days=1)))
        trained += 1
    submit_claim(
        session,
        org.member,
        category=HoursCategory.EXTERNAL,
        hours=Decimal(3),
        studied_on=today,
        description="学习强国专题课程《新时代党的建设》",
        filename="学习证明.pdf",
        data=EVIDENCE,
        now=now,
    )
    retired = next(b for b in org.branches if b.name == "离退休党支部")
    secretary = next(
        m
        for m in org.members
        if m.unit_id == retired.id
        and any(r.role == Role.SECRETARY and r.unit_id == retired.id for r in m.roles)
    )
    elderly = next(
        m
        for m in org.members
        if m.unit_id == retired.id and m.is_elderly_exempt and m.id != secretary.id
    )
    record_on_behalf(
        session,
        secretary,
        elderly,
        category=HoursCategory.COLLECTIVE,
        hours=Decimal(2),
        studied_on=today,
        description="上门送学：学习党的二十届四中全会精神",
        now=now,
    )
    return (
        f"organisational life: {count} meetings, {trained} approved training claims, "
        "1 pending claim, 1 study recorded on behalf"
    )
