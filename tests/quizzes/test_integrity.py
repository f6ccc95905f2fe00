"""Exam integrity over HTTP, one test per threat of security.md §3 not covered elsewhere:
E1 (every response of an attempt in progress searched for its keys, those of a second attempt
too: E2, and those of the same questions asked before in a practice or an earlier exam), E2 with E3 (results "after close" wait until nobody can answer the exam any more: the
grace of attempts still open, members' own later closes; never without a close time), E6
(foreign ids), E10, E11, E13, E15 and E16 (a refused security token never loses answers)."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import sqlalchemy as sa
from flask import request, request_finished

from learnapp.quizzes.authoring import update_quiz
from learnapp.quizzes.models import (
    AnswerLog,
    Attempt,
    AttemptQuestion,
    AttemptState,
    QuestionReport,
    Quiz,
    QuizKind,
    ReleasePolicy,
)
from learnapp.quizzes.overrides import OverrideInput, save_override
from tests.conftest import reload
from tests.factories import FIXED_NOW
from tests.quizzes.helpers import EXPLANATION, make_paper, make_quiz, settings_of


def _start(auth, quiz) -> int:
    response = auth.post(f"/quizzes/{quiz.id}/start")
    return int(re.search(r"/quizzes/attempts/(\d+)$", response.headers["Location"]).group(1))


def _slots(session, attempt_id):
    reload(session)
    return session.scalars(
        sa.select(AttemptQuestion)
        .where(AttemptQuestion.attempt_id == attempt_id)
        .order_by(AttemptQuestion.position)
    ).all()


def _save(auth, attempt_id, payload, token):
    return auth.client.post(
        f"/quizzes/attempts/{attempt_id}/answers", json=payload, headers={"X-CSRFToken": token}
    )


@contextmanager
def _served(app) -> Iterator[list[tuple[str, str]]]:
    """Every (path, body) the app sends while the block runs."""
    served = []

    def capture(sender, response, **extra):
        if not response.direct_passthrough:
            served.append((request.path, response.get_data(as_text=True)))

    request_finished.connect(capture, app)
    try:
        yield served
    finally:
        request_finished.disconnect(capture, app)


def _keys_of(slots) -> set[str]:
    """What would give away an answer of these frozen versions: explanations, reference answers
    and key points, fill-in answers and their synonyms (not bare digits, which any page has),
    and the key fields themselves."""
    keys = {"is_correct", "explanation", "key_points", '"answer"', '"answers"'}
    for slot in slots:
        version = slot.version
        spec = version.spec
        keys.add(version.explanation)
        keys.add(spec.get("reference", ""))
        keys.update(spec.get("key_points", []))
        keys.update(word for blank in spec.get("blanks", []) for word in blank)
    return {key for key in keys if key.strip() and not key.isdigit()}


def test_e1_no_response_served_during_an_attempt_contains_its_keys(app, session, auth, exam):
    auth.login("mema")
    attempt_id = _start(auth, exam)
    slots = _slots(session, attempt_id)
    keys = _keys_of(slots)
    assert len(keys) > 5
    with _served(app) as served:
        token = auth.csrf("/profile")
        for path in ("/", "/inbox", "/quizzes/", f"/quizzes/{exam.id}", "/quizzes/wrong-book"):
            auth.client.get(path)
        auth.client.get(f"/quizzes/attempts/{attempt_id}")
        auth.client.get(f"/quizzes/attempts/{attempt_id}/result", follow_redirects=True)
        choice = slots[0].option_ids[0]
        _save(auth, attempt_id, {"position": 1, "seq": 0, "response": {"value": choice}}, token)
        _save(auth, attempt_id, {"position": 1, "seq": 0, "response": {"value": choice}}, token)
        _save(auth, attempt_id, {"position": 1, "seq": 0, "response": None}, token)
        _save(auth, attempt_id, {"position": 4, "seq": 0, "response": {"blanks": ["九"]}}, token)
        _save(auth, attempt_id, {"position": 99, "seq": 0, "response": None}, token)
        _save(auth, attempt_id, {"position": 2, "seq": 0, "response": {"values": ["x"]}}, token)
        auth.client.post(
            f"/quizzes/attempts/{attempt_id}/signals",
            json={"kind": "hidden"},
            headers={"X-CSRFToken": token},
        )
        auth.post(f"/quizzes/attempts/{attempt_id}/save", {"q4-0": "十", "seq-4": "1"})
        auth.client.get(f"/quizzes/attempts/{attempt_id}")
        auth.post(f"/quizzes/attempts/{attempt_id}/items/1/report", {"text": "答案?"})
    reload(session)
    assert session.get(Attempt, attempt_id).state == AttemptState.IN_PROGRESS
    assert len(served) >= 15
    for path, body in served:
        for key in keys:
            assert key not in body, (path, key)
    # Options carry the attempt's opaque ids, never the bank's option indexes.
    page = auth.client.get(f"/quizzes/attempts/{attempt_id}").get_data(as_text=True)
    for slot in slots[:2]:
        shown = re.findall(rf'name="q{slot.position}"[^>]*value="([^"]*)"', page)
        assert sorted(shown) == sorted(slot.option_ids)
    # Once submitted the score shows at once; the keys wait while an attempt is left.
    auth.post(f"/quizzes/attempts/{attempt_id}/submit")
    review = auth.client.get(f"/quizzes/attempts/{attempt_id}/result").get_data(as_text=True)
    assert 'data-testid="result-percent"' in review and 'data-testid="answers-withheld"' in review
    assert slots[0].version.explanation not in review


def test_e2_no_response_during_a_second_attempt_contains_the_keys_of_the_first(
    app, session, auth, exam
):
    """The second attempt asks the same questions: while it is in progress, no page gives their
    keys away, the first attempt's result (another tab) included. With no attempt left, the
    first result shows them."""
    auth.login("mema")
    first = _start(auth, exam)
    auth.post(f"/quizzes/attempts/{first}/submit")
    second = _start(auth, exam)
    slots = _slots(session, first)
    keys = _keys_of(slots)
    pages = (
        "/",
        "/inbox",
        "/quizzes/",
        f"/quizzes/{exam.id}",
        "/quizzes/wrong-book",
        f"/quizzes/attempts/{first}/result",
        f"/quizzes/attempts/{second}",
        f"/quizzes/attempts/{second}/result",
    )
    with _served(app) as served:
        for path in pages:
            auth.client.get(path, follow_redirects=True)
    assert len(served) >= len(pages)
    for path, body in served:
        for key in keys:
            assert key not in body, (path, key)
    result = auth.client.get(f"/quizzes/attempts/{first}/result").get_data(as_text=True)
    assert 'data-testid="result-percent"' in result and 'data-testid="answers-withheld"' in result
    assert 'data-testid="review-item"' not in result
    auth.post(f"/quizzes/attempts/{second}/submit")
    result = auth.client.get(f"/quizzes/attempts/{first}/result").get_data(as_text=True)
    assert slots[0].version.explanation in result and 'data-testid="answers-withheld"' not in result


def _reasons(page: str) -> list[str]:
    """Why each question shown without its review waits (release.Withheld)."""
    return re.findall(r'data-testid="key-withheld" data-reason="([a-z_]+)"', page)


def test_e2_no_page_of_the_member_gives_the_keys_of_questions_they_are_answering(
    app, session, auth, world
):
    """The questions of an attempt in progress were asked before, elsewhere: in a practice
    (or a 每日答题, which draws from the 错题本) and an earlier exam whose results are out.
    While the attempt is in progress none of the member's pages shows their keys: not those
    results, not the 错题本, not a report from them; each says why, and the score still shows.
    Once it is submitted, they show again."""
    with app.test_request_context():
        paper = make_paper(session)
        practice = make_quiz(session, world.root, paper, kind=QuizKind.PRACTICE, title="练习")
        earlier = make_quiz(session, world.root, paper, attempts_allowed=1, title="上月考试")
        exam = make_quiz(session, world.root, paper, attempts_allowed=2)
    session.commit()
    auth.login("mema")
    practiced, taken = _start(auth, practice), _start(auth, earlier)
    for attempt_id in (practiced, taken):  # everything unanswered: wrong, in the 错题本
        auth.post(f"/quizzes/attempts/{attempt_id}/submit")
    keys = _keys_of(_slots(session, practiced))
    results = [f"/quizzes/attempts/{attempt_id}/result" for attempt_id in (practiced, taken)]
    for path in (*results, "/quizzes/wrong-book"):
        assert EXPLANATION in auth.client.get(path).get_data(as_text=True), path
    first = _start(auth, exam)
    auth.post(f"/quizzes/attempts/{first}/submit")
    second = _start(auth, exam)  # the same questions again
    pages = (
        "/",
        "/inbox",
        "/quizzes/",
        f"/quizzes/{practice.id}",
        f"/quizzes/{earlier.id}",
        f"/quizzes/{exam.id}",
        "/quizzes/wrong-book",
        *results,
        f"/quizzes/attempts/{first}/result",
        f"/quizzes/attempts/{second}",
    )
    with _served(app) as served:
        for path in pages:
            auth.client.get(path, follow_redirects=True)
        refused = [
            auth.post(f"{path.removesuffix('/result')}/items/1/report", {"text": "答案是什么？"})
            for path in results
        ]
    assert len(served) >= len(pages) + len(results)
    for path, body in served:
        for key in keys:
            assert key not in body, (path, key)
    assert [response.status_code for response in refused] == [404, 404]
    reload(session)
    assert not session.scalar(sa.select(sa.func.count()).select_from(QuestionReport))
    for path in results:
        page = _result(auth, path.split("/")[-2])
        assert 'data-testid="result-percent"' in page and 'data-testid="review-item"' not in page
        assert _reasons(page) == ["answering"] * len(paper.questions)
        assert "您正在作答的答题中包含此题，交卷后再显示答案。" in page
    assert set(_reasons(auth.client.get("/quizzes/wrong-book").get_data(True))) == {"answering"}
    auth.post(f"/quizzes/attempts/{second}/submit")
    for path in (*results, "/quizzes/wrong-book"):
        page = auth.client.get(path).get_data(as_text=True)
        assert EXPLANATION in page and not _reasons(page), path
    reported = auth.post(f"/quizzes/attempts/{practiced}/items/1/report", {"text": "答案有误"})
    assert reported.status_code == 302


def _after_close_exam(app, session, world):
    """An exam whose results show after it closes (in two hours): 30 minutes to answer, a
    60 s grace, one attempt."""
    with app.test_request_context():
        quiz = make_quiz(
            session,
            world.root,
            make_paper(session),
            release=ReleasePolicy.AFTER_CLOSE,
            closes_at=FIXED_NOW + timedelta(hours=2),
            attempts_allowed=1,
        )
    session.commit()
    return quiz


def _submitted(auth, quiz, username) -> int:
    auth.login(username)
    attempt_id = _start(auth, quiz)
    auth.post(f"/quizzes/attempts/{attempt_id}/submit")
    auth.logout()
    return attempt_id


def _result(auth, attempt_id) -> str:
    response = auth.client.get(f"/quizzes/attempts/{attempt_id}/result")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _shows_no_key(page, keys) -> bool:
    return 'data-testid="result-withheld"' in page and not any(key in page for key in keys)


def _choose_first(auth, session, attempt_id, seq):
    """The member's autosave of the first question; the CSRF token comes from their page."""
    choice = _slots(session, attempt_id)[0].option_ids[seq % 4]
    body = {"position": 1, "seq": seq, "response": {"value": choice}}
    return _save(auth, attempt_id, body, auth.csrf("/profile"))


