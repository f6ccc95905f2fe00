"""Verified study time through the heartbeat endpoints (security.md E14, §6.6 #74)."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from learnapp.accounts.models import AuthSession
from learnapp.courses.models import CourseState, LessonKind
from learnapp.hours.models import HoursCategory, LedgerEntry
from learnapp.orgs.models import MemberCategory
from learnapp.study.models import Heartbeat, LessonProgress
from learnapp.study.services import close_silent_sessions
from tests.study.factories import make_course, make_lesson
from tests.study.helpers import Studier
from tests.world import build_world


def _setup(session, **lesson_fields):
    world = build_world(session)
    course = make_course(session, owner_unit=world.root)
    lesson = make_lesson(session, course=course, **lesson_fields)
    session.commit()
    return world, course, lesson


def _ledger(session, member):
    session.rollback()  # end the test's read snapshot: the requests committed since
    return list(session.scalars(sa.select(LedgerEntry).where(LedgerEntry.member_id == member.id)))


def test_credit_comes_from_the_server_clock_and_ignores_client_durations(client, session, clock):
    _, _, lesson = _setup(session, length_seconds=600)
    studier = Studier.login(client, "mema")
    sid = studier.start(lesson.id)
    clock.advance(seconds=20)
    forged = studier.beat(
        sid,
        1,
        duration=3600,
        credited_seconds=3600,
        verified_seconds=3600,
        timestamp="2099-01-01T00:00:00Z",
        elapsed=3600,
    )
    assert forged.status_code == 200
    assert forged.get_json()["credited_seconds"] == 20
    assert studier.progress(lesson.id)["verified_seconds"] == 20


def test_each_interval_is_capped_and_a_long_silence_earns_nothing(client, session, clock):
    _, _, lesson = _setup(session, length_seconds=3600)
    studier = Studier.login(client, "mema")
    sid = studier.start(lesson.id)
    earned = []
    for seq, gap in enumerate((20, 40, 41, 600, 20), start=1):
        clock.advance(seconds=gap)
        earned.append(studier.beat(sid, seq).get_json()["credited_seconds"])
    assert earned == [20, 40, 0, 0, 20]
    assert studier.progress(lesson.id)["verified_seconds"] == 80


def test_a_flood_of_heartbeats_earns_no_more_than_the_time_that_passed(client, session, clock):
    _, _, lesson = _setup(session, length_seconds=3600)
    studier = Studier.login(client, "mema")
    sid = studier.start(lesson.id)
    for seq in range(1, 31):
        clock.advance(milliseconds=500)
        assert studier.beat(sid, seq).status_code == 200
    assert studier.progress(lesson.id)["verified_seconds"] <= 15


def test_replayed_and_stale_sequence_numbers_are_refused(client, session, clock):
    _, _, lesson = _setup(session, length_seconds=3600)
    studier = Studier.login(client, "mema")
    sid = studier.start(lesson.id)
    clock.advance(seconds=20)
    assert studier.beat(sid, 5).status_code == 200
    clock.advance(seconds=20)
    assert studier.beat(sid, 5).status_code == 409
    assert studier.beat(sid, 3).status_code == 409
    assert studier.beat(sid, 0).status_code == 400
    assert studier.beat(sid, "6").status_code == 400
    assert studier.post(f"/study/sessions/{sid}/beats", ["seq", 7]).status_code == 400
    assert studier.progress(lesson.id)["verified_seconds"] == 20
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(Heartbeat)) == 1


def test_a_heartbeat_says_whether_the_page_is_counting_or_paused(client, session, clock):
    _, _, lesson = _setup(session, length_seconds=3600)
    studier = Studier.login(client, "mema")
    sid = studier.start(lesson.id)
    clock.advance(seconds=20)
    assert studier.beat(sid, 1, state="paused").get_json()["credited_seconds"] == 20
    for bad in ("hidden", True, None, ["paused"]):
        assert studier.beat(sid, 2, state=bad).status_code == 400
    clock.advance(seconds=20)
    assert studier.beat(sid, 2, state="active").get_json()["credited_seconds"] == 0
    clock.advance(seconds=20)
    assert studier.beat(sid, 3).get_json()["credited_seconds"] == 20  # no state: counting
    session.rollback()
    stored = session.execute(sa.select(Heartbeat.seq, Heartbeat.is_paused).order_by(Heartbeat.seq))
    assert stored.all() == [(1, True), (2, False), (3, False)]


def test_heartbeats_need_the_csrf_header(client, session, clock):
    _, _, lesson = _setup(session)
    studier = Studier.login(client, "mema")
    sid = studier.start(lesson.id)
    clock.advance(seconds=20)
    response = client.post(f"/study/sessions/{sid}/beats", json={"seq": 1})
    assert response.status_code == 400
    assert studier.progress(lesson.id)["verified_seconds"] == 0


def test_another_members_session_is_not_found(app, client, session, clock):
    _, _, lesson = _setup(session)
    owner = Studier.login(client, "mema")
    sid = owner.start(lesson.id)
    other = Studier.login(app.test_client(), "memb")
    clock.advance(seconds=20)
    assert other.beat(sid, 1).status_code == 404
    assert other.beat("no-such-session", 1).status_code == 404
    assert owner.progress(lesson.id)["verified_seconds"] == 0


def test_an_unpublished_lesson_earns_nothing(client, session, clock):
    _, course, lesson = _setup(session)
    studier = Studier.login(client, "mema")
    sid = studier.start(lesson.id)
    course.state = CourseState.DRAFT
    session.commit()
    clock.advance(seconds=20)
    assert studier.beat(sid, 1).status_code == 404
    assert studier.post(f"/study/lessons/{lesson.id}/sessions").status_code == 404
    assert client.get(f"/study/lessons/{lesson.id}").status_code == 404


def test_a_lesson_outside_the_members_audience_is_not_found(client, session, clock):
    world = build_world(session)
    course = make_course(session, owner_unit=world.root, audience_units=[world.branch_b])
    lesson = make_lesson(session, course=course)
    session.commit()
    studier = Studier.login(client, "mema")
    assert studier.post(f"/study/lessons/{lesson.id}/sessions").status_code == 404
    assert client.get(f"/study/lessons/{lesson.id}").status_code == 404
    assert client.get(f"/study/lessons/{lesson.id}/progress").status_code == 404
    assert client.get(f"/study/courses/{course.id}").status_code == 404


def test_a_member_who_leaves_the_audience_mid_session_earns_nothing(client, session, clock):
    world = build_world(session)
    course = make_course(session, owner_unit=world.root, audience_units=[world.branch_a])
    lesson = make_lesson(session, course=course, length_seconds=3600)
    session.commit()
    studier = Studier.login(client, "mema")  # in a group of branch A, a probationary member
    sid = studier.start(lesson.id)
    clock.advance(seconds=20)
    assert studier.beat(sid, 1).get_json()["credited_seconds"] == 20
    world.member_a.unit_id = world.branch_b.id
    session.commit()
    clock.advance(seconds=20)
    assert studier.beat(sid, 2).status_code == 404
    world.member_a.unit_id = world.group_a.id
    course.set_audience_categories([MemberCategory.FULL])
    session.commit()
    clock.advance(seconds=20)
    assert studier.beat(sid, 3).status_code == 404
    world.member_a.category = MemberCategory.FULL
    session.commit()
    clock.advance(seconds=20)
    # Back in the audience: the time while out of it is not credited (60 s since the last
    # accepted heartbeat, over the cap), the next interval is.
    assert studier.beat(sid, 4).get_json()["credited_seconds"] == 0
    clock.advance(seconds=20)
    assert studier.beat(sid, 5).get_json()["credited_seconds"] == 20
    assert studier.progress(lesson.id)["verified_seconds"] == 40


def test_a_heartbeat_of_an_ended_login_earns_nothing(client, session, clock):
    _, _, lesson = _setup(session, length_seconds=3600)
    studier = Studier.login(client, "mema")
    sid = studier.start(lesson.id)
    session.execute(sa.update(AuthSession).values(revoked_at=clock()))
    session.commit()
    clock.advance(seconds=20)
    assert studier.beat(sid, 1).status_code == 302  # to the login page
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(Heartbeat)) == 0
    assert session.scalar(sa.select(LessonProgress.verified_seconds)) == 0


def test_two_tabs_studying_at_once_count_once(client, session, clock):
    _, _, lesson = _setup(session, length_seconds=3600)
    other_lesson = make_lesson(session, course=lesson.module.course, length_seconds=3600)
    session.commit()
    studier = Studier.login(client, "mema")
    first, second = studier.start(lesson.id), studier.start(lesson.id)
    elsewhere = studier.start(other_lesson.id)
    credited = []
    for seq in range(1, 4):
        clock.advance(seconds=20)
        for sid in (first, second, elsewhere):
            credited.append(studier.beat(sid, seq).get_json()["credited_seconds"])
    assert sum(credited) == 60
    total = (
        studier.progress(lesson.id)["verified_seconds"]
        + studier.progress(other_lesson.id)["verified_seconds"]
    )
    assert total == 60


def test_seeking_ahead_in_a_video_earns_nothing(client, session, clock):
    _, _, lesson = _setup(session, kind=LessonKind.VIDEO, length_seconds=100)
    studier = Studier.login(client, "mema")
    sid = studier.start(lesson.id)

    def watch(seq, segment):
        clock.advance(seconds=20)
        return studier.beat(sid, seq, segment=segment).get_json()

    assert watch(1, [0, 20])["credited_seconds"] == 20
    assert watch(2, [20, 100])["credited_seconds"] == 0  # 80 s of video in 20 s
    assert watch(3, [0, 20])["credited_seconds"] == 0  # watched already
    jumped = watch(4, [80, 100])  # skipped 20..80, then watched the end
    assert jumped["credited_seconds"] == 20
    assert jumped["verified_seconds"] == 40 and not jumped["completed"]
    assert watch(5, [20, 40])["credited_seconds"] == 20
    assert watch(6, [40, 60])["credited_seconds"] == 20
    done = watch(7, [60, 80])
    assert done["verified_seconds"] == 100 and done["completed"]


def test_video_time_without_a_watched_segment_earns_nothing(client, session, clock):
    _, _, lesson = _setup(session, kind=LessonKind.VIDEO, length_seconds=100)
    studier = Studier.login(client, "mema")
    sid = studier.start(lesson.id)
    clock.advance(seconds=20)
    assert studier.beat(sid, 1, reached_end=True).get_json()["credited_seconds"] == 0
    clock.advance(seconds=20)
    assert studier.beat(sid, 2, segment=[-5, 10]).status_code == 400
    assert studier.beat(sid, 3, segment=[0, 1e300]).status_code == 400
    assert studier.progress(lesson.id) == {
        "verified_seconds": 0,
        "counted_seconds": 0,
        "required_seconds": 80,
        "reached_end": False,
        "completed": False,
    }


def test_completion_needs_the_end_and_credits_the_nominal_hours_once(client, session, clock):
    world, _, lesson = _setup(session, length_seconds=100, nominal_hours="0.5")
    studier = Studier.login(client, "mema")
    sid = studier.start(lesson.id)
    for seq in range(1, 11):  # 200 s, twice the required time, without reaching the end
        clock.advance(seconds=20)
        result = studier.beat(sid, seq).get_json()
    assert result["verified_seconds"] == 200 and not result["completed"]
    assert _ledger(session, world.member_a) == []
    clock.advance(seconds=20)
    finished = studier.beat(sid, 11, reached_end=True).get_json()
    assert finished["completed"] and finished["completed_now"]
    for seq in range(12, 15):
        clock.advance(seconds=20)
        assert not studier.beat(sid, seq, reached_end=True).get_json()["completed_now"]
    second_tab = studier.start(lesson.id)
    clock.advance(seconds=20)
    studier.beat(second_tab, 1, reached_end=True)
    (entry,) = _ledger(session, world.member_a)
    assert entry.category == HoursCategory.ONLINE
    assert entry.hours == Decimal("0.50")  # never more than nominal, however long the study
    assert entry.source_id == str(lesson.id)
    assert entry.verified_seconds == 220


def test_the_daily_cap_holds_across_completed_lessons(client, session, clock):
    world = build_world(session)
    course = make_course(session, owner_unit=world.root)
    lessons = [
        make_lesson(
            session, course=course, length_seconds=20, nominal_hours="1", required_share="1"
        )
        for _ in range(5)
    ]
    session.commit()
    studier = Studier.login(client, "mema")
    for lesson in lessons:
        sid = studier.start(lesson.id)
        clock.advance(seconds=20)
        assert studier.beat(sid, 1, reached_end=True).get_json()["completed"]
    hours = sorted(entry.hours for entry in _ledger(session, world.member_a))
    assert hours == [Decimal("0.00"), *[Decimal("1.00")] * 4]


def test_silent_sessions_are_closed_and_then_earn_nothing(app, client, session, clock):
    _, _, lesson = _setup(session, length_seconds=3600)
    studier = Studier.login(client, "mema")
    sid = studier.start(lesson.id)
    clock.advance(minutes=11)
    with app.app_context():
        closed = close_silent_sessions(session, clock())
    session.commit()
    assert closed == 1
    assert studier.beat(sid, 1).status_code == 410
    fresh = studier.start(lesson.id)
    clock.advance(seconds=20)
    assert studier.beat(fresh, 1).get_json()["credited_seconds"] == 20


def test_heartbeats_pass_every_rate_limit_that_other_routes_meet(app, session, clock, monkeypatch):
    """The heartbeat is exempt from the limiter (extensions.rate_limit_free) while a default
    limit (per route) configured for the other routes still applies to them."""
    from learnapp import create_app
    from learnapp.extensions import limiter
    from tests.conftest import TEST_SETTINGS

    # The limiter is one object for every app: the default limit configured here must not
    # outlive this test (Flask-Limiter keeps defaults from an earlier init_app).
    monkeypatch.setattr(limiter.limit_manager, "_default_limits", [])
    _, _, lesson = _setup(session, length_seconds=3600)
    limited = create_app(
        {
            **TEST_SETTINGS,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_DEFAULT": "3 per minute",
            "DATA_DIR": app.config["DATA_DIR"],
            "DATABASE_URL": app.config["DATABASE_URL"],
            "CLOCK": clock,
        }
    )
    client = limited.test_client()
    studier = Studier.login(client, "mema")
    sid = studier.start(lesson.id)
    statuses = []
    for seq in range(1, 11):
        clock.advance(seconds=20)
        statuses.append(studier.beat(sid, seq).status_code)
    pages = [client.get("/study/").status_code for _ in range(4)]
    limited.extensions["learnapp.db"].engine.dispose()
    assert statuses == [200] * 10
    assert pages == [200, 200, 200, 429]
    session.rollback()
    assert session.scalar(sa.select(LessonProgress.verified_seconds)) == 200


@pytest.mark.parametrize(
    ("audience", "found"),
    [("root", True), ("general", True), ("branch_a", True), ("group_a", True), ("branch_b", False)],
)
def test_a_heartbeat_matches_an_audience_of_the_members_unit_or_any_ancestor(
    client, session, clock, audience, found
):
    """member_a is in group_a, under branch_a, general and root: all four ids are in the
    audience condition's IN list, a sibling branch is not."""
    world, course, lesson = _setup(session, length_seconds=3600)
    studier = Studier.login(client, "mema")
    sid = studier.start(lesson.id)
    course.audience_units = [getattr(world, audience)]
    session.commit()
    clock.advance(seconds=20)
    response = studier.beat(sid, 1)
    assert response.status_code == (200 if found else 404)
    session.rollback()
    assert session.scalar(sa.select(LessonProgress.verified_seconds)) == (20 if found else 0)


def test_the_heartbeat_read_binds_the_members_unit_ids_without_an_expanding_list():
    from learnapp.study.beat_sql import beat_state_query

    sql = str(beat_state_query("/1/4/9/", MemberCategory.FULL).compile())
    assert "POSTCOMPILE" not in sql
    assert "course_audience_units.unit_id IN (:param_1, :param_2, :param_3)" in sql
    assert beat_state_query("/1/4/9/", MemberCategory.FULL).compile().params["param_3"] == 9
