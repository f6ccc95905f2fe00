"""Demo assessments for the demo branch: last year's period closed with results, this year's
open at the self-appraisal step. Everything goes through the services, as a branch would:
last year's evidence too (its meetings with attendance and a centralised-training claim,
recorded through orglife's services), so last year's dossiers show real figures."""

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from learnapp.assessments import ballots, grading
from learnapp.assessments.appraisals import save_peer_review, save_self_appraisal
from learnapp.assessments.evidence import period_members
from learnapp.assessments.models import AssessmentPeriod, Grade
from learnapp.assessments.periods import create_period, start_of
from learnapp.assessments.steps import advance, voters
from learnapp.clock import org_timezone
from learnapp.hours.models import HoursCategory
from learnapp.orglife.attendance import set_attendance
from learnapp.orglife.claims import approve_claim, submit_claim
from learnapp.orglife.demo import EVIDENCE
from learnapp.orglife.meetings import MeetingFields, create_meeting
from learnapp.orglife.models import Attendance, MeetingKind
from learnapp.orglife.queries import expected_members

SELF_TEXTS = (
    "本年度认真学习党的创新理论，按时参加三会一课，完成规定学时。不足之处是联系实际不够紧密。",
    "坚持每周自学，积极参加主题党日活动；今后要在发挥先锋模范作用方面进一步加强。",
    "按要求完成在线学习和集中培训，工作中注意团结同志；理论学习的系统性还需提高。",
)


def _last_year_evidence(session: Session, org, year: int, rng: random.Random) -> None:
    """Last year's monthly 主题党日 (two hours of study each) with varied attendance, and a
    centralised-training claim for some members, each recorded on its day."""
    tz = org_timezone()
    members = expected_members(session, org.demo_branch)
    for month in range(1, 12):
        held_on = date(year, month, 10)
        at = datetime(year, month, 11, 9, tzinfo=tz)
        meeting = create_meeting(
            session,
            org.secretary,
            org.demo_branch,
            MeetingFields(
                kind=MeetingKind.THEMED_DAY,
                title=f"{month}月主题党日：学习党的创新理论",
                held_on=held_on,
                place="院机关三楼会议室",
                host_id=org.secretary.id,
                agenda="集体学习",
                study_items=(("集体学习党的创新理论", 120),),
            ),
            at,
        )
        marks = []
        for member in members:
            roll = rng.random()
            if roll < 0.12:
                marks.append((member.id, Attendance.ABSENT, "外出工作"))
            elif roll < 0.18:
                marks.append((member.id, Attendance.LEAVE, "病假"))
            else:
                marks.append((member.id, Attendance.PRESENT, ""))
        set_attendance(session, org.secretary, meeting, marks, at)
    at = datetime(year, 6, 30, 9, tzinfo=tz)
    for member in members[::2]:
        if member.id == org.secretary.id:
            continue
        claim = submit_claim(
            session,
            member,
            category=HoursCategory.CENTRALISED,
            hours=Decimal(12),
            studied_on=date(year, 6, 20),
            description="院党委集中培训班（结业证书）",
            filename="结业证书.pdf",
            data=EVIDENCE,
            now=at,
        )
        approve_claim(session, org.secretary, claim, at)


def _last_year(session: Session, org, year: int, rng: random.Random) -> AssessmentPeriod:
    """Last year's period, run as a branch runs one: the schedule opens each step at midnight
    of its day, as the period form sets it, and people act during the day."""
    first = date(year, 12, 1)

    def day(n: int) -> datetime:
        return start_of(first + timedelta(days=n))

    morning = timedelta(hours=9)
    _last_year_evidence(session, org, year, rng)
    period = create_period(
        session,
        org.secretary,
        org.demo_branch,
        year=year,
        self_opens_at=day(0),
        peer_opens_at=day(7),
        ballot_opens_at=day(14),
        ballot_closes_at=day(21),
        now=day(-10) + morning,
    )
    advance(session, None, period, day(0))
    members = period_members(session, period)
    for number, member in enumerate(members):
        save_self_appraisal(
            session,
            member,
            period,
            SELF_TEXTS[number % len(SELF_TEXTS)],
            day(0) + morning + timedelta(hours=number),
        )
    advance(session, None, period, day(7))
    save_peer_review(
        session,
        org.secretary,
        period,
        org.member.id,
        "学习主动，带头参加志愿服务。",
        day(8) + morning,
    )
    advance(session, None, period, day(14))
    subjects = ballots.ballot_subjects(session, period)
    for voter in voters(session, period):
        ratings = {
            m.id: Grade.EXCELLENT
            if m.id == org.member.id and rng.random() < 0.8
            else Grade.QUALIFIED
            for m in subjects
        }
        ballots.cast_ballot(session, voter, period, ratings)
    advance(session, None, period, day(21))
    proposals = {
        m.id: (
            (Grade.EXCELLENT, "学习成效突出，民主测评优秀票占多数，支委会研究提名为优秀。")
            if m.id == org.member.id
            else (Grade.QUALIFIED, "按要求完成学习任务，履行党员义务。")
        )
        for m in members
    }
    # The secretary's own grade is proposed by another member of the branch committee.
    own = {org.secretary.id: proposals.pop(org.secretary.id)}
    grading.propose_grades(session, org.secretary, period, proposals, day(22) + morning)
    colleague = grading.other_graders(session, period, org.secretary.id)[0]
    grading.propose_grades(session, colleague, period, own, day(22) + morning)
    grading.submit(session, org.secretary, period, "", day(22) + morning)
    star = grading.grades_of(session, period)[org.member.id]
    grading.decide(session, org.admin, period, star, True, "同意。", day(24) + morning)
    grading.save_feedback(
        session, org.secretary, period, star, "希望继续发挥先锋模范作用，带动党小组共同进步。"
    )
    grading.lock(session, org.secretary, period, day(25) + morning)
    return period


def seed(session: Session, org, now: datetime) -> str:
    rng = random.Random(7)  # noqa: S311  (demo data, not security)
    today = now.astimezone(org_timezone()).date()
    year = today.year
    _last_year(session, org, year - 1, rng)
    # This year's steps open at midnight of their days, as the period form sets them; the
    # self-appraisal opened today.
    current = create_period(
        session,
        org.secretary,
        org.demo_branch,
        year=year,
        self_opens_at=start_of(today),
        peer_opens_at=start_of(today + timedelta(days=14)),
        ballot_opens_at=start_of(today + timedelta(days=21)),
        ballot_closes_at=start_of(today + timedelta(days=28)),
        now=now,
    )
    advance(session, org.secretary, current, now)
    return (
        f"assessments: {year - 1} closed with results, {year} open at self-appraisal "
        f"({org.demo_branch.name})"
    )
