"""Authoring screens by role, bad input, and the media route with range requests."""

from pathlib import Path

import pytest
import sqlalchemy as sa

from learnapp.courses.models import Course, CourseState, Lesson, LessonKind, Module
from learnapp.orgs.models import Role
from learnapp.study.models import LessonProgress
from tests.courses.factories import (
    MP4_HEAD,
    PDF_HEAD,
    make_course,
    make_lesson,
    make_media,
    make_module,
    mp4_file,
)
from tests.factories import FIXED_NOW, make_user
from tests.world import build_world


def _fresh(session):
    """Read what requests committed: end the test's read snapshot and forget loaded rows."""
    session.rollback()
    session.expire_all()


@pytest.fixture
def world(session):
    return build_world(session)


@pytest.fixture
def courses(session, world):
    """A root course for everyone, and one course owned by each branch."""
    root_course = make_course(session, owner_unit=world.root, title="全体课程")
    lesson = make_lesson(session, module=make_module(session, course=root_course))
    course_a = make_course(
        session, owner_unit=world.branch_a, audience_units=[world.branch_a], title="甲支部课程"
    )
    course_b = make_course(
        session, owner_unit=world.branch_b, audience_units=[world.branch_b], title="乙支部课程"
    )
    session.commit()
    return root_course, course_a, course_b, lesson


def _new_course_data(**overrides):
    data = {
        "title": "新课程",
        "summary": "简介",
        "is_required": "y",
        "owner_unit_id": "",
        "slug": "",
    }
    data.update(overrides)
    return data


AUTHORING = [
    "/courses/manage",
    "/courses/manage/new",
]


@pytest.mark.parametrize("path", AUTHORING)
def test_member_gets_403_on_authoring(auth, world, path):
    auth.login("mema")
    assert auth.client.get(path).status_code == 403


def test_member_gets_403_on_course_pages_and_posts(auth, world, courses):
    _root, course_a, _b, lesson = courses
    auth.login("mema")
    assert auth.client.get(f"/courses/manage/{course_a.id}").status_code == 403
    assert (
        auth.post(f"/courses/manage/{course_a.id}/state", {"target": "archived"}).status_code == 403
    )
    assert auth.client.get(f"/courses/manage/lessons/{lesson.id}/edit").status_code == 403


def test_admin_sees_every_course(auth, world, courses):
    auth.login("admin")
    page = auth.client.get("/courses/manage").get_data(as_text=True)
    assert "全体课程" in page and "甲支部课程" in page and "乙支部课程" in page


def test_secretary_sees_own_courses_and_gets_404_elsewhere(auth, world, courses):
    root_course, course_a, course_b, lesson = courses
    auth.login("seca")
    page = auth.client.get("/courses/manage").get_data(as_text=True)
    assert "甲支部课程" in page
    assert "乙支部课程" not in page and "全体课程" not in page
    assert auth.client.get(f"/courses/manage/{course_a.id}").status_code == 200
    assert auth.client.get(f"/courses/manage/{course_b.id}").status_code == 404
    assert auth.client.get(f"/courses/manage/{root_course.id}").status_code == 404
    assert auth.client.get(f"/courses/manage/lessons/{lesson.id}/edit").status_code == 404
    assert (
        auth.post(f"/courses/manage/{course_b.id}/state", {"target": "archived"}).status_code == 404
    )
    assert auth.client.get("/courses/manage/999999").status_code == 404


