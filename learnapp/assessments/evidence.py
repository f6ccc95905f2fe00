"""The evidence of a period, computed from the other packages' read functions.

Nothing here totals study hours, attendance or posts by itself: 学时 against the target come from
`completion.member_rows` (sums over the ledger), required-course completion from `study.queries`,
attendance from `orglife.queries`, contributions from `discussions.queries`, exam results from
`quizzes.queries`. One call computes the whole period (a branch) in a fixed number of queries,
whatever its size.
"""

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session, lazyload

from learnapp.accounts.models import User
from learnapp.assessments.models import (
    AssessmentPeriod,
    Dossier,
    PointItem,
    PointKind,
    PointState,
)
from learnapp.assessments.rules import ScoreRules, score
from learnapp.clock import org_timezone
from learnapp.completion.member_rows import iter_members
from learnapp.completion.queries import Filters, Frame
from learnapp.completion.status import Status
from learnapp.courses.queries import course_outline, visible_courses
from learnapp.db import pinyin_order, within_path
from learnapp.discussions.queries import approved_contributions
from learnapp.orglife.models import Attendance
from learnapp.orglife.queries import counted_attendance
from learnapp.orgs.models import MemberCategory, Unit
from learnapp.orgs.queries import party_members_in
from learnapp.quizzes.queries import exam_results, exams_awaiting_marking
from learnapp.study.queries import LessonStatus, progress_by_member

PARTY = (MemberCategory.FULL, MemberCategory.PROBATIONARY)
MAX_LISTED = 10


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The calendar year in the organisation's time zone, as UTC instants [start, end)."""
    tz = org_timezone()
    return (
        datetime(year, 1, 1, tzinfo=tz).astimezone(UTC),
        datetime(year + 1, 1, 1, tzinfo=tz).astimezone(UTC),
    )


def _share(done, of) -> float | None:
    return None if not of else round(min(float(done) / float(of), 1.0), 4)


SHARED_SCOPE_MEMBERS = 5_000


def _hours_scope(session: Session, period: AssessmentPeriod, cache: dict | None) -> Unit:
    """Where the 学时 table is read: the branch, or during one run (`cache`) its parent, once
    for all its branches, when the parent's subtree is small enough to hold in memory."""
    parent = period.unit.parent
    if cache is None or parent is None:
        return period.unit
    sizes = cache.setdefault("scope_sizes", {})
    if parent.id not in sizes:
        sizes[parent.id] = session.scalar(
            sa.select(sa.func.count())
            .select_from(User)
            .join(Unit, User.unit_id == Unit.id)
            .where(within_path(Unit.path, parent.path))
        )
    return parent if sizes[parent.id] <= SHARED_SCOPE_MEMBERS else period.unit


def _hours(
    session: Session, period: AssessmentPeriod, now: datetime, cache: dict | None = None
) -> dict[int, dict]:
    """学时 against the target per party member, from completion's table of the subtree."""
    scope = _hours_scope(session, period, cache)
    key = (scope.id, period.year)
    held = cache.get("hours") if cache is not None else None
    if held is not None and held[0] == key:
        return held[1]
    frame = Frame.of(session, period.year, now)
    result = {}
    for row in iter_members(session, scope, frame, Filters()):
        if row.category not in PARTY:
            continue
        exempt = row.status == Status.EXEMPT
        result[row.member_id] = {
            "counted": str(row.counted),
            "target": None if row.target is None else str(row.target),
            "by_category": {c.value: str(h) for c, h in row.by_category.items()},
            "status": row.status.value,
            "share": None if exempt else _share(row.counted, row.target),
        }
    if cache is not None:
        # One scope at a time: memory stays bounded by the largest shared scope.
        cache["hours"] = (key, result)
    return result


