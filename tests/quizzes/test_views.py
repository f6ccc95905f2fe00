"""The quiz routes: roles allowed and refused, scope (404), the integrity rules over HTTP."""

import io
import re
import threading
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from openpyxl import load_workbook

from learnapp import create_app
from learnapp.quizzes import attempts as attempt_module
from learnapp.quizzes.models import (
    AnswerLog,
    Attempt,
    AttemptQuestion,
    AttemptState,
    Composition,
    Quiz,
    ReleasePolicy,
)
from learnapp.quizzes.views.taking import MAX_SAVE_BYTES
from learnapp.web import LANG_COOKIE
from tests.conftest import TEST_SETTINGS, Auth, reload
from tests.factories import FIXED_NOW
from tests.quizzes.helpers import (
    EXPLANATION,
    SHORT_REFERENCE,
    make_paper,
    make_quiz,
)


def _start(auth, quiz) -> int:
    response = auth.post(f"/quizzes/{quiz.id}/start")
    assert response.status_code == 302
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


def _save(auth, attempt_id, payload, token=None):
    return auth.client.post(
        f"/quizzes/attempts/{attempt_id}/answers",
        json=payload,
        headers={"X-CSRFToken": token or auth.csrf("/profile")},
    )


def test_member_takes_an_exam_and_sees_the_result(session, auth, world, final_exam):
    auth.login("mema")
    listing = auth.client.get("/quizzes/")
    assert final_exam.title in listing.get_data(as_text=True)
    attempt_id = _start(auth, final_exam)
    page = auth.client.get(f"/quizzes/attempts/{attempt_id}")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    slot = _slots(session, attempt_id)[0]
    right = slot.option_ids[slot.option_order.index(slot.version.spec["answer"])]
    saved = _save(auth, attempt_id, {"position": 1, "seq": 0, "response": {"value": right}})
    assert saved.status_code == 200 and saved.json["seq"] == 1
    assert saved.headers["Cache-Control"] == "no-store"
    done = auth.post(f"/quizzes/attempts/{attempt_id}/submit", {"seq-1": "1", "q1": right})
    assert done.status_code == 302 and done.headers["Location"].endswith("/result")
    result = auth.client.get(done.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="result-percent"' in result
    assert EXPLANATION in result  # shown at once: the member's only attempt
    reload(session)
    attempt = session.get(Attempt, attempt_id)
    # The short answer waits for a marker only when answered; here it was left blank.
    assert attempt.state == AttemptState.GRADED and attempt.score == Decimal("2.00")


def test_another_members_attempt_is_not_found(session, auth, world, exam):
    auth.login("mema")
    attempt_id = _start(auth, exam)
    auth.logout()
    auth.login("memb")
    token = auth.csrf("/profile")
    assert auth.client.get(f"/quizzes/attempts/{attempt_id}").status_code == 404
    assert auth.client.get(f"/quizzes/attempts/{attempt_id}/result").status_code == 404
    assert (
        _save(auth, attempt_id, {"position": 1, "seq": 0, "response": None}, token).status_code
        == 404
    )
    assert auth.post(f"/quizzes/attempts/{attempt_id}/submit").status_code == 404
    assert auth.post(f"/quizzes/attempts/{attempt_id}/save").status_code == 404
    reload(session)
    assert session.get(Attempt, attempt_id).state == AttemptState.IN_PROGRESS


def test_autosave_to_another_members_attempt_is_not_found_whatever_the_body(
    session, auth, world, exam
):
    auth.login("mema")
    attempt_id = _start(auth, exam)
    auth.logout()
    auth.login("memb")
    token = auth.csrf("/profile")
    for body in (
        {"position": 1, "seq": 0, "response": None},
        {"position": 99, "seq": 0, "response": None},
        {"position": 1, "seq": "0", "response": None},
        ["not", "an", "object"],
        {"position": 1, "seq": 0, "response": {"text": "x" * (MAX_SAVE_BYTES + 1)}},
    ):
        assert _save(auth, attempt_id, body, token).status_code == 404
    reload(session)
    assert not session.scalar(sa.select(sa.func.count()).where(AnswerLog.attempt_id == attempt_id))


def test_an_oversized_autosave_is_refused_and_stores_nothing(session, auth, world, exam):
    auth.login("mema")
    attempt_id = _start(auth, exam)
    body = {"position": 5, "seq": 0, "response": {"text": "x" * (MAX_SAVE_BYTES + 1)}}
    refused = _save(auth, attempt_id, body)
    assert refused.status_code == 413 and refused.json["error"]
    assert refused.headers["Cache-Control"] == "no-store"
    assert all(slot.response is None for slot in _slots(session, attempt_id))
    assert not session.scalar(sa.select(sa.func.count()).where(AnswerLog.attempt_id == attempt_id))


def test_quiz_outside_the_members_audience_is_not_found(auth, world, exam):
    auth.login("admin")
    auth.logout()
    auth.login("memb")
    assert auth.client.get(f"/quizzes/{exam.id}").status_code == 200  # root audience
    assert auth.client.get("/quizzes/999999").status_code == 404


def test_score_and_time_fields_sent_by_the_client_are_ignored(session, auth, world, exam):
    auth.login("mema")
    attempt_id = _start(auth, exam)
    tampered = _save(
        auth,
        attempt_id,
        {
            "position": 1,
            "seq": 0,
            "response": {"value": "", "is_correct": True},
            "score": 100,
            "awarded": 2,
            "deadline_at": "2099-01-01",
        },
    )
    assert tampered.status_code == 200
    auth.post(
        f"/quizzes/attempts/{attempt_id}/submit",
        {"score": "100", "percent": "100", "passed": "1", "member_id": "1", "number": "9"},
    )
    reload(session)
    attempt = session.get(Attempt, attempt_id)
    assert attempt.score == Decimal("0.00") and attempt.passed is False and attempt.number == 1
    assert attempt.member_id == world.member_a.id


def test_autosave_needs_the_csrf_token(auth, world, exam):
    auth.login("mema")
    attempt_id = _start(auth, exam)
    response = auth.client.post(
        f"/quizzes/attempts/{attempt_id}/answers", json={"position": 1, "seq": 0, "response": None}
    )
    assert response.status_code == 400


def test_bad_autosave_bodies_get_a_clear_error_and_store_nothing(session, auth, world, exam):
    auth.login("mema")
    attempt_id = _start(auth, exam)
    token = auth.csrf("/profile")
    for payload in (
        ["not", "an", "object"],
        {"position": 1, "seq": "0", "response": None},
        {"position": 1, "seq": 99999999999, "response": None},
        {"position": 1, "seq": 0, "response": {"value": "forged-option"}},
        {"position": 5, "seq": 0, "response": {"text": "x" * 6000}},
    ):
        response = _save(auth, attempt_id, payload, token)
        assert response.status_code == 400 and response.json["error"], payload
    assert all(slot.response is None for slot in _slots(session, attempt_id))


def test_a_stale_tab_gets_a_conflict_and_a_late_answer_is_refused(
    session, auth, clock, world, exam
):
    auth.login("mema")
    attempt_id = _start(auth, exam)
    slot = _slots(session, attempt_id)[0]
    token = auth.csrf("/profile")
    a, b = slot.option_ids[0], slot.option_ids[1]
    assert (
        _save(
            auth, attempt_id, {"position": 1, "seq": 0, "response": {"value": a}}, token
        ).status_code
        == 200
    )
    stale = _save(auth, attempt_id, {"position": 1, "seq": 0, "response": {"value": b}}, token)
    assert stale.status_code == 409 and stale.json["outcome"] == "stale"
    clock.advance(minutes=40)
    late = _save(auth, attempt_id, {"position": 1, "seq": 1, "response": {"value": b}}, token)
    assert late.status_code == 409 and late.json["outcome"] == "late"
    assert late.json["result_url"].endswith("/result")
    reload(session)
    attempt = session.get(Attempt, attempt_id)
    assert attempt.state == AttemptState.GRADED and attempt.finished_by.value == "timer"


def test_submit_without_javascript_saves_the_posted_answers(session, auth, world, exam):
    auth.login("mema")
    attempt_id = _start(auth, exam)
    judge = _slots(session, attempt_id)[2]
    answer = "true" if judge.version.spec["answer"] else "false"
    saved = auth.post(
        f"/quizzes/attempts/{attempt_id}/save",
        {"q3": answer, "seq-3": "0", "q4-0": "八", "seq-4": "0"},
    )
    assert saved.status_code == 302
    slots = _slots(session, attempt_id)
    assert slots[2].response is not None and slots[3].response == {"blanks": ["八"]}


def test_eight_concurrent_submits_grade_once(app, session, world, exam, monkeypatch):
    clients = []
    for _ in range(8):
        auth = Auth(app.test_client())
        auth.login("mema")
        clients.append(auth)
    attempt_id = _start(clients[0], exam)
    tokens = [auth.csrf("/profile") for auth in clients]
    calls = []
    original = attempt_module.complete

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(attempt_module, "complete", counting)
    barrier = threading.Barrier(8)
    statuses = []

    def submit(auth, token):
        barrier.wait()
        response = auth.client.post(
            f"/quizzes/attempts/{attempt_id}/submit", data={"csrf_token": token}
        )
        statuses.append(response.status_code)

    threads = [
        threading.Thread(target=submit, args=pair) for pair in zip(clients, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302] * 8
    assert len(calls) == 1
    reload(session)
    assert session.get(Attempt, attempt_id).state == AttemptState.GRADED


def test_results_withheld_until_the_exam_closes(app, session, auth, clock, world):
    with app.test_request_context():
        quiz = make_quiz(
            session,
            world.root,
            make_paper(session, types=("single",)),
            release=ReleasePolicy.AFTER_CLOSE,
            closes_at=FIXED_NOW + timedelta(hours=2),
        )
    session.commit()
    auth.login("mema")
    attempt_id = _start(auth, quiz)
    auth.post(f"/quizzes/attempts/{attempt_id}/submit")
    withheld = auth.client.get(f"/quizzes/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "result-withheld" in withheld and EXPLANATION not in withheld
    assert "result-percent" not in withheld
    clock.advance(hours=3)
    released = auth.client.get(f"/quizzes/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "result-percent" in released and EXPLANATION in released


def test_member_is_refused_every_management_route(auth, world, exam):
    auth.login("mema")
    for path in (
        "/quizzes/manage",
        "/quizzes/manage/new",
        f"/quizzes/manage/{exam.id}",
        f"/quizzes/manage/{exam.id}/edit",
        f"/quizzes/manage/{exam.id}/preview",
        f"/quizzes/manage/{exam.id}/report",
        "/quizzes/marking",
    ):
        assert auth.client.get(path).status_code == 403, path
    for path in (
        f"/quizzes/manage/{exam.id}/state",
        f"/quizzes/manage/{exam.id}/questions",
        f"/quizzes/manage/{exam.id}/rules",
    ):
        assert auth.post(path, {"target": "archived"}).status_code == 403, path


def test_secretary_manages_quizzes_of_their_unit_only(app, session, auth, world, exam):
    with app.test_request_context():
        own = make_quiz(session, world.branch_a, make_paper(session, types=("judge",)))
    session.commit()
    auth.login("seca")
    assert auth.client.get(f"/quizzes/manage/{own.id}").status_code == 200
    assert auth.client.get(f"/quizzes/manage/{own.id}/report").status_code == 200
    # The exam is owned by the committee above: the secretary cannot change it.
    for path in ("", "/edit", "/preview"):
        assert auth.client.get(f"/quizzes/manage/{exam.id}{path}").status_code == 404, path
    assert auth.post(f"/quizzes/manage/{exam.id}/state", {"target": "archived"}).status_code == 404
    reload(session)
    assert session.get(Quiz, exam.id).state.value == "published"


def test_admin_creates_a_quiz_and_bad_input_stores_nothing(session, auth, world):
    auth.client.set_cookie(LANG_COOKIE, "en")  # the assertions read the English msgids
    auth.login("admin")
    assert auth.client.get("/quizzes/manage/new").status_code == 200
    base = {
        "title": "新考试",
        "kind": "exam",
        "owner_unit_id": str(world.root.id),
        "composition": "fixed",
        "grace_seconds": "60",
        "attempts_allowed": "1",
        "grading_method": "highest",
        "pass_percent": "60",
        "release": "immediately",
        "course_id": "0",
    }
    bad = auth.post(
        "/quizzes/manage/new",
        {**base, "opens_at": "2026-03-10T10:00", "closes_at": "2026-03-10T09:00"},
    )
    assert bad.status_code == 200
    assert "The quiz must close after it opens." in bad.get_data(as_text=True)
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(Quiz)) == 0
    for field, value in (("pass_percent", "nan"), ("attempts_allowed", "99999999999")):
        assert auth.post("/quizzes/manage/new", {**base, field: value}).status_code == 200
    good = auth.post("/quizzes/manage/new", {**base, "duration_minutes": "30"})
    assert good.status_code == 302
    reload(session)
    quiz = session.scalars(sa.select(Quiz)).one()
    assert quiz.duration_seconds == 1800 and quiz.state.value == "draft"
    assert auth.client.get(f"/quizzes/manage/{quiz.id}/edit").status_code == 200


def test_results_after_the_close_without_a_closing_time_are_refused_at_the_close_field(
    session, auth, world
):
    auth.login("admin")
    refused = auth.post(
        "/quizzes/manage/new",
        {
            "title": "新考试",
            "kind": "exam",
            "owner_unit_id": str(world.root.id),
            "composition": "fixed",
            "grace_seconds": "60",
            "attempts_allowed": "1",
            "grading_method": "highest",
            "pass_percent": "60",
            "release": "after_close",
            "course_id": "0",
        },
    )
    assert refused.status_code == 200
    page = refused.get_data(as_text=True)
    field = re.search(r'<input class="([^"]*)" id="closes_at"[^>]*>\s*(.*?)</div>', page, re.S)
    assert "is-invalid" in field.group(1)
    assert "选择“考试结束后公布”成绩须设置截止时间" in field.group(2)
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(Quiz)) == 0


def test_preview_and_report_for_authors_show_no_keys_in_preview(session, auth, world, exam):
    auth.login("admin")
    preview = auth.client.get(f"/quizzes/manage/{exam.id}/preview").get_data(as_text=True)
    assert "党的最高领导机关" in preview
    assert EXPLANATION not in preview and SHORT_REFERENCE not in preview
    report = auth.client.get(f"/quizzes/manage/{exam.id}/report")
    assert report.status_code == 200 and "item-stats" in report.get_data(as_text=True)
    assert auth.client.get("/quizzes/manage").status_code == 200


def test_marker_marks_a_short_answer_anonymously(session, auth, world, exam):
    auth.login("mema")
    attempt_id = _start(auth, exam)
    token = auth.csrf("/profile")
    _save(auth, attempt_id, {"position": 5, "seq": 0, "response": {"text": "联系实际"}}, token)
    auth.post(f"/quizzes/attempts/{attempt_id}/submit")
    auth.logout()
    short = _slots(session, attempt_id)[4]
    auth.login("seca")  # exam owned above the secretary: not theirs to mark
    assert auth.client.get(f"/quizzes/marking/{short.id}").status_code == 404
    auth.logout()
    auth.client.set_cookie(LANG_COOKIE, "en")  # the assertions read the English msgids
    auth.login("admin")
    queue = auth.client.get("/quizzes/marking").get_data(as_text=True)
    assert "marking-item" in queue and world.member_a.display_name not in queue
    page = auth.client.get(f"/quizzes/marking/{short.id}").get_data(as_text=True)
    assert "联系实际" in page and world.member_a.display_name not in page
    bad = auth.post(f"/quizzes/marking/{short.id}", {"points": "9", "comment": ""})
    assert bad.status_code == 200 and "Points from 0" in bad.get_data(as_text=True)
    assert (
        auth.post(f"/quizzes/marking/{short.id}", {"points": "4", "comment": "好"}).status_code
        == 302
    )
    reload(session)
    assert session.get(Attempt, attempt_id).state == AttemptState.GRADED


def test_wrong_answer_book_is_personal(session, auth, world, final_exam):
    from learnapp.quizzes.models import WrongAnswer

    auth.login("mema")
    attempt_id = _start(auth, final_exam)
    auth.post(f"/quizzes/attempts/{attempt_id}/submit")
    reload(session)
    entry = session.scalars(sa.select(WrongAnswer)).first()
    assert entry is not None
    assert "wrong-book" in auth.client.get("/quizzes/wrong-book").get_data(as_text=True)
    auth.logout()
    auth.login("memb")
    assert auth.post(f"/quizzes/wrong-book/{entry.id}/mastered").status_code == 404
    auth.logout()
    auth.login("mema")
    assert auth.post(f"/quizzes/wrong-book/{entry.id}/mastered").status_code == 302
    reload(session)
    assert session.get(WrongAnswer, entry.id).is_mastered


def test_ten_concurrent_starts_make_one_attempt(app, session, world):
    with app.test_request_context():
        quiz = make_quiz(
            session, world.root, make_paper(session, types=("single",)), attempts_allowed=1
        )
    session.commit()
    clients = []
    for _ in range(10):
        auth = Auth(app.test_client())
        auth.login("mema")
        clients.append((auth, auth.csrf("/profile")))
    barrier = threading.Barrier(10)
    locations = []

    def start(auth, token):
        barrier.wait()
        response = auth.client.post(f"/quizzes/{quiz.id}/start", data={"csrf_token": token})
        locations.append(response.headers.get("Location", ""))

    threads = [threading.Thread(target=start, args=pair) for pair in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    reload(session)
    attempts = session.scalars(sa.select(Attempt).where(Attempt.quiz_id == quiz.id)).all()
    assert len(attempts) == 1
    # Every request lands on that one attempt (resumed), none on an error.
    assert {loc.rsplit("/", 1)[-1] for loc in locations} == {str(attempts[0].id)}


def test_opening_an_overdue_attempt_finishes_it_with_its_saved_answers(
    session, auth, clock, world, exam
):
    auth.login("mema")
    attempt_id = _start(auth, exam)
    slot = _slots(session, attempt_id)[2]
    answer = "true" if slot.version.spec["answer"] else "false"
    _save(auth, attempt_id, {"position": 3, "seq": 0, "response": {"value": answer}})
    clock.advance(minutes=45)
    opened = auth.client.get(f"/quizzes/attempts/{attempt_id}")
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/result")
    reload(session)
    attempt = session.get(Attempt, attempt_id)
    assert attempt.finished_by.value == "timer" and attempt.score == Decimal("1.00")


def test_a_topic_set_shows_that_its_first_finished_attempt_counts(app, session, auth, world):
    from learnapp.quizzes.models import QuizKind

    with app.test_request_context():
        topic = make_quiz(session, world.root, make_paper(session), kind=QuizKind.TOPIC)
    session.commit()
    auth.login("mema")
    first = _start(auth, topic)
    auth.post(f"/quizzes/attempts/{first}/submit")
    second = _start(auth, topic)
    assert second != first
    auth.post(f"/quizzes/attempts/{second}/submit")
    page = auth.client.get(f"/quizzes/{topic.id}").get_data(as_text=True)
    assert 'data-testid="scores-once"' in page
    assert page.count('data-testid="counted-attempt"') == 1
    counted = page.index('data-testid="counted-attempt"')
    assert page.rfind("#1 ·", 0, counted) > page.rfind("#2 ·", 0, counted)


def test_the_quiz_page_counts_attempts_and_says_when_none_is_left(app, session, auth, world):
    from flask_babel import gettext

    from learnapp.quizzes.models import QuizKind

    with app.test_request_context():
        practice = make_quiz(
            session, world.root, make_paper(session), kind=QuizKind.PRACTICE, attempts_allowed=1
        )
        used_up = gettext("You have used every attempt allowed for this quiz.")
    session.commit()
    auth.login("mema")
    page = auth.client.get(f"/quizzes/{practice.id}").get_data(as_text=True)
    assert 'data-testid="start-attempt"' in page and used_up not in page
    auth.post(f"/quizzes/attempts/{_start(auth, practice)}/submit")
    page = auth.client.get(f"/quizzes/{practice.id}").get_data(as_text=True)
    assert 'data-testid="start-attempt"' not in page
    assert used_up in page
    assert re.search(r'data-testid="attempts-allowed">[^<]*1[^<]*1', page)
    refused = auth.post(f"/quizzes/{practice.id}/start")
    assert refused.status_code == 302 and refused.headers["Location"].endswith(f"/{practice.id}")
    assert session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 1


def test_secretary_sees_a_higher_exams_report_for_their_subtree_only(
    app, session, auth, world, exam
):
    from learnapp.quizzes import attempts as services
    from learnapp.quizzes.models import FinishedBy

    with app.test_request_context():
        for member in (world.member_a, world.member_b):
            attempt = services.start_attempt(session, member, exam, FIXED_NOW)
            services.finalize(session, attempt.id, FIXED_NOW, FinishedBy.MEMBER)
        draft = make_quiz(session, world.root, make_paper(session, types=("judge",)), publish=False)
    session.commit()
    auth.login("seca")
    listing = auth.client.get("/quizzes/manage").get_data(as_text=True)
    assert 'data-testid="reportable-quizzes"' in listing and exam.title in listing
    page = auth.client.get(f"/quizzes/manage/{exam.id}/report").get_data(as_text=True)
    assert 'data-testid="report-scope"' in page
    assert world.member_a.display_name in page and world.member_b.display_name not in page
    assert f"/quizzes/manage/{exam.id}/regrade/" not in page
    export = auth.client.get(f"/quizzes/manage/{exam.id}/report.xlsx")
    assert export.status_code == 200
    _overview, grades, attempts, *_rest = load_workbook(io.BytesIO(export.data)).worksheets
    for sheet in (grades, attempts):
        assert [row[0] for row in sheet.iter_rows(min_row=3, values_only=True)] == [
            world.member_a.display_name
        ]
    assert auth.client.get(f"/quizzes/manage/{draft.id}/report").status_code == 404
    auth.logout()
    auth.login("admin")
    full = auth.client.get(f"/quizzes/manage/{exam.id}/report").get_data(as_text=True)
    assert world.member_b.display_name in full and 'data-testid="report-scope"' not in full


def test_author_edits_a_paper_and_its_rules_over_http(app, session, auth, world):
    from learnapp.quizzes.models import QuizItem, QuizRule

    with app.test_request_context():
        paper = make_paper(session)
        fixed = make_quiz(session, world.branch_a, paper, publish=False)
        drawn = make_quiz(
            session, world.branch_a, paper, publish=False, composition=Composition.RANDOM
        )
        elsewhere = make_quiz(session, world.root, paper, publish=False, title="党委的")
    session.commit()
    item = session.scalars(sa.select(QuizItem).where(QuizItem.quiz_id == fixed.id)).first()
    item_id, question_id = item.id, item.question_id
    auth.login("mema")
    assert auth.post(f"/quizzes/manage/{fixed.id}/items/{item_id}/delete").status_code == 403
    auth.logout()
    auth.login("seca")
    other = session.scalars(sa.select(QuizItem).where(QuizItem.quiz_id == elsewhere.id)).first()
    assert auth.post(f"/quizzes/manage/{elsewhere.id}/items/{other.id}/delete").status_code == 404
    assert auth.post(f"/quizzes/manage/{fixed.id}/items/{item_id}/delete").status_code == 302
    again = auth.post(f"/quizzes/manage/{fixed.id}/questions", {"question_ids": [question_id]})
    assert again.status_code == 302
    rule = {
        "bank_id": str(paper.bank.id),
        "knowledge_point_id": "0",
        "question_type": "judge",
        "difficulty": "0",
    }
    for count in ("0", "5"):  # a form error, and more than the bank's one judge question
        refused = auth.post(
            f"/quizzes/manage/{drawn.id}/rules", {**rule, "count": count, "points": "1"}
        )
        assert refused.status_code == 400, count
        assert 'name="count"' in refused.get_data(as_text=True), count
        assert "is-invalid" in refused.get_data(as_text=True), count
    reload(session)
    assert not session.scalars(sa.select(QuizRule).where(QuizRule.quiz_id == drawn.id)).all()
    added = auth.post(f"/quizzes/manage/{drawn.id}/rules", {**rule, "count": "1", "points": "2"})
    assert added.status_code == 302
    reload(session)
    stored = session.scalars(sa.select(QuizRule).where(QuizRule.quiz_id == drawn.id)).one()
    assert (stored.question_type, stored.count, stored.points) == ("judge", 1, Decimal("2.00"))
    assert [i.question_id for i in session.get(Quiz, fixed.id).items][-1] == question_id
    assert auth.post(f"/quizzes/manage/{drawn.id}/rules/{stored.id}/delete").status_code == 302
    reload(session)
    assert not session.scalars(sa.select(QuizRule).where(QuizRule.quiz_id == drawn.id)).all()


def test_autosave_passes_a_default_rate_limit_that_other_routes_meet(app, world, exam, monkeypatch):
    """Examinees behind one office address autosave many times a minute: the save is exempt
    from the limiter (extensions.rate_limit_free), and only it and the study heartbeat are."""
    from learnapp.extensions import limiter

    monkeypatch.setattr(limiter.limit_manager, "_default_limits", [])
    exempt = {
        endpoint
        for endpoint, view in app.view_functions.items()
        if getattr(view, "rate_limit_free", False)
    }
    assert exempt == {"quizzes.save", "study.beat"}
    limited = create_app(
        {
            **TEST_SETTINGS,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_DEFAULT": "3 per minute",
            "DATA_DIR": app.config["DATA_DIR"],
            "DATABASE_URL": app.config["DATABASE_URL"],
            "CLOCK": app.config["CLOCK"],
        }
    )
    examinee = Auth(limited.test_client())
    examinee.login("mema")
    attempt_id = _start(examinee, exam)
    token = examinee.csrf(f"/quizzes/attempts/{attempt_id}")
    seqs = []
    for seq in range(8):
        response = _save(examinee, attempt_id, {"position": 1, "seq": seq, "response": None}, token)
        seqs.append((response.status_code, response.get_json()["seq"]))
    pages = [examinee.client.get("/quizzes/").status_code for _ in range(4)]
    limited.extensions["learnapp.db"].engine.dispose()
    assert seqs == [(200, seq + 1) for seq in range(8)]
    assert 429 in pages


def test_the_quiz_list_says_what_is_left_to_do(app, session, auth, world):
    from flask_babel import gettext

    from learnapp.quizzes.models import QuizKind

    with app.test_request_context():
        paper = make_paper(session)
        practice = make_quiz(session, world.root, paper, kind=QuizKind.PRACTICE, attempts_allowed=1)
        used_up = gettext("You have used every attempt allowed for this quiz.")
        waiting, done = gettext("Today's questions are waiting"), gettext("Done today")
        one_of_one = gettext("%(used)d of %(allowed)d used", used=1, allowed=1)
    session.commit()
    auth.login("mema")

    def card(title_page, quiz_id):
        link = title_page.index(f'href="/quizzes/{quiz_id}"')
        start = title_page.rindex('data-testid="quiz-card"', 0, link)
        end = title_page.find('data-testid="quiz-card"', link)
        return title_page[start : end if end > 0 else None]

    attempt_id = _start(auth, practice)
    page = auth.client.get("/quizzes/").get_data(as_text=True)
    assert used_up not in card(page, practice.id)  # one in progress: it can be resumed
    auth.post(f"/quizzes/attempts/{attempt_id}/submit")
    page = auth.client.get("/quizzes/").get_data(as_text=True)
    assert used_up in card(page, practice.id)
    assert one_of_one in card(page, practice.id)
    assert waiting not in page and done not in page  # no daily practice open to this member


def test_the_quiz_page_says_when_an_exams_results_show(app, session, auth, world):
    from learnapp.clock import org_timezone
    from learnapp.quizzes.models import QuizKind

    with app.test_request_context():
        paper = make_paper(session, types=("single",))
        at_once = make_quiz(session, world.root, paper)
        only_attempt = make_quiz(session, world.root, paper, attempts_allowed=1)
        never = make_quiz(session, world.root, paper, release=ReleasePolicy.NEVER)
        after_close = make_quiz(session, world.root, paper, release=ReleasePolicy.AFTER_CLOSE)
        practice = make_quiz(session, world.root, paper, kind=QuizKind.PRACTICE)
        shows = after_close.closes_at + timedelta(seconds=after_close.grace_seconds)
        until = shows.astimezone(org_timezone()).strftime("%Y-%m-%d %H:%M")
    session.commit()

    def said(quiz) -> str | None:
        page = auth.client.get(f"/quizzes/{quiz.id}").get_data(as_text=True)
        found = re.search(r'data-testid="results-release">([^<]*)<', page)
        return found.group(1).strip() if found else None

    auth.login("mema")
    assert said(never) == "本场考试不公布成绩。"
    assert said(after_close) == f"成绩将在考试结束（{until}）后公布。"
    assert said(practice) is None  # practice shows its results with the answers at once
    auth.client.set_cookie(LANG_COOKIE, "en")
    assert said(only_attempt) == "Shown when you submit, with the answers."
    assert said(at_once) == (
        "Your score is shown when you submit; the answers when you have no attempts left or "
        "the exam closes."
    )
