"""What the ledger pages say beside a page of entries (study.queries.ledger_notes): the
correction cancelling an entry, the entry a correction cancels, the lessons' titles."""

from learnapp.hours.models import HoursCategory, SourceType
from learnapp.hours.services import credit, reverse_entry
from learnapp.study.queries import ledger_notes
from tests.factories import FIXED_NOW
from tests.study.factories import make_course, make_lesson
from tests.world import build_world


def test_notes_link_a_cancelled_entry_and_its_correction_both_ways(session, app):
    world = build_world(session)
    course = make_course(session, owner_unit=world.root)
    lesson = make_lesson(session, course=course, title="第二章 党的组织制度")
    with app.test_request_context():
        cancelled = credit(
            session,
            world.member_a,
            HoursCategory.ONLINE,
            SourceType.LESSON,
            lesson.id,
            "1",
            1800,
            FIXED_NOW,
        )
        standing = credit(
            session,
            world.member_a,
            HoursCategory.SELF_STUDY,
            SourceType.SELF_STUDY,
            "note",
            "1",
            0,
            FIXED_NOW,
            note="读党章",
        )
        correction = reverse_entry(session, world.secretary_a, cancelled, "重复计入", FIXED_NOW)

    # A page holding the cancelled entry and the other one: the correction is found.
    notes = ledger_notes(session, [cancelled, standing])
    assert notes.reversals == {cancelled.id: correction}
    assert notes.originals == {}
    assert notes.titles == {lesson.id: "第二章 党的组织制度"}

    # A page holding only the correction: the entry it cancels, and that entry's lesson title.
    notes = ledger_notes(session, [correction])
    assert notes.reversals == {}
    assert notes.originals == {cancelled.id: cancelled}
    assert notes.titles == {lesson.id: "第二章 党的组织制度"}


def test_an_empty_page_has_no_notes(session):
    notes = ledger_notes(session, [])
    assert (notes.reversals, notes.originals, notes.titles) == ({}, {}, {})
