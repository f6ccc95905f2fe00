"""The member's study pages: course list, course outline, lesson page, My study, self-study."""

import re
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from learnapp.courses.models import LessonKind
from learnapp.errors import DomainError
from learnapp.forms import ENTER_A_NUMBER
from learnapp.hours.models import HoursCategory, LedgerEntry, SourceType
from learnapp.hours.services import SELF_STUDY_HOURS_MESSAGE, credit, record_self_study
from learnapp.orglife.claims import submit_claim
from learnapp.study.queries import progress_by_member
from tests.factories import FIXED_NOW, make_user
from tests.study.factories import make_course, make_lesson
from tests.study.helpers import Studier
from tests.world import build_world

STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE)


def _clean(html: str) -> str:
    assert not STYLE_ATTRIBUTE.search(html)
    assert not INLINE_SCRIPT.search(html)
    return html


def _course_with_lessons(session):
    world = build_world(session)
    course = make_course(session, owner_unit=world.root, title="学习党章")
    first = make_lesson(session, course=course, title="总纲", length_seconds=20, required_share="1")
    second = make_lesson(session, course=course, title="第一章 党员", kind=LessonKind.VIDEO)
    session.commit()
    return world, course, first, second


def _complete(client, clock, lesson_id):
    studier = Studier.login(client, "mema")
    sid = studier.start(lesson_id)
    clock.advance(seconds=20)
    assert studier.beat(sid, 1, reached_end=True).get_json()["completed"]
    return studier


def test_course_list_course_page_and_home_show_progress(client, session, clock):
    _, course, first, second = _course_with_lessons(session)
    _complete(client, clock, first.id)
    listing = _clean(client.get("/study/").get_data(as_text=True))
    assert "学习党章" in listing
    assert '<progress class="study-progress" value="1" max="2"' in listing
    assert f'href="/study/lessons/{second.id}"' in listing  # continue with the next lesson
    outline = _clean(client.get(f"/study/courses/{course.id}").get_data(as_text=True))
    assert outline.count('data-testid="lesson-status"') == 2
    assert f'href="/courses/{course.id}/board" data-testid="course-board-link"' in outline
    home = _clean(client.get("/").get_data(as_text=True))
    assert 'data-testid="continue-learning"' in home and "第一章 党员" in home


def test_the_course_outline_names_each_lessons_kind_with_an_icon(client, session):
    _, course, _first, _second = _course_with_lessons(session)
    Studier.login(client, "mema")
    outline = _clean(client.get(f"/study/courses/{course.id}").get_data(as_text=True))
    kinds = re.findall(r'data-testid="lesson-kind"[^>]*>\s*<svg', outline)
    assert len(kinds) == 2
    labels = re.findall(r'class="lesson-kind" role="img" aria-label="([^"]+)"', outline)
    assert labels == ["图文", "视频"]
    assert "¶" not in outline


def test_continue_where_i_left_off_is_the_last_unfinished_lesson(client, session, clock):
    _, course, _, _ = _course_with_lessons(session)
    third = make_lesson(session, course=course, title="第三节", length_seconds=600)
    session.commit()
    studier = Studier.login(client, "mema")
    studier.start(third.id)
    page = client.get("/study/").get_data(as_text=True)
    resume = page.split('data-testid="continue-learning"')[0].rsplit("<a", 1)[1]
    assert f"/study/lessons/{third.id}" in resume


def test_lesson_page_carries_the_tracker_and_its_rhythm(app, client, session):
    _, _, first, second = _course_with_lessons(session)
    app.config["STUDY_HEARTBEAT_SECONDS"] = 3
    Studier.login(client, "mema")
    page = _clean(client.get(f"/study/lessons/{first.id}").get_data(as_text=True))
    assert 'data-heartbeat-seconds="3"' in page
    assert f'data-start-url="/study/lessons/{first.id}/sessions"' in page
    assert "js/study.js" in page
    video = client.get(f"/study/lessons/{second.id}").get_data(as_text=True)
    assert 'data-kind="video"' in video


def test_my_study_explains_every_entry(client, session, clock):
    _, _, first, _ = _course_with_lessons(session)
    _complete(client, clock, first.id)
    page = _clean(client.get("/study/me").get_data(as_text=True))
    assert 'data-testid="counted-hours">0.25<' in page
    assert "/ 32" in page
    assert page.count('data-testid="ledger-entry"') == 1
    assert f'href="/study/lessons/{first.id}"' in page and "总纲" in page
    assert "2019-1" in page
    # Course progress: one of the course's two lessons completed.
    assert '<progress class="study-progress" value="1" max="2"></progress>' in page


