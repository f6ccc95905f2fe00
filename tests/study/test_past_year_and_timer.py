"""My study of a past year reads as a closed year; the lesson timer reads in one format and shows
the time the server counts toward completion."""

import re
from datetime import UTC, date, datetime

from learnapp.hours.models import HoursCategory
from learnapp.orglife.claims import approve_claim, submit_claim
from tests.factories import FIXED_NOW, make_user
from tests.orglife.factories import PDF
from tests.study.factories import make_course, make_lesson
from tests.study.helpers import Studier
from tests.world import build_world

LAST_YEAR = datetime(2025, 12, 30, 2, 0, tzinfo=UTC)


def _claim(session, member, hours, day, now):
    return submit_claim(
        session,
        member,
        category=HoursCategory.CENTRALISED,
        hours=hours,
        studied_on=day,
        description=f"{day.isoformat()} 集中培训",
        filename="证书.pdf",
        data=PDF,
        now=now,
    )


def _english_member(session, app, counted: str):
    """A member (English pages) with `counted` hours approved in 2025, a claim of 2025 still
    waiting and one of 2026 waiting."""
    world = build_world(session)
    member = make_user(
        session,
        username="english",
        unit=world.branch_a,
        locale="en",
        created_at=datetime(2024, 6, 1, tzinfo=UTC),  # a member in 2025
    )
    with app.test_request_context():
        done = _claim(session, member, counted, date(2025, 6, 1), LAST_YEAR)
        approve_claim(session, world.secretary_a, done, LAST_YEAR)
        _claim(session, member, "2", date(2025, 12, 29), LAST_YEAR)
        _claim(session, member, "3", date(2026, 3, 1), FIXED_NOW)
    session.commit()
    client = app.test_client()
    Studier.login(client, "english")
    return client


def _text(page: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</', page, re.S)
    return " ".join(found.group(1).split())


def test_a_past_year_missed_says_by_how_much_in_the_past_tense(session, app):
    client = _english_member(session, app, "20")
    page = client.get("/study/me?year=2025").get_data(as_text=True)
    assert _text(page, "target-state") == (
        "The requirement of 2025 was not met: 12.00 study hours short."
    )
    assert "to go" not in page and "this year's target" not in page
    # Only that year's claims, and no self-study form: self-study is recorded this year only.
    pending = page[page.index('data-testid="pending-claims"') :]
    assert pending.count('data-testid="pending-claim"') == 1 and "2025-12-29" in pending
    assert "2026-03-01" not in pending
    assert 'data-testid="self-study-form"' not in page
    current = client.get("/study/me").get_data(as_text=True)
    assert _text(current, "target-state") == "32.00 study hours to go."
    assert 'data-testid="self-study-form"' in current
    pending = current[current.index('data-testid="pending-claims"') :]
    assert pending.count('data-testid="pending-claim"') == 1 and "2026-03-01" in pending


def test_a_past_year_met_says_so(session, app):
    client = _english_member(session, app, "40")
    page = client.get("/study/me?year=2025").get_data(as_text=True)
    assert _text(page, "target-state") == "The requirement of 2025 was met."


def test_a_past_year_without_claims_has_no_claims_section(session, app):
    world = build_world(session)
    make_user(session, username="english", unit=world.branch_a, locale="en")
    session.commit()
    client = app.test_client()
    Studier.login(client, "english")
    page = client.get("/study/me?year=2024").get_data(as_text=True)
    assert 'data-testid="pending-claims"' not in page
    assert "Nothing was recorded in 2024." in page


def _arrows(page: str) -> dict[str, tuple[str, str]]:
    """The year arrows: testid → (href, text)."""
    return {
        testid: (href, " ".join(text.split()))
        for href, testid, text in re.findall(
            r'<a [^>]*href="([^"]+)" data-testid="(year-previous|year-next)">([^<]*)</a>', page
        )
    }


def test_no_verdict_for_a_year_before_the_account_and_arrows_step_one_year(session, app):
    world = build_world(session)
    # 2025-11-01 in Shanghai, as the demo's accounts: 2024 was before the member joined.
    make_user(
        session,
        username="english",
        unit=world.branch_a,
        locale="en",
        created_at=datetime(2025, 10, 31, 16, 0, tzinfo=UTC),
    )
    session.commit()
    client = app.test_client()
    Studier.login(client, "english")
    before = client.get("/study/me?year=2024").get_data(as_text=True)
    assert 'data-testid="target-state"' not in before  # no "not met: 32.00 short"
    assert "not on the platform yet in 2024" in _text(before, "exempt")
    assert _arrows(before) == {"year-next": ("/study/me?year=2025", "2025 ›")}
    joined = client.get("/study/me?year=2025").get_data(as_text=True)
    assert _text(joined, "target-state").startswith("The requirement of 2025 was not met")
    assert _arrows(joined) == {"year-next": ("/study/me", "2026 ›")}  # 2024 is before it
    current = client.get("/study/me").get_data(as_text=True)
    assert _arrows(current) == {"year-previous": ("/study/me?year=2025", "‹ 2025")}


def _lesson_page(client, lesson_id) -> tuple[str, str]:
    page = client.get(f"/study/lessons/{lesson_id}").get_data(as_text=True)
    return _text(page, "verified-time"), _text(page, "required-time")


def test_the_timer_reads_in_one_format_and_never_beyond_the_required_time(session, app, clock):
    world = build_world(session)
    make_user(session, username="english", unit=world.branch_a, locale="en")
    course = make_course(session, owner_unit=world.root, title="学习党章")
    # 480 s at a required share of 0.8: 384 s, 6 min 24 s.
    lesson = make_lesson(session, course=course, length_seconds=480, required_share="0.8")
    session.commit()
    client = app.test_client()
    studier = Studier.login(client, "english")
    sid = studier.start(lesson.id)
    for seq in range(1, 10):  # 180 s
        clock.advance(seconds=20)
        studier.beat(sid, seq)
    assert _lesson_page(client, lesson.id) == ("3 min 0 s", "6 min 24 s")
    for seq in range(10, 21):  # 400 s, the end not reached yet
        clock.advance(seconds=20)
        result = studier.beat(sid, seq).get_json()
    assert result["verified_seconds"] == 400 and not result["completed"]
    assert result["counted_seconds"] == 384
    assert _lesson_page(client, lesson.id) == ("6 min 24 s", "6 min 24 s")
    clock.advance(seconds=20)
    result = studier.beat(sid, 21, reached_end=True).get_json()
    assert result["completed"] and result["counted_seconds"] == result["required_seconds"] == 384
    assert studier.progress(lesson.id)["counted_seconds"] == 384
    page = client.get(f"/study/lessons/{lesson.id}").get_data(as_text=True)
    assert _text(page, "verified-time") == "6 min 24 s"
    assert 'data-completed="true"' in page and 'data-verified="384"' in page
