"""Answers that reach the server after an attempt ended (security.md §1.6, E3, §4.1): the page
lost its network and sent them after the deadline and grace, or another tab sent them after the
member submitted. They are recorded as refused, with the reason, never graded, whether or not
the sweep finished the attempt first; the member is told on the result page and a manager sees
them on the exam report. The page's own time-up submission is recorded as the timer's."""

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from learnapp.orgs.models import Role
from learnapp.quizzes import answers as answer_services
from learnapp.quizzes import attempts as attempt_services
from learnapp.quizzes.models import (
    AnswerLog,
    AnswerOutcome,
    Attempt,
    AttemptQuestion,
    AttemptState,
    FinishedBy,
    Quiz,
)
from learnapp.quizzes.report_book import quiz_zone
from tests.conftest import reload
from tests.factories import FIXED_NOW, make_user

LATE_TWO = "有 2 个答案在作答时限（含宽限时间）结束后才送达服务器，已记录，但未计入成绩。"
CLOSED_ONE = "有 1 个答案在本次作答交卷后才送达服务器，已记录，但未计入成绩。"


def _start(auth, quiz) -> int:
    response = auth.post(f"/quizzes/{quiz.id}/start")
    match = re.search(r"/quizzes/attempts/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def _slots(session, attempt_id):
    reload(session)
    return session.scalars(
        sa.select(AttemptQuestion)
        .where(AttemptQuestion.attempt_id == attempt_id)
        .order_by(AttemptQuestion.position)
    ).all()


def _save(auth, attempt_id, position, seq, response):
    return auth.client.post(
        f"/quizzes/attempts/{attempt_id}/answers",
        json={"position": position, "seq": seq, "response": response},
        headers={"X-CSRFToken": auth.csrf("/profile")},
    )


def _option(slot, original_index: int) -> str:
    """The opaque id the page shows for the option at `original_index` of the question."""
    return slot.option_ids[slot.option_order.index(original_index)]


def _answer_online_then_offline(auth, session, attempt_id) -> dict:
    """Q1 (right, 2 points) and Q2 (wrong) are autosaved; Q3 and Q4 are answered offline and
    stay on the page. Returns the form the page posts when the network is back."""
    single, multiple = _slots(session, attempt_id)[:2]
    q1, q2 = _option(single, 0), _option(multiple, 3)
    assert _save(auth, attempt_id, 1, 0, {"value": q1}).status_code == 200
    assert _save(auth, attempt_id, 2, 0, {"values": [q2]}).status_code == 200
    return {
        "q1": q1,
        "seq-1": "1",
        "q2": q2,
        "seq-2": "1",
        "q3": "false",
        "seq-3": "0",
        "q4-0": "八",
        "seq-4": "0",
        "at": "4",
    }


def _past_grace(clock, session, attempt_id, seconds: int = 25) -> None:
    """The clock `seconds` past the attempt's deadline and grace (the network came back then)."""
    reload(session)
    attempt = session.get(Attempt, attempt_id)
    clock.at = attempt.deadline_at + timedelta(seconds=attempt.grace_seconds + seconds)


def _sweep(app, session, clock) -> None:
    """The scheduled job runs."""
    with app.test_request_context():
        assert attempt_services.finalize_overdue(session, clock()) == 1
    session.commit()


def _log(session, attempt_id) -> list[tuple[int, AnswerOutcome]]:
    reload(session)
    return session.execute(
        sa.select(AnswerLog.position, AnswerLog.outcome)
        .where(AnswerLog.attempt_id == attempt_id)
        .order_by(AnswerLog.id)
    ).all()


@pytest.mark.parametrize("swept_first", [True, False], ids=["job-first", "post-first"])
def test_a_form_sent_after_the_deadline_and_grace_is_recorded_late_and_never_graded(
    app, session, auth, clock, world, exam, swept_first
):
    auth.login("mema")
    attempt_id = _start(auth, exam)
    form = _answer_online_then_offline(auth, session, attempt_id)
    _past_grace(clock, session, attempt_id)
    if swept_first:
        _sweep(app, session, clock)
    done = auth.post(f"/quizzes/attempts/{attempt_id}/submit", form)
    assert done.status_code == 302 and done.headers["Location"].endswith("/result")

    # The same record whichever came first: Q3 and Q4 refused as late, nothing graded of them.
    saved, refused = AnswerOutcome.SAVED, AnswerOutcome.LATE
    assert _log(session, attempt_id) == [(1, saved), (2, saved), (3, refused), (4, refused)]
    attempt = session.get(Attempt, attempt_id)
    assert attempt.state == AttemptState.GRADED and attempt.score == Decimal("2")
    assert attempt.finished_by == (FinishedBy.JOB if swept_first else FinishedBy.TIMER)
    slots = _slots(session, attempt_id)
    assert slots[2].response is None and slots[3].response is None
    page = auth.client.get(done.headers["Location"]).get_data(as_text=True)
    assert LATE_TWO in page
    assert 'data-testid="refused-closed"' not in page


def test_queued_autosaves_after_the_sweep_are_recorded_and_told_once_with_the_form(
    app, session, auth, clock, world, exam
):
    """The page sends its queue when the network is back, then its form: both carry Q3, which
    the member is told about once."""
    auth.login("mema")
    attempt_id = _start(auth, exam)
    form = _answer_online_then_offline(auth, session, attempt_id)
    _past_grace(clock, session, attempt_id)
    _sweep(app, session, clock)
    queued = _save(auth, attempt_id, 3, 0, {"value": "false"})
    assert queued.status_code == 409 and queued.json["outcome"] == "late"
    assert queued.json["result_url"].endswith(f"/attempts/{attempt_id}/result")
    auth.post(f"/quizzes/attempts/{attempt_id}/submit", form)

    late = AnswerOutcome.LATE
    assert _log(session, attempt_id)[2:] == [(3, late), (3, late), (4, late)]
    attempt = session.get(Attempt, attempt_id)
    assert attempt.score == Decimal("2") and attempt.finished_by == FinishedBy.JOB
    page = auth.client.get(f"/quizzes/attempts/{attempt_id}/result").get_data(as_text=True)
    assert LATE_TWO in page


def test_a_form_from_another_tab_after_the_member_submitted_is_recorded_closed(
    session, auth, world, exam
):
    auth.login("mema")
    attempt_id = _start(auth, exam)
    form = _answer_online_then_offline(auth, session, attempt_id)
    page = {key: form[key] for key in ("q1", "seq-1", "q2", "seq-2")}
    auth.post(f"/quizzes/attempts/{attempt_id}/submit", page)
    # A second tab still holding Q2 unanswered and Q3 answered posts its form, in time.
    stale = {"q1": form["q1"], "seq-1": "1", "seq-2": "0", "q3": "false", "seq-3": "0"}
    assert auth.post(f"/quizzes/attempts/{attempt_id}/submit", stale).status_code == 302

    # Q2, blank on that tab, is recorded too, but is no answer to tell anyone about.
    closed = AnswerOutcome.CLOSED
    assert _log(session, attempt_id)[2:] == [(2, closed), (3, closed)]
    attempt = session.get(Attempt, attempt_id)
    assert attempt.score == Decimal("2") and attempt.finished_by == FinishedBy.MEMBER
    slots = _slots(session, attempt_id)
    assert slots[1].response is not None and slots[2].response is None
    page = auth.client.get(f"/quizzes/attempts/{attempt_id}/result").get_data(as_text=True)
    assert CLOSED_ONE in page
    assert 'data-testid="refused-late"' not in page


def test_an_answer_sent_again_after_the_attempt_ended_the_same_as_graded_is_not_told(
    session, auth, clock, world, exam
):
    auth.login("mema")
    attempt_id = _start(auth, exam)
    form = _answer_online_then_offline(auth, session, attempt_id)
    _past_grace(clock, session, attempt_id)
    # The queued save of Q1 was accepted, but its reply was lost: the page sends it again.
    again = _save(auth, attempt_id, 1, 0, {"value": form["q1"]})
    assert again.status_code == 409 and again.json["outcome"] == "late"
    assert _log(session, attempt_id)[-1] == (1, AnswerOutcome.LATE)
    page = auth.client.get(f"/quizzes/attempts/{attempt_id}/result").get_data(as_text=True)
    assert 'data-testid="refused-answers"' not in page


def test_a_late_answer_superseded_by_a_save_after_more_time_is_not_listed(
    ctx, session, world, exam
):
    attempt = attempt_services.start_attempt(session, world.member_a, exam, FIXED_NOW)
    judge = attempt.slots[2]
    late_at = attempt.deadline_at + timedelta(seconds=attempt.grace_seconds + 1)
    refused = answer_services.save_answer(
        session, attempt.id, 3, 0, {"value": "true"}, late_at, member_id=world.member_a.id
    )
    assert refused.outcome == AnswerOutcome.LATE
    assert [
        (r.position, r.outcome)
        for r in answer_services.refused_answers(session, [attempt.id])[attempt.id]
    ] == [(3, AnswerOutcome.LATE)]
    # The organisers give more time; the member answers the question again, accepted.
    attempt.deadline_at += timedelta(hours=1)
    session.flush()
    later = late_at + timedelta(seconds=5)
    accepted = answer_services.save_answer(
        session, attempt.id, 3, 0, {"value": "false"}, later, member_id=world.member_a.id
    )
    assert accepted.outcome == AnswerOutcome.SAVED
    session.refresh(judge)
    assert judge.response == {"value": False}
    assert answer_services.refused_answers(session, [attempt.id]) == {}
    assert answer_services.refused_answers(session, []) == {}


@pytest.mark.parametrize(
    ("seconds_after_deadline", "by_timer", "finished_by"),
    [
        (10, "1", FinishedBy.TIMER),  # the page's countdown, the deadline passed: in the grace
        (10, None, FinishedBy.MEMBER),  # the member's own click in the grace
        (-300, "1", FinishedBy.MEMBER),  # a page whose clock runs fast, or a forged field
        (61, None, FinishedBy.TIMER),  # past the grace, whoever sent it
    ],
)
def test_the_pages_time_up_submission_is_the_timers_once_the_servers_deadline_passed(
    session, auth, clock, world, exam, seconds_after_deadline, by_timer, finished_by
):
    auth.login("mema")
    attempt_id = _start(auth, exam)
    single = _slots(session, attempt_id)[0]
    form = {"q1": _option(single, 0), "seq-1": "0"}
    if by_timer:
        form["by_timer"] = by_timer
    clock.at = single.attempt.deadline_at + timedelta(seconds=seconds_after_deadline)
    auth.post(f"/quizzes/attempts/{attempt_id}/submit", form)
    reload(session)
    attempt = session.get(Attempt, attempt_id)
    assert attempt.finished_by == finished_by
    # Who finished is a label: the answer on the form counts whenever it came in time.
    assert attempt.score == (Decimal("0") if seconds_after_deadline > 60 else Decimal("2"))


def test_the_exam_report_lists_answers_not_counted_for_the_members_in_reach(
    app, session, auth, clock, world, exam
):
    make_user(
        session, username="secb", unit=world.branch_b, roles=((Role.SECRETARY, world.branch_b),)
    )
    session.commit()
    auth.login("mema")
    attempt_id = _start(auth, exam)
    form = _answer_online_then_offline(auth, session, attempt_id)
    _past_grace(clock, session, attempt_id)
    _sweep(app, session, clock)
    auth.post(f"/quizzes/attempts/{attempt_id}/submit", form)
    assert auth.client.get(f"/quizzes/manage/{exam.id}/report").status_code == 403

    auth.logout()
    auth.login("seca")
    page = auth.client.get(f"/quizzes/manage/{exam.id}/report").get_data(as_text=True)
    rows = re.findall(r'<tr data-testid="refused-answer".*?</tr>', page)
    assert len(rows) == 2
    assert all(world.member_a.display_name in row and "超过作答时限" in row for row in rows)
    assert [re.findall(r"<td>(\d+)</td>", row) for row in rows] == [["3"], ["4"]]
    # A secretary of the other branch sees the report of their members only.
    auth.logout()
    auth.login("secb")
    other = auth.client.get(f"/quizzes/manage/{exam.id}/report")
    assert other.status_code == 200
    assert 'data-testid="refused-answers"' not in other.get_data(as_text=True)


def _not_counted(auth, exam):
    """The rows under the header of the report workbook's answers-not-counted sheet, as cells."""
    response = auth.client.get(f"/quizzes/manage/{exam.id}/report.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data))["未计入成绩的答案"]
    header = ["成员", "所属组织", "开始时间", "题号", "送达时间", "原因"]
    assert [cell.value for cell in sheet[2]] == header
    return list(sheet.iter_rows(min_row=3))


def _values(rows) -> list[tuple]:
    return [tuple(cell.value for cell in row) for row in rows]


def test_the_report_workbook_lists_answers_not_counted_for_the_members_in_reach(
    app, session, auth, clock, world, exam
):
    make_user(
        session, username="secb", unit=world.branch_b, roles=((Role.SECRETARY, world.branch_b),)
    )
    world.member_b.display_name = "=HYPERLINK(1)"
    session.commit()
    auth.login("mema")
    late_id = _start(auth, exam)
    form = _answer_online_then_offline(auth, session, late_id)
    _past_grace(clock, session, late_id)
    _sweep(app, session, clock)
    auth.post(f"/quizzes/attempts/{late_id}/submit", form)
    auth.logout()
    # member_b submits, then another tab of theirs posts an answer to Q3: closed.
    auth.login("memb")
    closed_id = _start(auth, exam)
    auth.post(f"/quizzes/attempts/{closed_id}/submit", {})
    auth.post(f"/quizzes/attempts/{closed_id}/submit", {"q3": "true", "seq-3": "0"})
    auth.logout()

    reload(session)
    zone = quiz_zone(session.get(Quiz, exam.id))

    def local(at):
        return at.astimezone(zone).replace(tzinfo=None)

    started = {a: local(session.get(Attempt, a).started_at) for a in (late_id, closed_id)}
    received = {
        (attempt_id, position): local(at)
        for attempt_id, position, at in session.execute(
            sa.select(AnswerLog.attempt_id, AnswerLog.position, AnswerLog.received_at)
        )
    }
    late = [
        (
            world.member_a.display_name,
            world.member_a.unit.name,
            started[late_id],
            n,
            received[late_id, n],
            "超过作答时限",
        )
        for n in (3, 4)
    ]
    closed = (
        "'=HYPERLINK(1)",
        world.member_b.unit.name,
        started[closed_id],
        3,
        received[closed_id, 3],
        "交卷之后",
    )

    auth.login("admin")
    rows = _not_counted(auth, exam)
    assert sorted(_values(rows)) == sorted([*late, closed])
    # The hostile name is text, never a formula.
    (hostile,) = [row[0] for row in rows if row[0].value == closed[0]]
    assert hostile.data_type == "s"
    auth.logout()
    # Each branch's secretary gets the answers of their own members only, as on the page.
    for username, expected in (("seca", late), ("secb", [closed])):
        auth.login(username)
        assert _values(_not_counted(auth, exam)) == expected
        auth.logout()
