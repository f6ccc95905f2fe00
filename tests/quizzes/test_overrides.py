"""Members' own terms for a quiz (security.md E3): the service, the deadline it feeds, the
release of results, and the pages for every kind of user."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from learnapp.audit.models import AuditEntry
from learnapp.errors import DomainError
from learnapp.quizzes import attempts as svc
from learnapp.quizzes.authoring import QuizSettings, update_quiz
from learnapp.quizzes.models import (
    AttemptState,
    Composition,
    QuizKind,
    QuizOverride,
    ReleasePolicy,
)
from learnapp.quizzes.overrides import (
    OverrideInput,
    find_member,
    remove_override,
    save_override,
    suggestions,
)
from learnapp.quizzes.release import score_shown, withholding
from learnapp.web import LANG_COOKIE
from tests.conftest import reload
from tests.factories import FIXED_NOW, make_user
from tests.quizzes.helpers import make_paper, make_quiz

CLOSE = FIXED_NOW + timedelta(days=7)  # make_quiz's close
REASON = "出差在外，无法按时参加"


def _grant(session, world, quiz, member=None, **terms):
    terms.setdefault("reason", REASON)
    return save_override(
        session, world.admin, quiz, member or world.member_a, OverrideInput(**terms), FIXED_NOW
    )


def _override_count(session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(QuizOverride))


@pytest.mark.usefixtures("ctx")
class TestService:
    def test_a_later_close_lets_the_member_start_after_the_quiz_closed(self, session, world, exam):
        _grant(session, world, exam, closes_at=CLOSE + timedelta(days=3))
        after_close = CLOSE + timedelta(hours=1)
        with pytest.raises(DomainError, match="closed"):
            svc.start_attempt(session, world.member_b, exam, after_close)
        attempt = svc.start_attempt(session, world.member_a, exam, after_close)
        # min(start + the quiz's 30 minutes, the member's close)
        assert attempt.deadline_at == after_close + timedelta(minutes=30)

    def test_the_members_own_close_caps_the_deadline(self, session, world, exam):
        _grant(session, world, exam, closes_at=CLOSE + timedelta(days=3))
        start = CLOSE + timedelta(days=3) - timedelta(minutes=10)
        attempt = svc.start_attempt(session, world.member_a, exam, start)
        assert attempt.deadline_at == CLOSE + timedelta(days=3)

    def test_a_longer_time_limit_sets_the_deadline(self, session, world, exam):
        _grant(session, world, exam, duration_seconds=3600)
        mine = svc.start_attempt(session, world.member_a, exam, FIXED_NOW)
        theirs = svc.start_attempt(session, world.member_b, exam, FIXED_NOW)
        assert mine.deadline_at == FIXED_NOW + timedelta(hours=1)
        assert theirs.deadline_at == FIXED_NOW + timedelta(minutes=30)

    def test_more_attempts_allow_another_start(self, session, world, exam):
        for _ in range(2):  # make_quiz allows two
            attempt = svc.start_attempt(session, world.member_a, exam, FIXED_NOW)
            svc.finalize(session, attempt.id, FIXED_NOW, svc.FinishedBy.MEMBER)
        with pytest.raises(DomainError, match="every attempt"):
            svc.start_attempt(session, world.member_a, exam, FIXED_NOW)
        _grant(session, world, exam, attempts_allowed=3)
        third = svc.start_attempt(session, world.member_a, exam, FIXED_NOW)
        assert third.number == 3
        svc.finalize(session, third.id, FIXED_NOW, svc.FinishedBy.MEMBER)
        terms = svc.member_terms(session, exam, world.member_a.id)
        assert svc.limit_reached(exam, 3, terms)
        _grant(session, world, exam, attempts_allowed=4)
        assert svc.start_attempt(session, world.member_a, exam, FIXED_NOW).number == 4

    def test_changing_or_withdrawing_terms_moves_an_attempt_in_progress(self, session, world, exam):
        attempt = svc.start_attempt(session, world.member_a, exam, FIXED_NOW)
        assert attempt.deadline_at == FIXED_NOW + timedelta(minutes=30)
        override = _grant(session, world, exam, duration_seconds=5400)
        assert attempt.deadline_at == FIXED_NOW + timedelta(minutes=90)
        assert remove_override(session, world.admin, exam, override.id, FIXED_NOW)
        assert attempt.deadline_at == FIXED_NOW + timedelta(minutes=30)
        assert attempt.state == AttemptState.IN_PROGRESS

    def test_a_later_close_of_the_quiz_itself_moves_attempts_in_progress(
        self, session, world, exam
    ):
        exam.closes_at = FIXED_NOW + timedelta(minutes=20)
        session.flush()
        mine = svc.start_attempt(session, world.member_a, exam, FIXED_NOW)
        theirs = svc.start_attempt(session, world.member_b, exam, FIXED_NOW)
        assert mine.deadline_at == theirs.deadline_at == FIXED_NOW + timedelta(minutes=20)
        _grant(session, world, exam, duration_seconds=3600)
        # An outage: the organisers move the close by two hours for everyone.
        settings = QuizSettings(
            title=exam.title,
            kind=exam.kind,
            owner_unit=exam.owner_unit,
            composition=exam.composition,
            opens_at=exam.opens_at,
            closes_at=FIXED_NOW + timedelta(hours=2),
            duration_seconds=exam.duration_seconds,
            attempts_allowed=exam.attempts_allowed,
        )
        update_quiz(session, world.admin, exam, settings, FIXED_NOW)
        assert theirs.deadline_at == FIXED_NOW + timedelta(minutes=30)  # the quiz's limit
        assert mine.deadline_at == FIXED_NOW + timedelta(hours=1)  # the member's own limit

    def test_setting_terms_again_replaces_them_and_both_are_audited(self, session, world, exam):
        _grant(session, world, exam, duration_seconds=3600)
        _grant(session, world, exam, attempts_allowed=5, reason="网络故障，补考一次")
        override = session.scalars(sa.select(QuizOverride)).one()
        assert (override.duration_seconds, override.attempts_allowed) == (None, 5)
        assert override.reason == "网络故障，补考一次"
        assert override.granted_by_id == world.admin.id
        entries = session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.action == "quiz.override_saved")
            .order_by(AuditEntry.id)
        ).all()
        assert entries[0].before is None
        assert entries[1].before["duration_seconds"] == 3600
        assert entries[1].after["attempts_allowed"] == 5
        remove_override(session, world.admin, exam, override.id, FIXED_NOW)
        assert session.scalar(
            sa.select(AuditEntry.before).where(AuditEntry.action == "quiz.override_removed")
        )["member_id"] == (world.member_a.id)

    @pytest.mark.parametrize(
        ("terms", "message"),
        [
            ({}, "Set a closing time"),
            ({"closes_at": FIXED_NOW - timedelta(minutes=1)}, "already passed"),
            ({"duration_seconds": 0}, "24 hours"),
            ({"duration_seconds": 25 * 3600}, "24 hours"),
            ({"attempts_allowed": -1}, "0 to 100"),
            ({"attempts_allowed": 101}, "0 to 100"),
            ({"attempts_allowed": 3, "reason": "  "}, "reason"),
            ({"attempts_allowed": 3, "reason": "长" * 501}, "reason"),
        ],
    )
    def test_bad_terms_are_refused_and_nothing_is_stored(
        self, session, world, exam, terms, message
    ):
        terms.setdefault("reason", REASON)
        with pytest.raises(DomainError, match=message):
            save_override(
                session, world.admin, exam, world.member_a, OverrideInput(**terms), FIXED_NOW
            )
        assert _override_count(session) == 0

    def test_daily_practice_takes_no_terms(self, app, session, world):
        daily = make_quiz(
            session,
            world.root,
            make_paper(session, types=("single",)),
            publish=False,
            kind=QuizKind.DAILY,
            composition=Composition.RANDOM,
        )
        with pytest.raises(DomainError, match="Daily practice"):
            _grant(session, world, daily, attempts_allowed=3)
        assert _override_count(session) == 0

    def test_only_members_of_the_audience_in_the_actors_subtree_are_found(
        self, session, world, exam
    ):
        assert find_member(session, world.secretary_a, exam, " mema ").id == world.member_a.id
        for username in ("memb", "nobody"):  # another branch, or no such user: the same answer
            with pytest.raises(
                DomainError, match="No member with that name or user name"
            ) as refused:
                find_member(session, world.secretary_a, exam, username)
            assert refused.value.field == "username"
        branch_b_only = make_quiz(
            session, world.branch_b, make_paper(session, types=("single",)), title="乙支部测试"
        )
        with pytest.raises(DomainError, match="not in this quiz's audience"):
            find_member(session, world.admin, branch_b_only, "mema")

    def test_results_after_close_wait_for_the_last_members_close(self, app, session, world):
        with app.test_request_context():
            quiz = make_quiz(
                session,
                world.root,
                make_paper(session, types=("single",)),
                release=ReleasePolicy.AFTER_CLOSE,
            )
        _grant(session, world, quiz, member=world.member_a, closes_at=CLOSE + timedelta(days=2))
        attempt = svc.start_attempt(session, world.member_b, quiz, FIXED_NOW)
        svc.finalize(session, attempt.id, FIXED_NOW, svc.FinishedBy.MEMBER)
        session.refresh(quiz)
        assert quiz.last_close == CLOSE + timedelta(days=2)
        assert not score_shown(withholding(session, attempt, CLOSE + timedelta(hours=1)))
        # The member's own close and the grace: the last moment an answer is taken.
        last = CLOSE + timedelta(days=2, seconds=quiz.grace_seconds)
        assert not score_shown(withholding(session, attempt, last))
        assert score_shown(withholding(session, attempt, last + timedelta(seconds=1)))


def _form(**fields):
    data = {"username": "mema", "closes_at": "", "duration_minutes": "", "attempts_allowed": ""}
    data["reason"] = REASON
    data.update(fields)
    return data


def test_the_page_is_for_those_who_manage_the_quiz(app, session, auth, world, exam):
    with app.test_request_context():
        general = make_quiz(
            session, world.general, make_paper(session, types=("single",)), title="总支测试"
        )
    session.commit()
    cases = (
        ("mema", exam, 403),
        ("admin", exam, 200),
        ("gsec", general, 200),
        ("gsec", exam, 404),  # owned by the root: not theirs to manage
        ("seca", general, 404),
    )
    for username, quiz, status in cases:
        auth.login(username)
        assert auth.client.get(f"/quizzes/manage/{quiz.id}/overrides").status_code == status
        removed = auth.post(f"/quizzes/manage/{quiz.id}/overrides/999999/delete")
        assert removed.status_code == (403 if status == 403 else 404), username
        auth.logout()


def test_a_manager_grants_and_withdraws_terms_and_the_member_sees_them(
    session, auth, clock, world, exam
):
    auth.login("admin")
    page = auth.client.get(f"/quizzes/manage/{exam.id}/overrides").get_data(as_text=True)
    assert "override-form" in page
    saved = auth.post(
        f"/quizzes/manage/{exam.id}/overrides",
        data=_form(closes_at="2030-01-01T10:00", attempts_allowed="4"),
    )
    assert saved.status_code == 302
    reload(session)
    override = session.scalars(sa.select(QuizOverride)).one()
    assert override.closes_at.year == 2030 and override.attempts_allowed == 4
    override_id = override.id
    listed = auth.client.get(f"/quizzes/manage/{exam.id}/overrides").get_data(as_text=True)
    assert "override-row" in listed and REASON in listed
    auth.logout()

    auth.client.set_cookie(LANG_COOKIE, "en")  # the assertions read the English msgids
    auth.login("mema")
    own = auth.client.get(f"/quizzes/{exam.id}").get_data(as_text=True)
    assert "own-terms" in own and "2030-01-01 10:00" in own and "0 of 4" in own
    auth.logout()
    auth.login("memb")
    theirs = auth.client.get(f"/quizzes/{exam.id}").get_data(as_text=True)
    assert "own-terms" not in theirs and "2030-01-01" not in theirs
    auth.logout()

    auth.login("admin")
    removed = auth.post(f"/quizzes/manage/{exam.id}/overrides/{override_id}/delete")
    assert removed.status_code == 302
    reload(session)
    assert _override_count(session) == 0
    again = auth.post(f"/quizzes/manage/{exam.id}/overrides/{override_id}/delete")
    assert again.status_code == 404


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"username": "memb-none"}, "No member with that name or user name"),
        ({"closes_at": "", "attempts_allowed": ""}, "Set a closing time"),
        ({"closes_at": "2020-01-01T10:00"}, "already passed"),
        ({"duration_minutes": "0"}, "Number must be between 1 and 1440."),
        ({"attempts_allowed": "many"}, "Not a valid integer value."),
        ({"attempts_allowed": "2", "reason": ""}, "This field is required"),
        ({"attempts_allowed": "2", "reason": "=cmd|' /C calc'!A0"}, "may not start with"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_stored(
    session, auth, world, exam, fields, message
):
    auth.login("admin")
    auth.client.set_cookie(LANG_COOKIE, "en")  # the assertions read the English msgids
    response = auth.post(f"/quizzes/manage/{exam.id}/overrides", data=_form(**fields))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    reload(session)
    assert _override_count(session) == 0


def test_a_secretary_reaches_only_members_of_their_subtree(app, session, auth, world):
    with app.test_request_context():
        quiz = make_quiz(
            session, world.general, make_paper(session, types=("single",)), title="总支测试"
        )
    session.commit()
    auth.login("gsec")
    ok = auth.post(f"/quizzes/manage/{quiz.id}/overrides", data=_form(attempts_allowed="3"))
    assert ok.status_code == 302
    refused = auth.post(f"/quizzes/manage/{quiz.id}/overrides", data=_form(username="admin"))
    assert refused.status_code == 400
    reload(session)
    assert _override_count(session) == 1


def test_the_taking_page_can_ask_for_a_moved_deadline(session, auth, world, exam):
    """At zero the countdown asks the server for the deadline first: a member given more time
    while the page was open keeps answering instead of being submitted."""
    auth.login("mema")
    started = auth.post(f"/quizzes/{exam.id}/start")
    attempt_id = int(started.headers["Location"].rsplit("/", 1)[1])
    page = auth.client.get(f"/quizzes/attempts/{attempt_id}").get_data(as_text=True)
    assert f"/quizzes/attempts/{attempt_id}/deadline" in page
    first = auth.client.get(f"/quizzes/attempts/{attempt_id}/deadline")
    assert first.headers["Cache-Control"] == "no-store"
    assert first.json["in_progress"] is True
    assert first.json["deadline"].startswith((FIXED_NOW + timedelta(minutes=30)).isoformat()[:16])
    auth.logout()

    auth.login("admin")
    auth.post(f"/quizzes/manage/{exam.id}/overrides", data=_form(duration_minutes="60"))
    auth.logout()
    auth.login("mema")
    moved = auth.client.get(f"/quizzes/attempts/{attempt_id}/deadline").json
    assert moved["deadline"].startswith((FIXED_NOW + timedelta(minutes=60)).isoformat()[:16])
    auth.logout()

    auth.login("memb")  # another member's attempt is no attempt at all (E6)
    assert auth.client.get(f"/quizzes/attempts/{attempt_id}/deadline").status_code == 404


# 个别延期与补考: terms only ever extend the quiz's, and members are found by name.


@pytest.mark.usefixtures("ctx")
class TestOnlyExtensions:
    @pytest.mark.parametrize(
        ("terms", "field", "message"),
        [
            ({"closes_at": CLOSE - timedelta(hours=1)}, "closes_at", "earlier than the quiz's"),
            ({"duration_seconds": 600}, "duration_minutes", "shorter than the quiz's (30 minutes)"),
            (
                {"attempts_allowed": 1},
                "attempts_allowed",
                "fewer attempts than the exam allows (2)",
            ),
        ],
    )
    def test_less_than_the_quiz_gives_everyone_is_refused(
        self, session, world, exam, terms, field, message
    ):
        with pytest.raises(DomainError, match=re.escape(message)) as refused:
            _grant(session, world, exam, **terms)
        assert refused.value.field == field
        assert _override_count(session) == 0

    def test_the_quizs_own_terms_or_more_are_accepted(self, session, world, exam):
        _grant(session, world, exam, closes_at=CLOSE, duration_seconds=1800, attempts_allowed=2)
        _grant(session, world, exam, member=world.member_b, attempts_allowed=100)
        assert _override_count(session) == 2

    @pytest.mark.parametrize(
        ("terms", "field", "message"),
        [
            ({"closes_at": CLOSE}, "closes_at", "no closing time"),
            ({"duration_seconds": 3600}, "duration_minutes", "no time limit"),
            ({"attempts_allowed": 5}, "attempts_allowed", "0 for unlimited"),
        ],
    )
    def test_a_term_the_quiz_does_not_limit_can_only_be_a_restriction(
        self, app, session, world, terms, field, message
    ):
        open_ended = make_quiz(
            session,
            world.root,
            make_paper(session, types=("single",)),
            kind=QuizKind.PRACTICE,  # an exam's attempts are limited
            closes_at=None,
            duration_seconds=None,
            attempts_allowed=0,
        )
        with pytest.raises(DomainError, match=message) as refused:
            _grant(session, world, open_ended, **terms)
        assert refused.value.field == field
        assert _override_count(session) == 0
        _grant(session, world, open_ended, attempts_allowed=0)  # unlimited stays unlimited

    def test_a_quiz_extended_past_the_members_terms_leaves_them_no_less(self, session, world, exam):
        _grant(session, world, exam, closes_at=CLOSE + timedelta(days=1), attempts_allowed=3)
        exam.closes_at = CLOSE + timedelta(days=5)  # an outage: everyone gets longer
        exam.attempts_allowed = 4
        session.flush()
        terms = svc.member_terms(session, exam, world.member_a.id)
        assert terms.closes_at == CLOSE + timedelta(days=5)
        assert terms.attempts_allowed == 4
        exam.attempts_allowed = 0
        assert svc.member_terms(session, exam, world.member_a.id).attempts_allowed == 0


def _namesakes(session, world):
    """Two 王芳 in 甲支部's subtree and a third in 乙支部, out of 甲支部's secretary's reach."""
    return (
        make_user(session, username="wangfang1", display_name="王芳", unit=world.branch_a),
        make_user(session, username="wangfang2", display_name="王芳", unit=world.group_a),
        make_user(session, username="wangfang3", display_name="王芳", unit=world.branch_b),
    )