def test_secretaries_see_56_and_exempt_members_see_exempt(app, client, session):
    world = build_world(session)
    make_user(session, username="elder", unit=world.branch_a, is_elderly_exempt=True)
    session.commit()
    Studier.login(client, "seca")
    assert "/ 56" in client.get("/study/me").get_data(as_text=True)
    other = app.test_client()
    Studier.login(other, "elder")
    assert 'data-testid="exempt"' in other.get("/study/me").get_data(as_text=True)


def test_self_study_form_records_and_validates(client, session, auth):
    world = build_world(session)
    auth.login("memb")
    bad = auth.post("/study/me/self-study", {"day": "2026-03-11", "hours": "1", "note": "读书"})
    assert bad.status_code == 400
    assert "The date cannot be in the future." in bad.get_data(as_text=True) or (
        "日期不能" in bad.get_data(as_text=True)
    )
    too_much = auth.post("/study/me/self-study", {"day": "2026-03-10", "hours": "9", "note": "x"})
    assert too_much.status_code == 400
    good = auth.post(
        "/study/me/self-study", {"day": "2026-03-09", "hours": "1.5", "note": "学习新党章"}
    )
    assert good.status_code == 302
    session.rollback()
    entry = session.scalars(
        sa.select(LedgerEntry).where(LedgerEntry.member_id == world.member_b.id)
    ).one()
    assert entry.category == HoursCategory.SELF_STUDY and entry.hours == Decimal("1.50")
    page = auth.client.get("/study/me").get_data(as_text=True)
    assert "学习新党章" in page and 'data-testid="counted-hours">0.00<' in page


def test_my_study_of_a_past_year(ctx, client, session):
    world = build_world(session)
    record_self_study(
        session, world.member_b, day=date(2026, 1, 2), hours="1", note="元旦学习", now=FIXED_NOW
    )
    session.commit()
    Studier.login(client, "memb")
    assert "元旦学习" not in client.get("/study/me?year=2025").get_data(as_text=True)
    assert client.get("/study/me?year=2027").status_code == 404
    assert client.get("/study/me?year=abc").status_code == 400


def test_entries_credited_by_other_packages_say_what_they_were_for(ctx, client, session):
    world = build_world(session)
    credit(
        session,
        world.member_a,
        HoursCategory.COLLECTIVE,
        SourceType.MEETING,
        7,
        "2",
        0,
        FIXED_NOW,
        note="三月支部党员大会",
    )
    credit(
        session,
        world.member_a,
        HoursCategory.ONLINE,
        SourceType.COURSE_TEST,
        3,
        "0.5",
        0,
        FIXED_NOW,
    )
    session.commit()
    Studier.login(client, "mema")
    page = _clean(client.get("/study/me").get_data(as_text=True))
    assert page.count('data-testid="ledger-entry"') == 2
    assert "三月支部党员大会" in page
    assert "course_test" not in page  # the raw source type is never shown
    assert 'data-testid="counted-hours">2.50<' in page


def test_my_study_says_when_the_daily_cap_cut_a_credit(ctx, client, session):
    world = build_world(session)
    for source_id in range(1, 6):
        credit(
            session,
            world.member_a,
            HoursCategory.ONLINE,
            SourceType.LESSON,
            source_id,
            "1",
            1800,
            FIXED_NOW,
        )
    session.commit()
    Studier.login(client, "mema")
    page = _clean(client.get("/study/me").get_data(as_text=True))
    assert 'data-testid="counted-hours">4.00<' in page
    assert "计入 0.00 / 1.00 学时：当天在线学习已达每日上限 4.00 学时。" in page


def test_my_study_shows_the_rules_figures_with_two_places_like_every_hours_figure(client, session):
    build_world(session)
    session.commit()
    Studier.login(client, "mema")
    page = _clean(client.get("/study/me").get_data(as_text=True))
    assert "在线学习每日最多计 4.00 学时" in page  # stored as "4.0"
    assert "/ 32.00 " in page and "年度要求：32.00 学时" in page  # stored as "32"
    assert "4.0 学时" not in page and "32 学时" not in page


def test_progress_by_member_reads_many_members_in_one_query(client, session, clock):
    world, _, first, second = _course_with_lessons(session)
    _complete(client, clock, first.id)
    session.rollback()
    both = progress_by_member(
        session, [world.member_a.id, world.member_b.id], [first.id, second.id]
    )
    assert set(both) == {world.member_a.id}  # member_b never opened a lesson
    assert set(both[world.member_a.id]) == {first.id}
    assert both[world.member_a.id][first.id].completed_at is not None
    assert progress_by_member(session, [world.member_a.id], []) == {}
    assert progress_by_member(session, [], [first.id]) == {}


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def test_a_refused_self_study_says_so_at_the_top_and_returns_to_the_form(session, auth):
    build_world(session)
    auth.login("memb")
    page = auth.client.get("/study/me").get_data(as_text=True)
    assert 'action="/study/me/self-study#self-study"' in page
    assert 'data-testid="self-study-failed"' not in page
    refused = auth.post("/study/me/self-study", {"day": "2026-03-10", "hours": "9", "note": "x"})
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    alert = text.index('data-testid="self-study-failed"')
    assert alert < text.index('data-testid="year-summary"')
    assert 'href="#self-study"' in text[alert:] and 'id="self-study"' in text