def test_admin_creates_course_module_and_text_lesson_then_publishes(auth, world, session):
    auth.login("admin")
    response = auth.post("/courses/manage/new", _new_course_data(owner_unit_id=str(world.root.id)))
    assert response.status_code == 302
    course = session.scalar(sa.select(Course).where(Course.title == "新课程"))
    assert course.state == CourseState.DRAFT
    response = auth.post(f"/courses/manage/{course.id}/modules", {"title": "第一章"})
    assert response.status_code == 302
    _fresh(session)
    module = session.get(Course, course.id).modules[0]
    response = auth.post(
        f"/courses/manage/modules/{module.id}/lessons/new",
        {
            "title": "第一节",
            "kind": "text",
            "module_id": str(module.id),
            "length": "20",
            "required_percent": "80",
            "nominal_hours": "",
            "body_source": "## 标题\n\n正文",
            "sources": "《中国共产党章程》总纲\n",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    _fresh(session)
    lesson = session.scalar(sa.select(Lesson).where(Lesson.title == "第一节"))
    assert str(lesson.nominal_hours) == "0.50"
    assert lesson.current_version.sources == ["《中国共产党章程》总纲"]
    response = auth.post(f"/courses/manage/{course.id}/state", {"target": "published"})
    assert response.status_code == 302
    _fresh(session)
    assert session.get(Course, course.id).state == CourseState.PUBLISHED


def test_secretary_creates_course_limited_to_their_branch(auth, world, session):
    auth.login("seca")
    response = auth.post(
        "/courses/manage/new",
        _new_course_data(
            owner_unit_id=str(world.branch_a.id), audience_units=[str(world.branch_b.id)]
        ),
    )
    assert response.status_code == 400  # branch_b is not among the choices
    response = auth.post(
        "/courses/manage/new", _new_course_data(owner_unit_id=str(world.branch_a.id))
    )
    assert response.status_code == 302
    course = session.scalar(sa.select(Course).where(Course.title == "新课程"))
    assert course.owner_unit_id == world.branch_a.id
    assert [u.id for u in course.audience_units] == [world.branch_a.id]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "长" * 201),
        ("title", ""),
        ("nominal_hours", "-1"),
        ("nominal_hours", "99999999999999999999999"),
        ("nominal_hours", "nan"),
        ("required_percent", "0"),
        ("required_percent", "101"),
        ("required_percent", "-5"),
        ("length", "0"),
        ("length", "abc"),
        ("length", "10:75"),
    ],
)
def test_bad_lesson_input_is_refused(auth, world, courses, session, field, value):
    _root_course, *_rest, lesson = courses
    auth.login("admin")
    data = {
        "title": "节",
        "kind": "text",
        "module_id": str(lesson.module_id),
        "length": "10",
        "required_percent": "80",
        "nominal_hours": "0.25",
        "body_source": "正文",
        "sources": "",
        field: value,
    }
    response = auth.post(f"/courses/manage/lessons/{lesson.id}/edit", data)
    assert response.status_code == 400
    _fresh(session)
    assert session.get(Lesson, lesson.id).title == lesson.title


def test_overlong_course_title_is_refused(auth, world):
    auth.login("admin")
    response = auth.post(
        "/courses/manage/new", _new_course_data(title="长" * 201, owner_unit_id=str(world.root.id))
    )
    assert response.status_code == 400