def test_e2_after_close_keys_wait_for_the_grace_of_attempts_still_answering(
    app, session, auth, clock, world
):
    """The organisers close the exam early: a member whose attempt is still open answers
    through the grace, and nobody meets the keys before it has passed."""
    quiz = _after_close_exam(app, session, world)
    done = _submitted(auth, quiz, "memb")
    keys = _keys_of(_slots(session, done))
    auth.login("mema")
    answering = _start(auth, quiz)
    clock.advance(minutes=10)
    reload(session)
    found = session.get(Quiz, quiz.id)
    with app.test_request_context():
        update_quiz(session, world.admin, found, settings_of(found, closes_at=clock()), clock())
    session.commit()
    clock.advance(seconds=60)  # the last second of the grace
    saved = _choose_first(auth, session, answering, 0)
    assert saved.status_code == 200 and saved.json["outcome"] == "saved"
    auth.logout()
    auth.login("memb")
    page = _result(auth, done)
    assert _shows_no_key(page, keys) and 'data-testid="result-percent"' not in page
    assert "成绩将在考试结束（" in page
    clock.advance(seconds=1)  # nobody can answer any more
    page = _result(auth, done)
    assert 'data-testid="result-percent"' in page and 'data-testid="review-item"' in page
    assert EXPLANATION in page
    auth.logout()
    auth.login("mema")
    late = _choose_first(auth, session, answering, 1)
    assert late.status_code == 409 and late.json["outcome"] == "late"


