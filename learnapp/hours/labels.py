"""Display names of the 学时 categories and of the sources entries are credited for."""

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
