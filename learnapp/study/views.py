"""The member's study pages and the heartbeat endpoints of the lesson page."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from learnapp.authz import LOGGED_IN, route_policy, strict_int_arg
from learnapp.clock import now
from learnapp.courses.queries import (
    lesson_body_html,
    lesson_sources,
    media_url,
    visible_lesson,
)
from learnapp.db import commit, get_session, tolerates_power_loss
from learnapp.errors import DomainError, apply_domain_error
from learnapp.extensions import rate_limit_free
from learnapp.hours.corrections import check_removable, removable_ids, remove_self_study
from learnapp.hours.labels import hours_category_label, hours_source_label
from learnapp.hours.models import HoursCategory, SourceType
from learnapp.hours.queries import (
    entries_for,
    entry_count,
    entry_for_source,
    first_year_of,
    own_entry,
    rules_for,
    year_summary,
    year_totals,
)
from learnapp.hours.rules import Rules
from learnapp.hours.services import org_day, record_self_study
from learnapp.orglife.claim_queries import pending_claims_of
from learnapp.quizzes.queries import course_final_tests
from learnapp.study.forms import RemoveEntryForm, SelfStudyForm, parse_beat
from learnapp.study.queries import (
    LessonStatus,
    continue_learning,
    course_progress,
    courses_completion,
    courses_progress,
    ledger_notes,
    progress_by_lesson,
    visible_course,
)
from learnapp.study.services import (
    NO_FILE_MESSAGE,
    BeatStatus,
    record_heartbeat,
    required_seconds,
    start_session,
)
from learnapp.web import session_member_view

bp = Blueprint("study", __name__, url_prefix="/study")
ENTRIES_PER_PAGE = 50


def _lesson(lesson_id: int):
    lesson = visible_lesson(get_session(), current_user, lesson_id)
    if lesson is None:
        abort(404)
    return lesson


def _progress_json(lesson, progress) -> dict:
    status = LessonStatus(lesson, progress)
    return {
        "verified_seconds": status.verified_seconds,
        "counted_seconds": status.counted_seconds,
        "required_seconds": status.required_seconds,
        "reached_end": bool(progress and progress.reached_end),
        "completed": status.is_complete,
    }


@bp.get("/")
@route_policy(LOGGED_IN)
def courses():
    session = get_session()
    courses = courses_progress(session, current_user)
    return render_template(
        "study/courses.html",
        courses=courses,
        resume=continue_learning(session, current_user, courses),
    )


@bp.get("/courses/<int:course_id>")
@route_policy(LOGGED_IN)
def course(course_id):
    session = get_session()
    found = visible_course(session, current_user, course_id)
    if found is None:
        abort(404)
    return render_template(
        "study/course.html",
        progress=course_progress(session, current_user, found),
        # The course's final test (结业测试) and the 学时 its pass adds, once per course.
        final_tests=course_final_tests(session, current_user, found.id),
        test_bonus=rules_for(session, org_day(now())).final_test_bonus_hours,
        test_entry=entry_for_source(
            session, current_user.id, SourceType.COURSE_TEST, found.id, HoursCategory.ONLINE
        ),
    )


@bp.get("/lessons/<int:lesson_id>")
@route_policy(LOGGED_IN)
def lesson(lesson_id):
    session = get_session()
    lesson = _lesson(lesson_id)
    course_state = course_progress(session, current_user, lesson.module.course)
    statuses = course_state.statuses
    index = next(i for i, status in enumerate(statuses) if status.lesson.id == lesson.id)
    return render_template(
        "study/lesson.html",
        lesson=lesson,
        course_state=course_state,
        status=statuses[index],
        previous=statuses[index - 1].lesson if index > 0 else None,
        following=statuses[index + 1].lesson if index + 1 < len(statuses) else None,
        body_html=lesson_body_html(session, lesson),
        sources=lesson_sources(session, lesson),
        media=media_url(lesson),
        heartbeat_seconds=current_app.config["STUDY_HEARTBEAT_SECONDS"],
    )


@bp.get("/lessons/<int:lesson_id>/progress")
@route_policy(LOGGED_IN)
def lesson_progress(lesson_id):
    lesson = _lesson(lesson_id)
    progress = progress_by_lesson(get_session(), current_user.id, [lesson.id]).get(lesson.id)
    return _progress_json(lesson, progress)


@bp.post("/lessons/<int:lesson_id>/sessions")
@route_policy(LOGGED_IN)
def session_start(lesson_id):
    lesson = _lesson(lesson_id)
    try:
        study_session = start_session(get_session(), current_user, lesson, now())
    except DomainError as error:
        return {"error": str(error.message)}, 409
    commit()
    return {
        "session": study_session.id,
        "beat_url": url_for("study.beat", session_id=study_session.id),
        "heartbeat_seconds": current_app.config["STUDY_HEARTBEAT_SECONDS"],
    }, 201


@bp.post("/sessions/<session_id>/beats")
@rate_limit_free
@tolerates_power_loss
@session_member_view
@route_policy(LOGGED_IN)
def beat(session_id):
    beat_input = parse_beat(request.get_json(silent=True))
    if beat_input is None:
        return {"error": _("The heartbeat could not be understood.")}, 400
    # The session, its owner and its lesson's visibility are checked by the service, under the
    # member's lock: another member's session or an unpublished lesson answers 404.
    outcome = record_heartbeat(
        get_session(),
        current_user,
        session_id[:32],
        seq=beat_input.seq,
        reached_end=beat_input.reached_end,
        segment=beat_input.segment,
        paused=beat_input.paused,
        now=now(),
    )
    if outcome.status == BeatStatus.NOT_FOUND:
        abort(404)
    if outcome.status == BeatStatus.CLOSED:
        return {"status": outcome.status}, 410
    if outcome.status == BeatStatus.REPLAYED:
        return {"status": outcome.status}, 409
    if outcome.status == BeatStatus.NO_FILE:
        return {"status": outcome.status, "error": str(NO_FILE_MESSAGE)}, 409
    commit()
    return {
        "status": outcome.status,
        "credited_seconds": outcome.credited_seconds,
        "credited_elsewhere_seconds": outcome.credited_elsewhere_seconds,
        "completed_now": outcome.completed_now,
        **_progress_json(outcome.lesson, outcome.progress),
    }


def _my_study(form: SelfStudyForm):
    session = get_session()
    today = org_day(now())
    year = strict_int_arg("year") or today.year
    if not 2000 <= year <= today.year:
        abort(404)
    page = max(strict_int_arg("page") or 1, 1)
    summary = year_summary(session, current_user, year, today)
    entries = entries_for(
        session,
        current_user.id,
        year,
        limit=ENTRIES_PER_PAGE,
        offset=(page - 1) * ENTRIES_PER_PAGE,
    )
    total = entry_count(session, current_user.id, year)
    return render_template(
        "study/me.html",
        # Claims of study done elsewhere (外部学习申报) count only once approved: until then the
        # member sees those of the year here, beside the ledger they will join.
        pending_claims=pending_claims_of(session, current_user.id, year),
        # Hours count in the year they were earned: a past year is over, and only the current
        # year takes self-study and claims.
        is_past=year < today.year,
        summary=summary,
        entries=entries,
        # Why each entry stands as it does, and which entries the member may still remove.
        ledger=ledger_notes(session, entries),
        removable=removable_ids(session, current_user, entries, now()),
        page=page,
        pages=max((total + ENTRIES_PER_PAGE - 1) // ENTRIES_PER_PAGE, 1),
        total=total,
        courses=courses_completion(session, current_user),
        resume=continue_learning(session, current_user),
        form=form,
        today=today,
        year=year,
        # The year arrows step through the member's years: from their first to this one.
        first_year=first_year_of(session, current_user),
        categories=list(HoursCategory),
        # The daily cap an entry was limited by, and whether it counts toward the target, are
        # those of its own rule set.
        entry_rules={
            rule_set.id: Rules.from_json(rule_set.rules)
            for rule_set in {entry.rule_set for entry in entries}
        },
        # Translated once per page, not once per entry.
        category_labels={c: hours_category_label(c) for c in HoursCategory},
        source_labels={t: hours_source_label(t) for t in SourceType},
        required_seconds=required_seconds,
    )


@bp.get("/me")
@route_policy(LOGGED_IN)
def me():
    form = SelfStudyForm()
    form.day.data = org_day(now())
    return _my_study(form)


@bp.post("/me/self-study")
@route_policy(LOGGED_IN)
def self_study():
    form = SelfStudyForm()
    if form.validate_on_submit():
        try:
            record_self_study(
                get_session(),
                current_user,
                day=form.day.data,
                hours=form.hours.data,
                note=form.note.data,
                now=now(),
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Self-study recorded."), "success")
            return redirect(url_for("study.me"))
    return _my_study(form), 400


def _own_entry(entry_id: int):
    entry = own_entry(get_session(), current_user.id, entry_id)
    if entry is None:
        abort(404)
    return entry


@bp.route("/me/entries/<int:entry_id>/remove", methods=["GET", "POST"])
@route_policy(LOGGED_IN)
def remove_entry(entry_id):
    """Confirm, then remove a self-study entry the member recorded by mistake (a reversing
    entry). Anyone else's entry is 404; one that cannot be removed says why on My study."""
    session = get_session()
    entry = _own_entry(entry_id)
    try:
        check_removable(session, current_user, entry, now())
    except DomainError as error:
        flash(error.message, "danger")
        return redirect(url_for("study.me", year=entry.year))
    form = RemoveEntryForm()
    if form.validate_on_submit():
        try:
            remove_self_study(session, current_user, entry, form.reason.data, now())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(
                _(
                    "Self-study entry removed: %(hours)s study hours taken off %(year)s.",
                    hours=entry.hours,
                    year=entry.year,
                ),
                "success",
            )
            return redirect(url_for("study.me", year=entry.year))
    total = year_totals(session, current_user.id, entry.year)[HoursCategory.SELF_STUDY]
    return render_template(
        "study/remove_entry.html", entry=entry, form=form, before=total, after=total - entry.hours
    ), 400 if form.errors else 200
