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


# What a unit's id is recorded in, by (table, column): the reasons a unit cannot be deleted.
# tests/test_orgs_tree.py checks every foreign key to units has an entry here.
UNIT_REFERENCE_LABELS = {
    ("units", "parent_id"): _l("sub-units"),
    ("users", "unit_id"): _l("people in it"),
    ("role_assignments", "unit_id"): _l("roles held in it"),
    ("member_transfers", "from_unit_id"): _l("member transfer records"),
    ("member_transfers", "to_unit_id"): _l("member transfer records"),
    ("orglife_meetings", "unit_id"): _l("meeting records"),
    ("orglife_claims", "unit_id"): _l("study-hour claims"),
    ("assessment_periods", "unit_id"): _l("assessment periods"),
    ("courses", "owner_unit_id"): _l("courses it owns"),
    ("course_audience_units", "unit_id"): _l("courses assigned to it"),
    ("quizzes", "owner_unit_id"): _l("quizzes it owns"),
    ("quiz_audience_units", "unit_id"): _l("quizzes assigned to it"),
    ("question_banks", "unit_id"): _l("question banks"),
    ("announcements", "unit_id"): _l("announcements"),
    ("announcement_reads", "unit_id"): _l("announcement read receipts"),
    ("boards", "unit_id"): _l("discussion boards"),
}
