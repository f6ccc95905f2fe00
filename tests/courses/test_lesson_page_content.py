"""What a lesson's author writes is what members read: its sources and its headings, on the
member's lesson page and on the author's preview."""

import re

from learnapp.orgs.models import Role
from tests.courses.factories import make_course, make_lesson, make_module
from tests.factories import make_user
from tests.world import build_world


def _sources(page: str) -> list[str] | None:
    """The items of the page's sources list; None when the page has none."""
    found = re.search(r'data-testid="lesson-sources">(.*?)</section>', page, re.S)
    if found is None:
        return None
    return re.findall(r"<li>(.*?)</li>", found.group(1), re.S)


def _edit(auth, lesson, *, body: str, sources: str):
    return auth.post(
        f"/courses/manage/lessons/{lesson.id}/edit",
        {
            "title": lesson.title,
            "kind": "text",
            "module_id": str(lesson.module_id),
            "length": "10",
            "required_percent": "80",
            "nominal_hours": "0.25",
            "body_source": body,
            "sources": sources,
        },
    )


def _branch_lesson(session):
    world = build_world(session)
    course = make_course(session, owner_unit=world.branch_a, audience_units=[world.branch_a])
    lesson = make_lesson(session, module=make_module(session, course=course))
    session.commit()
    return world, lesson


def test_the_sources_a_secretary_enters_show_below_the_lesson_escaped(auth, session):
    _, lesson = _branch_lesson(session)
    auth.login("seca")
    sources = "党章 第一章\n\n<b>《条例》</b> 第三条\n"
    assert _edit(auth, lesson, body="正文", sources=sources).status_code == 302
    preview = auth.client.get(f"/courses/manage/lessons/{lesson.id}/preview")
    expected = ["党章 第一章", "&lt;b&gt;《条例》&lt;/b&gt; 第三条"]
    page = preview.get_data(as_text=True)
    assert _sources(page) == expected
    assert ">出处</h2>" in page
    auth.logout()
    auth.login("mema")
    page = auth.client.get(f"/study/lessons/{lesson.id}").get_data(as_text=True)
    assert _sources(page) == expected
    assert "<b>《条例》" not in page
    # Below the text, above the end of the lesson that reading must reach.
    assert page.index("<p>正文</p>") < page.index('data-testid="lesson-sources"')
    assert page.index('data-testid="lesson-sources"') < page.index("data-study-end")


def test_a_lesson_without_sources_shows_no_sources_list(auth, session):
    _, lesson = _branch_lesson(session)
    auth.login("seca")
    assert _sources(auth.client.get(f"/courses/manage/lessons/{lesson.id}/preview").text) is None
    auth.logout()
    auth.login("mema")
    assert _sources(auth.client.get(f"/study/lessons/{lesson.id}").text) is None


def test_sources_of_a_lesson_stay_with_its_audience_and_its_authors(auth, session):
    world, lesson = _branch_lesson(session)
    make_user(
        session, username="secb", unit=world.branch_b, roles=((Role.SECRETARY, world.branch_b),)
    )
    session.commit()
    auth.login("seca")
    assert _edit(auth, lesson, body="正文", sources="党章 第一章").status_code == 302
    auth.logout()
    auth.login("memb")
    assert auth.client.get(f"/study/lessons/{lesson.id}").status_code == 404
    auth.logout()
    auth.login("secb")
    assert auth.client.get(f"/courses/manage/lessons/{lesson.id}/preview").status_code == 404


def test_an_authors_headings_are_headings_below_the_pages_title(auth, session):
    _, lesson = _branch_lesson(session)
    auth.login("seca")
    body = "# 学习要点\n\n## 第一条\n\n正文"
    assert _edit(auth, lesson, body=body, sources="").status_code == 302
    pages = [auth.client.get(f"/courses/manage/lessons/{lesson.id}/preview").text]
    auth.logout()
    auth.login("mema")
    pages.append(auth.client.get(f"/study/lessons/{lesson.id}").text)
    for page in pages:
        assert "<h2>学习要点</h2>\n<h3>第一条</h3>" in page
        assert page.count("<h1") == 1  # the lesson's title
