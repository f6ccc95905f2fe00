"""How the member's ledger (我的学时) and their secretary's copy name two kinds of entry: a passed
course final test (结业考试) is credited by its own rule, not for lesson time, and names the
test; study a secretary recorded on the member's behalf (送学上门) says so in the reader's
language, from the claim's flag, while the stored note holds only what was studied."""

from datetime import date

from learnapp.hours.models import HoursCategory, LedgerEntry, SourceType
from learnapp.hours.services import credit, reverse_entry
from learnapp.orglife.claims import record_on_behalf
from learnapp.web import LANG_COOKIE
from tests.factories import FIXED_NOW, make_user
from tests.study.factories import make_course, make_lesson
from tests.world import build_world


def _ledger(page: str) -> str:
    return page[page.index('data-testid="ledger"') :]


def _final_test_and_lesson(app, session, world):
    course = make_course(session, owner_unit=world.root, title="学习党章")
    lesson = make_lesson(session, course=course, title="第一章 党员")
    with app.test_request_context():
        credit(
            session, world.member_a, HoursCategory.ONLINE, SourceType.COURSE_TEST, course.id,
            "0.5", 300, FIXED_NOW, note="党章结业测试",
        )  # fmt: skip
        credit(
            session, world.member_a, HoursCategory.ONLINE, SourceType.LESSON, lesson.id,
            "0.25", 600, FIXED_NOW,
        )  # fmt: skip
    session.commit()


def _items(page: str) -> list[str]:
    return [
        item.split("</li>")[0] for item in _ledger(page).split('data-testid="ledger-entry"')[1:]
    ]


def test_a_passed_final_test_is_named_and_not_called_verified_study_time(app, auth, session):
    world = build_world(session)
    _final_test_and_lesson(app, session, world)
    auth.login("mema")
    items = _items(auth.client.get("/study/me").get_data(as_text=True))
    test_item = next(item for item in items if "党章结业测试" in item)
    lesson_item = next(item for item in items if "第一章 党员" in item)
    assert "课程结业考试：党章结业测试" in test_item and "答题用时 5 分钟" in test_item
    assert "有效学习" not in test_item
    assert "有效学习 10 分钟" in lesson_item  # a lesson's time is verified study time

    auth.client.set_cookie(LANG_COOKIE, "en")
    items = _items(auth.client.get("/study/me").get_data(as_text=True))
    test_item = next(item for item in items if "党章结业测试" in item)
    assert "Course final test: 党章结业测试" in test_item and "time on the test" in test_item
    assert "verified" not in test_item


def test_the_secretary_sees_the_final_test_named_the_same_way(app, auth, session):
    world = build_world(session)
    _final_test_and_lesson(app, session, world)
    auth.login("seca")
    page = auth.client.get(f"/completion/members/{world.member_a.id}").get_data(as_text=True)
    assert "课程结业考试：党章结业测试" in _ledger(page)


def _recorded_on_behalf(app, session, world):
    elderly = make_user(
        session, username="old", display_name="廖国", unit=world.branch_a, is_elderly_exempt=True
    )
    with app.test_request_context():
        claim = record_on_behalf(
            session,
            world.secretary_a,
            elderly,
            category=HoursCategory.COLLECTIVE,
            hours="2",
            studied_on=date(2026, 3, 2),
            description="上门学习党章",
            now=FIXED_NOW,
        )
    session.commit()
    return elderly, claim


def test_study_recorded_on_behalf_is_stored_without_words_of_one_language(app, session):
    world = build_world(session)
    _, claim = _recorded_on_behalf(app, session, world)
    assert session.get(LedgerEntry, claim.ledger_entry_id).note == "上门学习党章"


def test_study_recorded_on_behalf_says_so_in_the_readers_language(app, auth, session):
    world = build_world(session)
    elderly, _ = _recorded_on_behalf(app, session, world)
    auth.login("old")
    ledger = _ledger(auth.client.get("/study/me").get_data(as_text=True))
    assert "送学上门：上门学习党章" in ledger
    auth.client.set_cookie(LANG_COOKIE, "en")
    ledger = _ledger(auth.client.get("/study/me").get_data(as_text=True))
    assert "Recorded on behalf: 上门学习党章" in ledger and "送学上门" not in ledger

    auth.logout()
    auth.login("seca")
    page = auth.client.get(f"/completion/members/{elderly.id}").get_data(as_text=True)
    assert "Recorded on behalf: 上门学习党章" in _ledger(page) and "送学上门" not in _ledger(page)


def test_a_members_own_claim_is_not_said_to_be_recorded_on_behalf(app, auth, session):
    world = build_world(session)
    with app.test_request_context():
        credit(
            session, world.member_a, HoursCategory.EXTERNAL, SourceType.CLAIM, 7, "2", 0,
            FIXED_NOW, note="市委党校专题培训班",
        )  # fmt: skip
    session.commit()
    auth.login("mema")
    auth.client.set_cookie(LANG_COOKIE, "en")
    ledger = _ledger(auth.client.get("/study/me").get_data(as_text=True))
    assert "市委党校专题培训班" in ledger and "Recorded on behalf" not in ledger


def test_a_correction_names_the_study_recorded_on_behalf_it_cancels(app, auth, session):
    world = build_world(session)
    _, claim = _recorded_on_behalf(app, session, world)
    with app.test_request_context():
        entry = session.get(LedgerEntry, claim.ledger_entry_id)
        reverse_entry(session, world.secretary_a, entry, "记录有误", FIXED_NOW)
    session.commit()
    auth.login("old")
    auth.client.set_cookie(LANG_COOKIE, "en")
    ledger = _ledger(auth.client.get("/study/me").get_data(as_text=True))
    assert "(Collective study · Recorded on behalf: 上门学习党章)" in ledger