def test_xss_in_title_and_body_is_inert(auth, world, session):
    course = make_course(session, owner_unit=world.root, title='"><script>alert(1)</script>')
    lesson = make_lesson(
        session,
        module=make_module(session, course=course),
        title="<img src=x onerror=alert(1)>",
        body="<script>alert(2)</script>",
    )
    session.commit()
    auth.login("admin")
    detail = auth.client.get(f"/courses/manage/{course.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in detail
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in detail
    assert "<img src=x onerror" not in detail
    edit = auth.client.get(f"/courses/manage/lessons/{lesson.id}/edit").get_data(as_text=True)
    assert "<script>alert(2)</script>" not in edit
    preview = auth.post("/courses/manage/preview", {"body_source": "<script>x</script>**b**"})
    assert (
        preview.get_json()["html"] == "<p>x<strong>b</strong></p>"
        or "<script" not in preview.get_json()["html"]
    )


def test_a_course_with_unstudied_lessons_is_deleted_via_the_screen(auth, world, courses, session):
    root_course, course_a, *_ = courses
    root_id, course_a_id = root_course.id, course_a.id
    auth.login("admin")
    response = auth.post(f"/courses/manage/{root_id}/delete")
    assert response.status_code == 302 and response.location.endswith("/courses/manage")
    response = auth.post(f"/courses/manage/{course_a_id}/delete")
    assert response.status_code == 302
    _fresh(session)
    assert session.scalar(sa.select(Course.id).where(Course.id.in_([root_id, course_a_id]))) is None


def _studied(session, world, lesson):
    session.add(
        LessonProgress(
            member_id=world.member_a.id,
            lesson_id=lesson.id,
            started_at=FIXED_NOW,
            last_studied_at=FIXED_NOW,
        )
    )
    session.commit()


def test_a_studied_lesson_is_refused_on_screen_with_the_reason(auth, world, courses, session):
    root_course, *_rest, lesson = courses
    _studied(session, world, lesson)
    auth.login("admin")
    response = auth.post(f"/courses/manage/lessons/{lesson.id}/delete", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "已有党员学习过此课节，不能删除" in page
    response = auth.post(f"/courses/manage/{root_course.id}/delete", follow_redirects=True)
    assert "不能删除：他们的学习进度和已记学时都与之关联。请改为归档。" in response.get_data(
        as_text=True
    )
    _fresh(session)
    assert session.get(Lesson, lesson.id) is not None
    assert session.get(Course, root_course.id) is not None


def test_lesson_and_module_delete_by_role(auth, world, courses, session):
    _root_course, course_a, course_b, lesson = courses
    lesson_a = make_lesson(session, module=make_module(session, course=course_a))
    module_b = make_module(session, course=course_b)
    session.commit()
    lesson_id, module_id = lesson.id, lesson.module_id
    lesson_a_id, module_a_id, module_b_id = lesson_a.id, lesson_a.module_id, module_b.id
    auth.login("mema")
    assert auth.post(f"/courses/manage/lessons/{lesson_a_id}/delete").status_code == 403
    assert auth.post(f"/courses/manage/modules/{module_a_id}/delete").status_code == 403
    auth.logout()
    auth.login("seca")
    assert auth.post(f"/courses/manage/lessons/{lesson_id}/delete").status_code == 404
    assert auth.post(f"/courses/manage/modules/{module_b_id}/delete").status_code == 404
    assert auth.post("/courses/manage/lessons/999999/delete").status_code == 404
    assert auth.post(f"/courses/manage/lessons/{lesson_a_id}/delete").status_code == 302
    assert auth.post(f"/courses/manage/modules/{module_a_id}/delete").status_code == 302
    auth.logout()
    auth.login("admin")
    assert auth.post(f"/courses/manage/modules/{module_id}/delete").status_code == 302
    _fresh(session)
    assert session.get(Lesson, lesson_a_id) is None
    assert session.get(Lesson, lesson_id) is None
    assert session.get(Module, module_id) is None
    assert session.get(Module, module_b_id) is not None


def test_delete_without_csrf_token_is_refused(auth, world, courses, session):
    *_rest, lesson = courses
    auth.login("admin")
    response = auth.client.post(f"/courses/manage/lessons/{lesson.id}/delete")
    assert response.status_code == 400
    _fresh(session)
    assert session.get(Lesson, lesson.id) is not None


def test_deleting_a_lesson_removes_its_file_after_commit(auth, app, world, courses, session):
    _root, course_a, *_ = courses
    lesson = make_lesson(
        session, module=make_module(session, course=course_a), kind=LessonKind.DOCUMENT
    )
    media_dir = Path(app.config["DATA_DIR"]) / "media"
    media = make_media(
        session,
        lesson=lesson,
        media_dir=media_dir,
        data=PDF_HEAD + b"x",
        content_type="application/pdf",
        name="讲义.pdf",
    )
    session.commit()
    path = media_dir / media.storage_key
    assert path.exists()
    auth.login("admin")
    assert auth.post(f"/courses/manage/lessons/{lesson.id}/delete").status_code == 302
    assert not path.exists()


def test_illegal_state_change_is_explained_not_applied(auth, world, courses, session):
    root_course, *_ = courses
    auth.login("admin")
    response = auth.post(
        f"/courses/manage/{root_course.id}/state", {"target": "published"}, follow_redirects=True
    )
    assert response.status_code == 200
    _fresh(session)
    assert session.get(Course, root_course.id).state == CourseState.PUBLISHED
    assert (
        auth.post(f"/courses/manage/{root_course.id}/state", {"target": "nonsense"}).status_code
        == 400
    )


def _video(session, world, app, data):
    from pathlib import Path

    course = make_course(session, owner_unit=world.root, audience_units=[world.branch_a])
    lesson = make_lesson(session, module=make_module(session, course=course), kind=LessonKind.VIDEO)
    media = make_media(
        session,
        lesson=lesson,
        media_dir=Path(app.config["DATA_DIR"]) / "media",
        data=data,
        content_type="video/mp4",
        name="党章 第一讲.mp4",
    )
    session.commit()
    return lesson, media


def test_range_request_on_a_video_returns_206_with_the_right_bytes(auth, world, session, app):
    data = MP4_HEAD + bytes(range(256)) * 40
    lesson, media = _video(session, world, app, data)
    auth.login("mema")
    url = f"/courses/lessons/{lesson.id}/media/{media.id}"
    with auth.client.get(url, headers={"Range": "bytes=100-199"}) as response:
        assert response.status_code == 206
        assert response.data == data[100:200]
        assert response.headers["Content-Range"] == f"bytes 100-199/{len(data)}"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Type"] == "video/mp4"
        disposition = response.headers["Content-Disposition"]
    assert "filename*=UTF-8''%E5%85%9A%E7%AB%A0%20%E7%AC%AC%E4%B8%80%E8%AE%B2.mp4" in disposition
    assert disposition.startswith(f'inline; filename="lesson-media-{media.id}.mp4";')
    with auth.client.get(url) as whole:
        assert whole.status_code == 200 and whole.data == data


def test_media_outside_the_audience_is_404(auth, world, session, app):
    lesson, media = _video(session, world, app, MP4_HEAD + b"x" * 10)
    auth.login("memb")
    assert auth.client.get(f"/courses/lessons/{lesson.id}/media/{media.id}").status_code == 404
    auth.logout()
    auth.login("admin")
    with auth.client.get(f"/courses/lessons/{lesson.id}/media/{media.id}") as response:
        assert response.status_code == 200
    assert auth.client.get(f"/courses/lessons/{lesson.id}/media/{media.id + 99}").status_code == 404


def test_upload_through_the_screen(auth, world, session, app):
    import io

    course = make_course(session, owner_unit=world.root, state=CourseState.DRAFT)
    lesson = make_lesson(
        session, module=make_module(session, course=course), kind=LessonKind.DOCUMENT
    )
    session.commit()
    auth.login("admin")
    response = auth.post(
        f"/courses/manage/lessons/{lesson.id}/media",
        {"file": (io.BytesIO(PDF_HEAD + b"x" * 100), "学习材料.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    _fresh(session)
    stored = session.get(Lesson, lesson.id)
    assert stored.media.display_name == "学习材料.pdf"
    assert stored.media.content_type == "application/pdf"
    bad = auth.post(
        f"/courses/manage/lessons/{lesson.id}/media",
        {"file": (io.BytesIO(b"<html>"), "x.pdf")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Upload a PDF document." in bad.get_data(as_text=True) or "PDF" in bad.get_data(
        as_text=True
    )
    _fresh(session)
    assert session.get(Lesson, lesson.id).media.display_name == "学习材料.pdf"


def test_upload_above_site_limit_but_below_media_limit_is_accepted(auth, world, session, app):
    import io

    app.config["MAX_CONTENT_LENGTH"] = 1024
    course = make_course(session, owner_unit=world.root, state=CourseState.DRAFT)
    lesson = make_lesson(session, module=make_module(session, course=course), kind=LessonKind.VIDEO)
    session.commit()
    auth.login("admin")
    response = auth.post(
        f"/courses/manage/lessons/{lesson.id}/media",
        {"file": (io.BytesIO(MP4_HEAD + b"x" * 5000), "video.mp4")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    _fresh(session)
    assert session.get(Lesson, lesson.id).media.size_bytes == len(MP4_HEAD) + 5000


def test_the_lesson_form_gives_the_uploaded_files_size_in_the_pages_language(auth, world, session):
    import io

    course = make_course(session, owner_unit=world.root, state=CourseState.DRAFT)
    lesson = make_lesson(session, module=make_module(session, course=course), kind=LessonKind.VIDEO)
    session.commit()
    auth.login("admin")
    data = MP4_HEAD + b"x" * (688 - len(MP4_HEAD))
    response = auth.post(
        f"/courses/manage/lessons/{lesson.id}/media",
        {"file": (io.BytesIO(data), "video.mp4")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    page = auth.client.get(f"/courses/manage/lessons/{lesson.id}/edit").get_data(as_text=True)
    assert "video/mp4 · 688 字节" in page
    assert "Bytes" not in page


def test_pages_render_for_admin(auth, world, courses):
    root_course, _a, _b, lesson = courses
    auth.login("admin")
    for path in (
        "/courses/manage?state=published",
        "/courses/manage/new",
        f"/courses/manage/{root_course.id}",
        f"/courses/manage/{root_course.id}/edit",
        f"/courses/manage/modules/{lesson.module_id}/edit",
        f"/courses/manage/modules/{lesson.module_id}/lessons/new",
        f"/courses/manage/lessons/{lesson.id}/edit",
    ):
        assert auth.client.get(path).status_code == 200, path
    assert auth.client.get("/courses/manage/suggest-hours?length=31").get_json() == {
        "hours": "1.00"
    }


def test_modules_and_lessons_reorder_through_the_screen(auth, world, session):
    course = make_course(session, owner_unit=world.root)
    first = make_module(session, course=course, title="甲章")
    second = make_module(session, course=course, title="乙章")
    a = make_lesson(session, module=first, title="甲节")
    b = make_lesson(session, module=first, title="乙节")
    session.commit()
    auth.login("admin")
    assert (
        auth.post(f"/courses/manage/modules/{second.id}/move", {"direction": "up"}).status_code
        == 302
    )
    assert auth.post(f"/courses/manage/lessons/{b.id}/move", {"direction": "up"}).status_code == 302
    assert (
        auth.post(f"/courses/manage/lessons/{b.id}/move", {"direction": "sideways"}).status_code
        == 400
    )
    _fresh(session)
    from learnapp.courses.queries import course_outline

    outline = course_outline(session, session.get(Course, course.id))
    assert [m.title for m, _ in outline] == ["乙章", "甲章"]
    assert [lesson.title for lesson in outline[1][1]] == ["乙节", "甲节"]
    assert a.id != b.id


def test_module_rename_and_bad_title(auth, world, courses, session):
    *_rest, lesson = courses
    auth.login("admin")
    url = f"/courses/manage/modules/{lesson.module_id}/edit"
    assert auth.post(url, {"title": ""}).status_code == 400
    assert auth.post(url, {"title": "=HYPERLINK(1)"}).status_code == 400
    assert auth.post(url, {"title": "第一章 新名字"}).status_code == 302


def test_secretary_cannot_upload_or_rename_outside_their_branch(auth, world, courses, session):
    import io

    _root, _a, course_b, _lesson = courses
    module = make_module(session, course=course_b)
    lesson = make_lesson(session, module=module, kind=LessonKind.DOCUMENT)
    session.commit()
    auth.login("seca")
    response = auth.post(
        f"/courses/manage/lessons/{lesson.id}/media",
        {"file": (io.BytesIO(PDF_HEAD), "x.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 404
    assert auth.post(f"/courses/manage/modules/{module.id}/edit", {"title": "x"}).status_code == 404
    assert auth.post(f"/courses/manage/{course_b.id}/modules", {"title": "x"}).status_code == 404


def test_changing_a_video_lesson_to_text_drops_its_file(auth, world, session, app):
    lesson, _media = _video(session, world, app, MP4_HEAD + b"x" * 10)
    auth.login("admin")
    response = auth.post(
        f"/courses/manage/lessons/{lesson.id}/edit",
        {
            "title": lesson.title,
            "kind": "text",
            "module_id": str(lesson.module_id),
            "length": "12:30",
            "required_percent": "90",
            "nominal_hours": "",
            "body_source": "改为图文",
            "sources": "",
        },
    )
    assert response.status_code == 302
    _fresh(session)
    stored = session.get(Lesson, lesson.id)
    assert stored.kind == LessonKind.TEXT
    assert stored.media is None
    assert stored.length_seconds == 750
    assert str(stored.required_share) == "0.90"
    assert str(stored.nominal_hours) == "0.25"


def test_home_shows_course_authoring_counts_to_managers_only(auth, world, courses):
    auth.login("seca")
    page = auth.client.get("/").get_data(as_text=True)
    assert 'data-testid="home-course-authoring"' in page
    auth.logout()
    auth.login("mema")
    assert 'data-testid="home-course-authoring"' not in auth.client.get("/").get_data(as_text=True)


def test_uploading_an_mp4_takes_its_duration_as_the_lesson_length(auth, world, session):
    import io

    course = make_course(session, owner_unit=world.root, state=CourseState.DRAFT)
    lesson = make_lesson(session, module=make_module(session, course=course), kind=LessonKind.VIDEO)
    session.commit()
    auth.login("admin")
    page = auth.post(
        f"/courses/manage/lessons/{lesson.id}/media",
        {"file": (io.BytesIO(mp4_file(1000, 1_234_000)), "第一讲.mp4")},
        content_type="multipart/form-data",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "20 min 34 s" in page or "20 分 34 秒" in page
    _fresh(session)
    assert session.get(Lesson, lesson.id).length_seconds == 1234


def test_authors_preview_a_draft_lesson_as_members_will_see_it(auth, world, session):
    course = make_course(
        session, owner_unit=world.branch_a, audience_units=[world.branch_a], state=CourseState.DRAFT
    )
    lesson = make_lesson(
        session, module=make_module(session, course=course), body="## 学习要点\n\n**遵义会议**"
    )
    make_user(
        session, username="secb", unit=world.branch_b, roles=((Role.SECRETARY, world.branch_b),)
    )
    session.commit()
    preview = f"/courses/manage/lessons/{lesson.id}/preview"
    auth.login("seca")
    edit_page = auth.client.get(f"/courses/manage/lessons/{lesson.id}/edit").get_data(as_text=True)
    assert preview in edit_page
    page = auth.client.get(preview)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<h2>学习要点</h2>" in html and "<strong>遵义会议</strong>" in html
    assert 'data-testid="lesson-preview-note"' in html
    # Members of the branch still cannot study it, and other authors cannot preview it.
    auth.logout()
    auth.login("mema")
    assert auth.client.get(f"/study/lessons/{lesson.id}").status_code == 404
    assert auth.client.get(preview).status_code == 403
    auth.logout()
    auth.login("secb")
    assert auth.client.get(preview).status_code == 404
