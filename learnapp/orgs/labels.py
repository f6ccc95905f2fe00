"""Translated display names of the organisation enums."""

from flask_babel import lazy_gettext as _l

from learnapp.orgs.models import MemberCategory, Role, UnitKind

UNIT_KIND_LABELS = {
    UnitKind.COMMITTEE: _l("Party committee"),
    UnitKind.GENERAL_BRANCH: _l("General branch"),
    UnitKind.BRANCH: _l("Party branch"),
    UnitKind.JOINT_BRANCH: _l("Joint party branch"),
    UnitKind.TEMPORARY_BRANCH: _l("Temporary party branch"),
    UnitKind.MOBILE_BRANCH: _l("Mobile members' branch"),
    UnitKind.GROUP: _l("Party group"),
}
CATEGORY_LABELS = {
    MemberCategory.FULL: _l("Full member"),
    MemberCategory.PROBATIONARY: _l("Probationary member"),
    MemberCategory.CANDIDATE: _l("Candidate for membership"),
    MemberCategory.ACTIVIST: _l("Activist"),
    MemberCategory.MASSES: _l("Non-member learner"),
}
ROLE_LABELS = {
    Role.SECRETARY: _l("Secretary"),
    Role.COMMITTEE_MEMBER: _l("Committee member"),
    Role.BANK_EDITOR: _l("Question-bank editor"),
    Role.REVIEWER: _l("Reviewer"),
    Role.ADMIN: _l("Administrator"),
}


def unit_kind_label(kind) -> str:
    return str(UNIT_KIND_LABELS[UnitKind(kind)])


def category_label(category) -> str:
    return str(CATEGORY_LABELS[MemberCategory(category)])


def role_label(role) -> str:
    return str(ROLE_LABELS[Role(role)])
