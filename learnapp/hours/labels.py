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


def entry_subject(entry, lesson_titles: dict[int, str]) -> str:
    """What an entry was credited for, in words its reader knows: the lesson's title, else its
    note (the meeting's title, the claim's description, the self-study note), else the kind
    of source."""
    if entry.source_type == SourceType.LESSON:
        title = lesson_titles.get(int(entry.source_id))
        if title:
            return title
    elif entry.note:
        note = " ".join(entry.note.split())
        return note if len(note) <= SUBJECT_LENGTH else note[: SUBJECT_LENGTH - 1] + "…"
    return hours_source_label(entry.source_type)


def correction_label(reversal, original, lesson_titles: dict[int, str]) -> str:
    """A correction named by the entry it cancels: that entry's day, category and subject (a
    correction keeps its entry's day and category, so these stand even without `original`)."""
    what = hours_category_label(reversal.category)
    if original is not None:
        what = f"{what} · {entry_subject(original, lesson_titles)}"
    return _(
        "Correction of the entry of %(day)s (%(what)s)",
        day=reversal.credited_on.isoformat(),
        what=what,
    )