def test_e2_after_close_keys_wait_for_a_members_later_close(app, session, auth, clock, world):
    quiz = _after_close_exam(app, session, world)
    own_close = FIXED_NOW + timedelta(days=1)
    with app.test_request_context():
        grant = OverrideInput(closes_at=own_close, reason="出差补考")
        save_override(session, world.admin, quiz, world.member_a, grant, FIXED_NOW)
    session.commit()
    done = _submitted(auth, quiz, "memb")
    keys = _keys_of(_slots(session, done))
    clock.at = FIXED_NOW + timedelta(hours=3)  # the quiz's own close and grace have passed
    auth.login("memb")
    assert _shows_no_key(_result(auth, done), keys)
    auth.logout()
    auth.login("mema")  # on their own terms the exam is open: they start and answer
    answering = _start(auth, quiz)
    assert _choose_first(auth, session, answering, 0).json["outcome"] == "saved"
    auth.logout()
    clock.at = own_close + timedelta(seconds=60)  # their close and its grace: the last second
    auth.login("memb")
    assert _shows_no_key(_result(auth, done), keys)
    clock.advance(seconds=1)
    assert EXPLANATION in _result(auth, done)


def test_e2_after_close_without_a_close_time_shows_no_result(app, session, auth, clock, world):
    """An exam stored before "after close" needed a close time: never treated as "at once"."""
    quiz = _after_close_exam(app, session, world)
    reload(session)
    session.get(Quiz, quiz.id).closes_at = None
    session.commit()
    done = _submitted(auth, quiz, "memb")
    keys = _keys_of(_slots(session, done))
    for days in (0, 400):
        clock.at = FIXED_NOW + timedelta(days=days, hours=1)
        auth.login("memb")
        page = _result(auth, done)
        assert _shows_no_key(page, keys) and 'data-testid="result-percent"' not in page
        assert "成绩将在考试结束后公布。" in page
    assert auth.post(f"/quizzes/attempts/{done}/items/1/report", {"text": "?"}).status_code == 404