def _courses(
    session: Session, members: list[User], year_end: datetime, cache: dict
) -> dict[int, dict]:
    """Required (必修) courses visible to each member, and how many they completed by year end.
    Members of one unit and category see the same courses, so those are looked up once, and a
    course's outline once per `cache` (one job run)."""
    required_by_audience: dict[tuple, list] = {}
    outlines = cache.setdefault("outlines", {})
    for member in members:
        key = (member.unit_id, member.category)
        if key not in required_by_audience:
            required_by_audience[key] = [
                c for c in visible_courses(session, member) if c.is_required
            ]
            for course in required_by_audience[key]:
                if course.id not in outlines:
                    outlines[course.id] = [
                        lesson
                        for _, lessons in course_outline(session, course)
                        for lesson in lessons
                    ]
    lesson_ids = sorted(
        {
            lesson.id
            for courses in required_by_audience.values()
            for c in courses
            for lesson in outlines[c.id]
        }
    )
    progress = progress_by_member(session, [m.id for m in members], lesson_ids)
    result = {}
    for member in members:
        courses = required_by_audience[(member.unit_id, member.category)]
        own = progress.get(member.id, {})
        open_titles, completed = [], 0
        for course in courses:
            statuses = [LessonStatus(lesson, own.get(lesson.id)) for lesson in outlines[course.id]]
            done = bool(statuses) and all(
                s.is_complete and s.progress.completed_at < year_end for s in statuses
            )
            completed += done
            if not done:
                open_titles.append(course.title)
        result[member.id] = {
            "required": len(courses),
            "completed": completed,
            "open": open_titles[:MAX_LISTED],
            "share": _share(completed, len(courses)),
        }
    return result


def _attendance(session: Session, period: AssessmentPeriod) -> dict[int, dict]:
    """Meetings of the branch and its groups each member was expected at, was present at, or
    was excused from (请假), by the rosters the meetings recorded (orglife's
    counted_attendance: a later change of the committee rewrites no past meeting)."""
    counts: dict[int, dict] = defaultdict(lambda: {"expected": 0, "present": 0, "leave": 0})
    for row in counted_attendance(session, period.unit, period.year):
        tally = counts[row.member_id]
        tally["expected"] += 1
        if row.status == Attendance.PRESENT:
            tally["present"] += 1
        elif row.status == Attendance.LEAVE:
            tally["leave"] += 1
    for tally in counts.values():
        # Leave (请假) is excused: it neither counts for nor against the member.
        tally["share"] = _share(tally["present"], tally["expected"] - tally["leave"])
    return counts


def _exams(results, waiting: list[str], held: bool) -> dict:
    """Every exam of the year with its result. The share is the mean percentage over the exams
    the member sat, an exam waiting for its marker counting 0 until marked; a member who sat
    none scores 0 when the branch's members sat exams that year (skipping must not pay), and
    the item does not apply only when nobody in the branch sat one (none was held for them)."""
    ordered = sorted(results, key=lambda r: (r.finished_at, r.quiz_id))
    listed = [
        {"quiz_id": r.quiz_id, "title": r.title, "percent": str(r.percent), "passed": r.passed}
        for r in ordered
    ]
    sat = len(results) + len(waiting)
    if sat:
        share = round(float(sum(r.percent for r in results) / sat) / 100, 4)
    else:
        share = 0.0 if held else None
    return {
        "taken": len(results),
        "passed": sum(1 for r in results if r.passed),
        "results": listed[-MAX_LISTED:],
        # Every exam with a result, listed or not: whether the member may see it yet is asked
        # when their own dossier is shown (disclosure.own_view).
        "quiz_ids": [r.quiz_id for r in ordered],
        "waiting": waiting[:MAX_LISTED],
        "share": share,
    }


def _points(session: Session, period_id: int) -> dict[int, dict]:
    result: dict[int, dict] = defaultdict(lambda: {"bonus": [], "deduction": []})
    rows = session.execute(
        sa.select(PointItem.member_id, PointItem.kind, PointItem.points, PointItem.reason)
        .where(PointItem.period_id == period_id, PointItem.state == PointState.APPROVED)
        .order_by(PointItem.id)
    )
    for member_id, kind, points, reason in rows:
        key = "bonus" if kind == PointKind.BONUS else "deduction"
        result[member_id][key].append({"points": str(points), "reason": reason})
    return result


def live_members(session: Session, period: AssessmentPeriod) -> list[User]:
    """Active full and probationary members of the unit's subtree now, by name."""
    return list(session.scalars(party_members_in(period.unit)))