@pytest.mark.usefixtures("ctx")
class TestFindByName:
    def test_a_name_borne_by_one_member_in_reach_finds_them(self, session, world, exam):
        name = world.member_a.display_name
        assert find_member(session, world.secretary_a, exam, f" {name} ").id == world.member_a.id
        # 乙支部's member is unknown to 甲支部's secretary, by name as by user name.
        for text in (world.member_b.display_name, "memb", "无此人"):
            with pytest.raises(DomainError, match="No member with that name") as refused:
                find_member(session, world.secretary_a, exam, text)
            assert refused.value.field == "username"

    def test_namesakes_are_listed_for_the_manager_to_choose_by_user_name(
        self, session, world, exam
    ):
        _, second, _ = _namesakes(session, world)
        with pytest.raises(DomainError, match="Several members are called 王芳") as refused:
            find_member(session, world.secretary_a, exam, "王芳")
        message = str(refused.value.message)
        assert "王芳 (wangfang1, 甲支部)" in message
        assert "王芳 (wangfang2, 甲第一党小组)" in message
        assert "wangfang3" not in message and "乙支部" not in message  # beyond reach
        assert find_member(session, world.secretary_a, exam, "wangfang2").id == second.id
        # Only the audience counts: a quiz for 甲第一党小组 has one 王芳.
        group_quiz = make_quiz(
            session, world.group_a, make_paper(session, types=("single",)), title="小组测试"
        )
        assert find_member(session, world.secretary_a, group_quiz, "王芳").id == second.id
        with pytest.raises(DomainError, match="not in this quiz's audience"):
            find_member(session, world.secretary_a, group_quiz, "wangfang1")

    def test_suggestions_are_the_members_in_reach_yet_to_finish(self, session, world, exam):
        _namesakes(session, world)
        attempt = svc.start_attempt(session, world.general_secretary, exam, FIXED_NOW)
        svc.finalize(session, attempt.id, FIXED_NOW, svc.FinishedBy.MEMBER)
        rows = suggestions(session, world.secretary_a, exam)
        # By unit, then name; a shared name is offered as the user name, saying whose it is.
        # 甲支部's general secretary has finished; 乙支部 is out of reach; the secretary asking
        # is not offered their own name (nobody sets their own terms).
        assert [row.value for row in rows] == [
            "wangfang1",
            world.member_a.display_name,
            "wangfang2",
        ]
        shared = next(row for row in rows if row.value == "wangfang1")
        assert shared.label == "王芳 (wangfang1, 甲支部)"
        own = next(row for row in rows if row.value == world.member_a.display_name)
        assert own.label == "甲第一党小组"
        assert suggestions(session, world.secretary_a, exam, limit=3) == []  # too many to list