def test_an_impossible_self_study_date_is_called_invalid_not_missing(session, auth):
    build_world(session)
    auth.login("memb")
    response = auth.post(
        "/study/me/self-study", {"day": "2026-02-30", "hours": "1", "note": "读书"}
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "不是有效的日期值。" in text and "该字段是必填字段" not in text
    assert "读书" in text  # what was typed is kept
    assert session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) == 0


def test_self_study_hours_are_quarter_hours_from_a_quarter_to_eight(session, auth):
    world = build_world(session)
    make_user(session, username="english", unit=world.branch_a, locale="en")
    session.commit()
    auth.login("english")
    page = auth.client.get("/study/me").get_data(as_text=True)
    hours_input = re.search(r'<input[^>]*name="hours"[^>]*>', page).group(0)
    assert 'step="0.25"' in hours_input and 'min="0.25"' in hours_input
    assert 'max="8"' in hours_input
    quarter = str(SELF_STUDY_HOURS_MESSAGE)
    for hours in ("0.3", "0.1", "0", "8.25", "-1"):
        response = auth.post(
            "/study/me/self-study", {"day": "2026-03-09", "hours": hours, "note": "读书"}
        )
        assert response.status_code == 400, hours
        assert quarter in response.get_data(as_text=True), hours
    for hours in ("abc", ""):
        response = auth.post(
            "/study/me/self-study", {"day": "2026-03-09", "hours": hours, "note": "读书"}
        )
        text = response.get_data(as_text=True)
        assert response.status_code == 400 and str(ENTER_A_NUMBER) in text, hours
        assert "This field is required." not in text
    for hours in ("0.25", "7.75"):
        response = auth.post(
            "/study/me/self-study", {"day": "2026-03-08", "hours": hours, "note": "读书"}
        )
        assert response.status_code == 302, hours


def test_the_service_refuses_hours_that_are_not_quarter_hours(ctx, session):
    world = build_world(session)
    for hours in ("0.3", "0.001", "8.5"):
        with pytest.raises(DomainError) as refused:
            record_self_study(
                session,
                world.member_b,
                day=date(2026, 3, 9),
                hours=hours,
                note="读书",
                now=FIXED_NOW,
            )
        assert refused.value.field == "hours"
    entry = record_self_study(
        session, world.member_b, day=date(2026, 3, 9), hours="0.75", note="读书", now=FIXED_NOW
    )
    assert entry.hours == Decimal("0.75")


def test_my_study_shows_my_pending_claims_and_links_to_claims(session, app):
    world = build_world(session)
    with app.test_request_context():
        claim = submit_claim(
            session,
            world.member_b,
            category=HoursCategory.EXTERNAL,
            hours=Decimal(3),
            studied_on=date(2026, 3, 1),
            description="学习强国专题课程",
            filename="证明.pdf",
            data=PDF,
            now=FIXED_NOW,
        )
    session.commit()
    client = app.test_client()
    Studier.login(client, "memb")
    page = client.get("/study/me").get_data(as_text=True)
    section = page[page.index('data-testid="pending-claims"') :]
    assert section.count('data-testid="pending-claim"') == 1
    assert "学习强国专题课程" in section and "3.00" in section
    assert f'href="/orglife/claims/{claim.id}"' in section
    assert 'href="/orglife/claims"' in section
    other = app.test_client()
    Studier.login(other, "mema")  # no claims: only the way to make one
    page = other.get("/study/me").get_data(as_text=True)
    section = page[page.index('data-testid="pending-claims"') :]
    assert 'data-testid="pending-claim"' not in section and 'href="/orglife/claims"' in section


def test_my_study_reads_naturally_in_english(session, app):
    world = build_world(session)
    make_user(session, username="english", unit=world.branch_a, locale="en")
    session.commit()
    client = app.test_client()
    Studier.login(client, "english")
    page = client.get("/study/me").get_data(as_text=True)
    target = re.search(r'data-testid="annual-target">([^<]+)<', page).group(1)
    assert target.startswith("Annual target: 32") and target.endswith("(party members).")
    assert "How this total is made up" in page
    assert "Why the total is what it is" not in page
