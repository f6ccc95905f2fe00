"""Demo study: a plausible year for the demo branch, built the way real study is recorded.

For each member of the demo branch, some lessons were completed on earlier days of this year:
a study session with a heartbeat every 20 s, the lesson's progress, and the ledger credit made
by hours.credit() on that day (so the daily cap and the rule set of the day apply). The demo
member also has a lesson half done ("continue where I left off") and some recorded self-study.
"""

import random
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.clock import org_timezone
from learnapp.courses.models import LessonKind
from learnapp.courses.queries import course_outline, visible_courses
from learnapp.hours.models import HoursCategory, SourceType
from learnapp.hours.services import credit, record_self_study
from learnapp.study.models import Heartbeat, LessonProgress, StudyClock, StudySession
from learnapp.study.services import required_seconds

BEAT_SECONDS = 20


def _lessons(session: Session, member) -> list:
    return [
        lesson
        for course in visible_courses(session, member)
        for _, lessons in course_outline(session, course)
        for lesson in lessons
    ]


def _study(session, member, lesson, started: datetime, seconds: int, rng, complete: bool):
    """One session of `seconds` of heartbeats on `lesson`, its progress, and the credit."""
    token = f"demo{member.id:05d}{lesson.id:05d}{rng.randrange(16**8):08x}"
    beats = max(seconds // BEAT_SECONDS, 1)
    ended = started + timedelta(seconds=beats * BEAT_SECONDS)
    session.add(
        StudySession(
            id=token[:32],
            member_id=member.id,
            lesson_id=lesson.id,
            started_at=started,
            last_beat_at=ended,
            last_seq=beats,
            verified_seconds=beats * BEAT_SECONDS,
            closed_at=ended + timedelta(minutes=10),
        )
    )
    session.flush()
    is_video = lesson.kind == LessonKind.VIDEO
    session.execute(
        sa.insert(Heartbeat),
        [
            {
                "session_id": token[:32],
                "seq": seq,
                "received_at": started + timedelta(seconds=seq * BEAT_SECONDS),
                "elapsed_seconds": BEAT_SECONDS,
                "credited_seconds": BEAT_SECONDS,
                "reached_end": complete and seq == beats,
                "segment_start": (seq - 1) * BEAT_SECONDS if is_video else None,
                "segment_end": seq * BEAT_SECONDS if is_video else None,
                "segment_accepted": is_video,
            }
            for seq in range(1, beats + 1)
        ],
    )
    verified = beats * BEAT_SECONDS
    session.add(
        LessonProgress(
            member_id=member.id,
            lesson_id=lesson.id,
            verified_seconds=verified,
            reached_end=complete,
            coverage=[[0, min(verified, lesson.length_seconds)]] if is_video else [],
            started_at=started,
            last_studied_at=ended,
            completed_at=ended if complete else None,
        )
    )
    if complete:
        credit(
            session,
            member,
            HoursCategory.ONLINE,
            SourceType.LESSON,
            lesson.id,
            lesson.nominal_hours,
            verified,
            ended,
        )
    return ended


def seed(session: Session, org, now: datetime) -> str:
    rng = random.Random(20261125)  # noqa: S311  (demo data, not a secret)
    tz = org_timezone()
    today = now.astimezone(tz).date()
    first_day = today.replace(month=1, day=1)
    days = max((today - first_day).days, 1)
    branch_members = [m for m in org.members if m.unit and m.unit.is_within(org.demo_branch)]
    completions = 0
    for member in branch_members:
        lessons = _lessons(session, member)
        if not lessons:
            continue
        is_demo = member.id == org.member.id
        share = 0.6 if is_demo else rng.uniform(0.2, 0.95)
        # The demo member keeps a few lessons to study in the browser.
        done = (
            lessons[: max(int(len(lessons) * share), 1)]
            if is_demo
            else rng.sample(lessons, max(int(len(lessons) * share), 1))
        )
        last = None
        for index, lesson in enumerate(done):
            day = first_day + timedelta(
                days=min(int(days * (index + 1) / (len(done) + 1)), days - 1)
            )
            if day >= today:
                day = today - timedelta(days=1) if today > first_day else today
            evening = datetime.combine(day, time(19, rng.randrange(0, 50)), tzinfo=tz)
            seconds = required_seconds(lesson) + rng.randrange(0, 240)
            last = _study(
                session, member, lesson, evening.astimezone(now.tzinfo), seconds, rng, True
            )
            completions += 1
        if is_demo:
            remaining = [lesson for lesson in lessons if lesson not in done]
            if remaining:
                started = (last or now) + timedelta(hours=1)
                started = min(started, now - timedelta(hours=2))
                _study(
                    session,
                    member,
                    remaining[0],
                    started,
                    required_seconds(remaining[0]) // 2,
                    rng,
                    False,
                )
            for offset, (hours, note) in enumerate(
                (
                    ("1.5", "自学《习近平新时代中国特色社会主义思想学习纲要》第一章"),
                    ("1", "阅读《中国共产党章程》总纲并做笔记"),
                )
            ):
                day = max(today - timedelta(days=7 * (offset + 1)), first_day)
                if day < today:
                    record_self_study(session, member, day=day, hours=hours, note=note, now=now)
        clock = StudyClock(member_id=member.id, credited_until=now, recent_spans=[])
        session.merge(clock)
    session.flush()
    return f"study: {completions} lessons completed by {len(branch_members)} demo-branch members"