def test_e6_every_attempt_route_answers_404_for_another_members_attempt(session, auth, exam):
    auth.login("mema")
    attempt_id = _start(auth, exam)
    auth.logout()
    auth.login("memb")
    token = auth.csrf("/profile")
    signal = auth.client.post(
        f"/quizzes/attempts/{attempt_id}/signals",
        json={"kind": "hidden"},
        headers={"X-CSRFToken": token},
    )
    assert signal.status_code == 404
    report = auth.post(f"/quizzes/attempts/{attempt_id}/items/1/report", {"text": "x"})
    assert report.status_code == 404
    reload(session)
    assert not session.scalar(sa.select(sa.func.count()).where(AnswerLog.attempt_id == attempt_id))


def test_e10_no_sequential_mode_every_slot_of_the_layout_answers_in_any_order(session, auth, exam):
    """The paper has no sequential-navigation mode to bypass: every slot of the frozen layout is
    on the one page and may be answered in any order; slots outside it are refused (E8)."""
    auth.login("mema")
    attempt_id = _start(auth, exam)
    page = auth.client.get(f"/quizzes/attempts/{attempt_id}?page=99").get_data(as_text=True)
    slots = _slots(session, attempt_id)
    assert re.findall(r'data-slot="(\d+)"', page) == [str(s.position) for s in slots]
    token = auth.csrf("/profile")
    last = slots[-1]
    saved = _save(
        auth,
        attempt_id,
        {"position": last.position, "seq": 0, "response": {"text": "先答最后一题"}},
        token,
    )
    assert saved.status_code == 200
    outside = _save(auth, attempt_id, {"position": 0, "seq": 0, "response": None}, token)
    assert outside.status_code == 400


def test_e11_a_quiz_before_it_opens_or_after_it_closes_cannot_be_started(
    app, session, auth, clock, world
):
    with app.test_request_context():
        quiz = make_quiz(
            session,
            world.root,
            make_paper(session, types=("judge",)),
            opens_at=FIXED_NOW + timedelta(hours=1),
            closes_at=FIXED_NOW + timedelta(hours=3),
        )
    session.commit()
    auth.login("mema")
    page = auth.client.get(f"/quizzes/{quiz.id}").get_data(as_text=True)
    assert "quiz-unavailable" in page and "start-attempt" not in page
    assert auth.post(f"/quizzes/{quiz.id}/start").headers["Location"].endswith(f"/{quiz.id}")
    clock.advance(hours=4)
    assert auth.post(f"/quizzes/{quiz.id}/start").headers["Location"].endswith(f"/{quiz.id}")
    reload(session)
    assert not session.scalar(sa.select(sa.func.count()).where(Attempt.quiz_id == quiz.id))


def test_e13_exam_autosave_gives_no_feedback_on_correctness(session, auth, exam):
    auth.login("mema")
    attempt_id = _start(auth, exam)
    single = _slots(session, attempt_id)[0]
    right = single.option_ids[single.option_order.index(single.version.spec["answer"])]
    wrong = next(i for i in single.option_ids if i != right)
    token = auth.csrf("/profile")
    first = _save(auth, attempt_id, {"position": 1, "seq": 0, "response": {"value": right}}, token)
    second = _save(auth, attempt_id, {"position": 1, "seq": 1, "response": {"value": wrong}}, token)
    assert first.json == {"outcome": "saved", "seq": 1}
    assert second.json == {"outcome": "saved", "seq": 2}


