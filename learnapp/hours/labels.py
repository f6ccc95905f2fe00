"""Display names of the 学时 categories."""

from flask_babel import lazy_gettext as _l

from learnapp.hours.models import HoursCategory

CATEGORY_LABELS = {
    HoursCategory.CENTRALISED: _l("Centralised training"),
    HoursCategory.COLLECTIVE: _l("Collective study"),
    HoursCategory.ONLINE: _l("Online study"),
    HoursCategory.SELF_STUDY: _l("Self-study"),
    HoursCategory.EXTERNAL: _l("External study"),
}


def hours_category_label(category) -> str:
    return str(CATEGORY_LABELS.get(HoursCategory(category), category))