def test_a_secretary_names_the_member_and_picks_from_suggestions(app, session, auth, world):
    with app.test_request_context():
        quiz = make_quiz(
            session, world.branch_a, make_paper(session, types=("single",)), title="甲支部测试"
        )
    session.commit()
    auth.login("seca")
    page = auth.client.get(f"/quizzes/manage/{quiz.id}/overrides").get_data(as_text=True)
    assert 'list="override-members"' in page and 'data-testid="member-suggestions"' in page
    assert f'value="{world.member_a.display_name}" label="甲第一党小组"' in page
    assert world.member_b.display_name not in page  # another branch's member
    saved = auth.post(
        f"/quizzes/manage/{quiz.id}/overrides",
        data=_form(username=world.member_a.display_name, attempts_allowed="3"),
    )
    assert saved.status_code == 302
    reload(session)
    assert session.scalars(sa.select(QuizOverride)).one().member_id == world.member_a.id


def test_an_earlier_close_is_refused_on_its_field_and_nothing_stored(session, auth, world, exam):
    auth.login("admin")
    auth.client.set_cookie(LANG_COOKIE, "en")  # the assertions read the English msgids
    # The day before the exam's own close (2026-03-17 10:00 in Beijing).
    response = auth.post(
        f"/quizzes/manage/{exam.id}/overrides", data=_form(closes_at="2026-03-16T10:00")
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert re.search(r'name="closes_at"[^>]*is-invalid|is-invalid[^>]*name="closes_at"', page)
    assert "closing time cannot be earlier than the quiz" in page
    reload(session)
    assert _override_count(session) == 0


def test_nobody_sets_their_own_terms(app, session, auth, world):
    """An organiser who takes the quiz (here the 总支 secretary, a member of 甲支部) gets no
    extra time or attempts from their own hand, by user name or by name, and is not suggested;
    the member they manage still is."""
    with app.test_request_context():
        quiz = make_quiz(
            session, world.general, make_paper(session, types=("single",)), title="总支测试"
        )
    session.commit()
    secretary = world.general_secretary
    assert all(row.value != secretary.display_name for row in suggestions(session, secretary, quiz))
    auth.login("gsec")
    for name in ("gsec", secretary.display_name):
        response = auth.post(
            f"/quizzes/manage/{quiz.id}/overrides",
            data=_form(username=name, attempts_allowed="5", duration_minutes="300"),
        )
        assert response.status_code == 400
        assert "不能为自己单独设置" in response.get_data(as_text=True)
    reload(session)
    assert _override_count(session) == 0
    page = auth.client.get(f"/quizzes/manage/{quiz.id}/overrides").get_data(as_text=True)
    assert f'value="{secretary.display_name}"' not in page
    assert f'value="{world.member_a.display_name}"' in page