def test_e15_the_deadline_is_the_servers_whatever_the_client_sends(session, auth, clock, exam):
    auth.login("mema")
    attempt_id = _start(auth, exam)
    reload(session)
    deadline = session.get(Attempt, attempt_id).deadline_at
    assert deadline == FIXED_NOW + timedelta(minutes=30)
    token = auth.csrf("/profile")
    _save(
        auth,
        attempt_id,
        {
            "position": 3,
            "seq": 0,
            "response": None,
            "now": "2099-01-01T00:00:00Z",
            "deadline_at": "2099-01-01T00:00:00Z",
            "timezone": "Pacific/Kiritimati",
        },
        token,
    )
    page = auth.client.get(f"/quizzes/attempts/{attempt_id}").get_data(as_text=True)
    assert f'data-deadline="{deadline.isoformat()}"' in page
    clock.advance(minutes=32)  # past the deadline and its 60 s grace, by the server's clock
    late = _save(auth, attempt_id, {"position": 3, "seq": 0, "response": None}, token)
    assert late.json["outcome"] == "late"
    reload(session)
    assert session.get(Attempt, attempt_id).deadline_at == deadline


def test_e16_a_refused_token_on_submit_brings_the_answers_back_unsaved(session, auth, exam):
    auth.login("mema")
    attempt_id = _start(auth, exam)
    # The page's script takes the answers a page is served with as the saved ones, except on
    # a page that brings a refused post's answers back.
    assert "data-unsaved" not in auth.client.get(f"/quizzes/attempts/{attempt_id}").get_data(True)
    judge = _slots(session, attempt_id)[2]
    answer = "true" if judge.version.spec["answer"] else "false"
    refused = auth.client.post(
        f"/quizzes/attempts/{attempt_id}/submit",
        data={"csrf_token": "expired", "q3": answer, "q4-0": "第八条", "q5": "我的长篇作答"},
    )
    assert refused.status_code == 400
    assert refused.headers["Cache-Control"] == "no-store"
    page = refused.get_data(as_text=True)
    assert 'data-testid="post-refused"' in page and "data-unsaved" in page
    assert 'value="第八条"' in page and "我的长篇作答</textarea>" in page
    assert re.search(rf'name="q3" id="q3-{answer}" value="{answer}"[^>]*checked', page)
    reload(session)
    assert session.get(Attempt, attempt_id).state == AttemptState.IN_PROGRESS
    assert all(slot.response is None for slot in _slots(session, attempt_id))
    # Sent again from that page (it carries a good token), the answers are saved and graded.
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    done = auth.client.post(
        f"/quizzes/attempts/{attempt_id}/submit",
        data={"csrf_token": token, "q3": answer, "seq-3": "0", "q4-0": "第八条", "seq-4": "0"},
    )
    assert done.status_code == 302
    reload(session)
    attempt = session.get(Attempt, attempt_id)
    assert attempt.state == AttemptState.GRADED and attempt.score >= 1


def test_e16_a_refused_autosave_gets_a_fresh_token_to_retry_with(session, auth, exam):
    auth.login("mema")
    attempt_id = _start(auth, exam)
    body = {"position": 4, "seq": 0, "response": {"blanks": ["八"]}}
    refused = _save(auth, attempt_id, body, "stale-token")
    assert refused.status_code == 400 and refused.json["error"]
    retried = _save(auth, attempt_id, body, refused.json["csrf_token"])
    assert retried.status_code == 200 and retried.json["outcome"] == "saved"


def test_e16_a_refused_token_elsewhere_keeps_the_usual_message(session, auth, exam):
    auth.login("mema")
    response = auth.client.post(f"/quizzes/{exam.id}/start", data={"csrf_token": "stale"})
    assert response.status_code == 400 and "csrf_token" not in (response.json or {})
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(Quiz)) == 1


def test_e16_the_security_token_outlives_the_longest_exam(app):
    """Flask-WTF's default token lifetime (3,600 s) is shorter than an exam may be; the token
    must last at least the longest time limit plus the longest grace, or be bound to the login
    session alone (None)."""
    from learnapp.quizzes.authoring import MAX_DURATION_SECONDS, MAX_GRACE_SECONDS

    limit = app.config["WTF_CSRF_TIME_LIMIT"]
    assert limit is None or limit >= MAX_DURATION_SECONDS + MAX_GRACE_SECONDS
