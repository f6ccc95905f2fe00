"""Display names of the 学时 categories and of the sources entries are credited for."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from learnapp.hours.models import HoursCategory, SourceType

CATEGORY_LABELS = {
    HoursCategory.CENTRALISED: _l("Centralised training"),
    HoursCategory.COLLECTIVE: _l("Collective study"),
    HoursCategory.ONLINE: _l("Online study"),
    HoursCategory.SELF_STUDY: _l("Self-study"),
    HoursCategory.EXTERNAL: _l("External study"),
}

SOURCE_LABELS = {
    SourceType.LESSON: _l("Lesson completed"),
    SourceType.SELF_STUDY: _l("Self-study recorded"),
    SourceType.REVERSAL: _l("Correction"),
    SourceType.MEETING: _l("Meeting attended"),
    SourceType.CLAIM: _l("Approved study record"),
    SourceType.COURSE_TEST: _l("Course final test passed"),
}


def hours_category_label(category) -> str:
    return str(CATEGORY_LABELS.get(HoursCategory(category), category))


def hours_source_label(source_type) -> str:
    return str(SOURCE_LABELS.get(SourceType(source_type), source_type))


SUBJECT_LENGTH = 40  # characters of a note quoted to name an entry


def entry_text(entry, ledger) -> str:
    """What an entry was credited for, in words its reader knows: the lesson's title; a course
    final test (结业考试) by the test's name; study a secretary recorded on the member's behalf
    (送学上门, a claim whose id is in `ledger.on_behalf`) said as such, in the reader's language;
    else the entry's note (the meeting's title, the claim's description, the self-study note);
    else the kind of source. `ledger` is study.queries.LedgerNotes."""
    note = " ".join(entry.note.split())
    if entry.source_type == SourceType.LESSON:
        title = ledger.titles.get(int(entry.source_id))
        if title:
            return title
    elif entry.source_type == SourceType.COURSE_TEST and note:
        return _("Course final test: %(test)s", test=note)
    elif entry.source_type == SourceType.CLAIM and entry.source_id in ledger.on_behalf:
        return _("Recorded on behalf: %(what)s", what=note)
    elif note:
        return note
    return hours_source_label(entry.source_type)


def entry_subject(entry, ledger) -> str:
    """entry_text cut to SUBJECT_LENGTH characters, to name an entry inside another line."""
    text = entry_text(entry, ledger)
    return text if len(text) <= SUBJECT_LENGTH else text[: SUBJECT_LENGTH - 1] + "…"


def correction_label(reversal, original, ledger) -> str:
    """A correction named by the entry it cancels: that entry's day, category and subject (a
    correction keeps its entry's day and category, so these stand even without `original`)."""
    what = hours_category_label(reversal.category)
    if original is not None:
        what = f"{what} · {entry_subject(original, ledger)}"
    return _(
        "Correction of the entry of %(day)s (%(what)s)",
        day=reversal.credited_on.isoformat(),
        what=what,
    )