def period_members(session: Session, period: AssessmentPeriod) -> list[User]:
    """The party members assessed in the period, by name: until the dossiers are frozen, the
    live members of the branch; from then on, whoever has a dossier, so that later moves,
    departures and arrivals change nothing in the period's results."""
    if period.frozen_at is None:
        return live_members(session, period)
    return list(
        session.scalars(
            sa.select(User)
            .join(Dossier, Dossier.member_id == User.id)
            .where(Dossier.period_id == period.id)
            .order_by(pinyin_order(User.display_name), User.id)
        )
    )


def is_assessed(session: Session, period: AssessmentPeriod, user: User) -> bool:
    """Whether `user` is assessed in the period (see period_members): until the freeze, an
    active full or probationary member of the branch, as live_members has them."""
    if period.frozen_at is None:
        return (
            user.is_active
            and user.category.is_party_member
            and user.unit is not None
            and user.unit.path.startswith(period.unit.path)
        )
    return (
        session.scalar(
            sa.select(Dossier.id).where(
                Dossier.period_id == period.id, Dossier.member_id == user.id
            )
        )
        is not None
    )


def _members(session: Session, period: AssessmentPeriod, cache: dict | None) -> list[User]:
    """live_members, read once per shared scope during one run (their roles are not needed
    here, so they are not loaded)."""
    scope = _hours_scope(session, period, cache)
    if cache is None or scope.id == period.unit.id:
        return live_members(session, period)
    key = scope.id
    held = cache.get("members")
    if held is None or held[0] != key:
        held = (key, list(session.scalars(party_members_in(scope).options(lazyload(User.roles)))))
        cache["members"] = held
    return [m for m in held[1] if m.unit.path.startswith(period.unit.path)]


def compute(
    session: Session,
    period: AssessmentPeriod,
    rules: ScoreRules,
    now: datetime,
    only: int | None = None,
    cache: dict | None = None,
) -> dict[int, dict]:
    """Evidence and suggested score for every member of the period (or only the member with id
    `only`), by member id. `cache` keeps what does not change between periods during one run."""
    members = _members(session, period, cache)
    branch_ids = [m.id for m in members]
    if only is not None:
        members = [m for m in members if m.id == only]
    if not members:
        return {}
    start, end = year_bounds(period.year)
    hours = _hours(session, period, now, cache)
    courses = _courses(session, members, end, {} if cache is None else cache)
    attendance = _attendance(session, period)
    member_ids = [m.id for m in members]
    contributions = approved_contributions(session, member_ids, start, end)
    exams = exam_results(session, member_ids, start, end)
    waiting = exams_awaiting_marking(session, member_ids, start, end)
    # Exams were held in the branch that year when any of its members sat one.
    held = any(exams.values()) or any(waiting.values())
    if not held and only is not None:
        held = any(exam_results(session, branch_ids, start, end).values()) or bool(
            exams_awaiting_marking(session, branch_ids, start, end)
        )
    points = _points(session, period.id)
    result = {}
    for member in members:
        count = contributions.get(member.id, 0)
        attended = attendance.get(
            member.id, {"expected": 0, "present": 0, "leave": 0, "share": None}
        )
        items = points.get(member.id, {"bonus": [], "deduction": []})
        evidence = {
            "year": period.year,
            # Where the member stood at the freeze, for the results table of a closed period.
            "unit": member.unit.name,
            "category": member.category.value,
            "hours": hours.get(member.id)
            or {"counted": "0.00", "target": None, "by_category": {}, "status": "", "share": None},
            "courses": courses[member.id],
            "attendance": dict(attended),
            "contributions": {
                "count": count,
                "target": rules.contributions_target,
                "share": _share(count, rules.contributions_target),
            },
            "exams": _exams(exams.get(member.id, []), waiting.get(member.id, []), held),
            "points": items,
        }
        shares = {
            name: evidence[name]["share"]
            for name in ("hours", "courses", "exams", "attendance", "contributions")
        }
        result_score = score(
            rules,
            shares,
            [Decimal(i["points"]) for i in items["bonus"]],
            [Decimal(i["points"]) for i in items["deduction"]],
        )
        evidence["score"] = {
            "base": str(result_score.base),
            "bonus": str(result_score.bonus),
            "deduction": str(result_score.deduction),
            "total": str(result_score.total),
            "parts": {k: None if v is None else str(v) for k, v in result_score.parts.items()},
        }
        result[member.id] = evidence
    return result
