"""A course's final test as its members see it (course page, quiz page, result), and a video or
PDF lesson whose file is not uploaded yet in a published course."""

import re

import sqlalchemy as sa

from learnapp.courses.models import CourseState, LessonKind
from learnapp.hours.models import HoursCategory, SourceType
from learnapp.hours.services import credit
from learnapp.quizzes.models import AttemptQuestion, QuizKind
from tests.conftest import reload
from tests.factories import FIXED_NOW
from tests.quizzes.helpers import make_paper, make_quiz
from tests.study.factories import make_course, make_lesson
from tests.study.helpers import Studier
from tests.world import build_world

MISSING_FILE = "本节文件尚未上传，暂不记录学习时长"


def _final_test(app, session, world, course, **overrides):
    with app.test_request_context():
        quiz = make_quiz(
            session,
            world.root,
            make_paper(session, types=("single",)),
            **{
                "title": "党章结业测试",
                "kind": QuizKind.PRACTICE,
                "attempts_allowed": 0,
                "course_id": course.id,
                **overrides,
            },
        )
    session.commit()
    return quiz


def test_course_page_links_its_final_test_and_says_what_passing_adds(app, client, session):
    world = build_world(session)
    course = make_course(session, owner_unit=world.root, title="学习党章")
    make_lesson(session, course=course, title="总纲")
    session.commit()
    quiz = _final_test(app, session, world, course)
    _final_test(app, session, world, course, title="别处的测试", audience_units=[world.branch_b])
    Studier.login(client, "mema")
    page = client.get(f"/study/courses/{course.id}").get_data(as_text=True)
    tests = page[page.index('data-testid="final-tests"') :]
    assert f'href="/quizzes/{quiz.id}"' in tests and "党章结业测试" in tests
    assert "别处的测试" not in tests  # not meant for this member
    assert "通过结业考试可计入 0.50 学时" in tests
    quiz_page = client.get(f"/quizzes/{quiz.id}").get_data(as_text=True)
    assert f'data-testid="final-test-course"><a href="/study/courses/{course.id}">' in quiz_page

    with app.test_request_context():
        credit(
            session, world.member_a, HoursCategory.ONLINE, SourceType.COURSE_TEST, course.id,
            "0.5", 0, FIXED_NOW,
        )  # fmt: skip
    session.commit()
    page = client.get(f"/study/courses/{course.id}").get_data(as_text=True)
    assert f"已于 {FIXED_NOW.date().isoformat()} 通过，计入 0.50 学时" in page


def test_course_without_a_final_test_shows_none(client, session):
    world = build_world(session)
    course = make_course(session, owner_unit=world.root)
    make_lesson(session, course=course)
    session.commit()
    Studier.login(client, "mema")
    page = client.get(f"/study/courses/{course.id}").get_data(as_text=True)
    assert 'data-testid="final-tests"' not in page


def test_result_of_a_passed_final_test_says_passed_and_where_the_hours_go(
    app, auth, client, session
):
    world = build_world(session)
    course = make_course(session, owner_unit=world.root, title="学习党章")
    make_lesson(session, course=course)
    session.commit()
    quiz = _final_test(app, session, world, course)
    auth.login("mema")
    started = auth.post(f"/quizzes/{quiz.id}/start")
    attempt_id = int(re.search(r"/attempts/(\d+)$", started.headers["Location"]).group(1))
    reload(session)
    slot = session.scalars(
        sa.select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt_id)
    ).one()
    right = slot.option_ids[slot.option_order.index(slot.version.spec["answer"])]
    done = auth.post(f"/quizzes/attempts/{attempt_id}/submit", {"seq-1": "0", "q1": right})
    assert done.status_code == 302
    result = client.get(done.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="result-passed"' in result
    assert "本测试是课程“学习党章”的结业考试" in result and 'href="/study/me"' in result


def test_video_lesson_without_its_file_runs_no_tracker(client, session):
    world = build_world(session)
    course = make_course(session, owner_unit=world.root)
    text = make_lesson(session, course=course)
    video = make_lesson(session, course=course, kind=LessonKind.VIDEO, has_file=False)
    document = make_lesson(session, course=course, kind=LessonKind.DOCUMENT, has_file=False)
    session.commit()
    Studier.login(client, "mema")
    for lesson in (video, document):
        page = client.get(f"/study/lessons/{lesson.id}").get_data(as_text=True)
        assert 'id="study-tracker"' not in page and MISSING_FILE in page
    page = client.get(f"/study/lessons/{text.id}").get_data(as_text=True)
    assert 'id="study-tracker"' in page and MISSING_FILE not in page


def test_editor_is_told_members_see_a_published_lesson_without_its_file(auth, session):
    world = build_world(session)
    published = make_course(session, owner_unit=world.root)
    live = make_lesson(session, course=published, kind=LessonKind.VIDEO, has_file=False)
    draft = make_course(session, owner_unit=world.root, state=CourseState.DRAFT)
    unpublished = make_lesson(session, course=draft, kind=LessonKind.VIDEO, has_file=False)
    session.commit()
    auth.login("admin")
    page = auth.client.get(f"/courses/manage/lessons/{live.id}/edit").get_data(as_text=True)
    assert "尚未上传文件：党员已能看到本节，但文件上传前无法学习。" in page
    page = auth.client.get(f"/courses/manage/lessons/{unpublished.id}/edit").get_data(as_text=True)
    assert "党员已能看到本节" not in page and 'data-testid="media-missing"' in page
