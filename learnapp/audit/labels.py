"""Translated names for audit action codes and target types.

The codes stay the stable, searchable record; these labels are only how a page shows them. A
code without a label here is shown as itself, so a new action is never hidden, just untranslated
(tests/test_audit.py lists every code recorded in learnapp/ and checks each has a label)."""

import importlib

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

ACTION_LABELS = {
    # Accounts and organisation
    "user.created": _l("Account created"),
    "user.enabled": _l("Account enabled"),
    "user.disabled": _l("Account disabled"),
    "user.password_changed": _l("Password changed"),
    "user.password_reset": _l("Password reset by an administrator"),
    "user.initial_password_issued": _l("Initial password issued"),
    "user.unlocked": _l("Login lock lifted"),
    "role.granted": _l("Role granted"),
    "role.revoked": _l("Role removed"),
    "unit.created": _l("Unit created"),
    "unit.updated": _l("Unit edited"),
    "unit.moved": _l("Unit moved with the units below it"),
    "unit.deleted": _l("Unit deleted"),
    "unit.deactivated": _l("Unit deactivated with the units below it"),
    "unit.reactivated": _l("Unit reactivated"),
    "member.updated": _l("Member details edited"),
    "member.moved": _l("Member moved to another unit"),
    "members.imported": _l("Members imported"),
    "audit.exported": _l("Audit log exported"),
    # Study hours and completion
    "hours.entry_reversed": _l("Study-hour entry reversed"),
    "hours.rule_set_added": _l("Study-hour rules added"),
    "hours.rule_set_deleted": _l("Study-hour rules removed before coming into force"),
    "hours.self_study_removed": _l("Self-study entry removed by its member"),
    "completion.exported": _l("Completion report exported"),
    # Courses
    "course.created": _l("Course created"),
    "course.updated": _l("Course edited"),
    "course.state_changed": _l("Course status changed"),
    "course.deleted": _l("Course deleted"),
    "module.created": _l("Course module created"),
    "module.updated": _l("Course module edited"),
    "module.deleted": _l("Course module deleted"),
    "lesson.created": _l("Lesson created"),
    "lesson.deleted": _l("Course lesson deleted"),
    "lesson.updated": _l("Lesson edited"),
    "lesson.media_uploaded": _l("Lesson media uploaded"),
    # Question bank
    "bank.created": _l("Question bank created"),
    "bank.review_rule": _l("Question bank review rule changed"),
    "question.created": _l("Question created"),
    "question.edited": _l("Question edited"),
    "question.submitted": _l("Question submitted for review"),
    "question.approved": _l("Question approved"),
    "question.rejected": _l("Question sent back"),
    "question.retired": _l("Question retired"),
    "question.reopened": _l("Question reopened"),
    "question.flagged": _l("Question flagged for review"),
    "question.bulk_moved": _l("Questions moved to a knowledge point"),
    "question.bulk_tagged": _l("Questions tagged"),
    "questions.imported": _l("Questions imported"),
    "knowledge_point.renamed": _l("Knowledge point renamed"),
    "knowledge_point.deleted": _l("Knowledge point deleted"),
    "source.superseded": _l("Source document superseded"),
    # Quizzes and exams
    "quiz.created": _l("Quiz created"),
    "quiz.updated": _l("Quiz edited"),
    "quiz.published": _l("Quiz published"),
    "quiz.archived": _l("Quiz archived"),
    "quiz.questions_added": _l("Questions added to a quiz paper"),
    "quiz.question_removed": _l("Question removed from a quiz paper"),
    "quiz.points_changed": _l("Points of questions on a quiz paper changed"),
    "quiz.rule_added": _l("Quiz draw rule added"),
    "quiz.rule_removed": _l("Quiz draw rule removed"),
    "quiz.override_saved": _l("Exam exception saved"),
    "quiz.override_removed": _l("Exam exception removed"),
    "quiz.answer_marked": _l("Answer marked"),
    "quiz.regraded": _l("Attempt regraded"),
    "quiz.report_exported": _l("Quiz report exported"),
    "quiz.question_report_closed": _l("Question error report closed"),
    # Organisational life
    "orglife.meeting_created": _l("Meeting recorded"),
    "orglife.meeting_updated": _l("Meeting record edited"),
    "orglife.meeting_deleted": _l("Meeting record deleted"),
    "orglife.attendance_set": _l("Meeting attendance recorded"),
    "orglife.attachment_added": _l("Meeting attachment added"),
    "orglife.claim_approved": _l("Study claim approved"),
    "orglife.claim_rejected": _l("Study claim rejected"),
    "orglife.claim_withdrawn": _l("Study claim withdrawn by its member"),
    "orglife.claim_reversed": _l("Approved study hours reversed"),
    "orglife.study_recorded_on_behalf": _l("Study recorded on a member's behalf"),
    # Assessment
    "assessment.rules_add": _l("Assessment rules added"),
    "assessment.period_create": _l("Assessment period created"),
    "assessment.period_delete": _l("Assessment period deleted"),
    "assessment.period_rules": _l("Assessment period rules changed"),
    "assessment.period_schedule": _l("Assessment schedule changed"),
    "assessment.step": _l("Assessment step changed"),
    "assessment.grades_propose": _l("Assessment grades proposed"),
    "assessment.submit": _l("Assessment grades submitted for approval"),
    "assessment.grade_decide": _l("Assessment grade decided"),
    "assessment.points_decide": _l("Assessment points decided"),
    "assessment.points_lapse": _l("Assessment points lapsed undecided"),
    "assessment.lock": _l("Assessment locked"),
    "assessment.reopen": _l("Assessment reopened"),
    "assessment.export": _l("Assessment exported"),
    # Discussions and content safety
    "announcement.published": _l("Announcement published"),
    "announcement.withdrawn": _l("Announcement withdrawn"),
    "announcement.reminded": _l("Unread members reminded of an announcement"),
    "announcement.receipts_exported": _l("Announcement read receipts exported"),
    "board.created": _l("Board created"),
    "board.mode": _l("Board moderation mode changed"),
    "post.approved": _l("Post approved"),
    "post.rejected": _l("Post rejected"),
    "thread.flags": _l("Thread pinned or locked"),
    "complaint.replied": _l("Complaint answered"),
    "words.category_created": _l("Sensitive-word category created"),
    "words.action_changed": _l("Sensitive-word category action changed"),
    "words.terms_added": _l("Sensitive words added"),
    "words.term_removed": _l("Sensitive word removed"),
    "words.allowed_added": _l("Allowlist words added"),
    "words.allowed_removed": _l("Allowlist word removed"),
}

TARGET_LABELS = {
    "user": _l("Account"),
    "unit": _l("Party organisation"),
    "audit_log": _l("Audit log"),
    "hours_entry": _l("Study-hour entry"),
    "hours_rule_set": _l("Study-hour rules"),
    "course": _l("Course"),
    "lesson": _l("Lesson"),
    "question_bank": _l("Question bank"),
    "question": _l("Question"),
    "knowledge_point": _l("Knowledge point"),
    "source_document": _l("Source document"),
    "quiz": _l("Quiz"),
    "quiz_attempt": _l("Quiz attempt"),
    "quiz_attempt_question": _l("Exam answer"),
    "quiz_question_report": _l("Question error report"),
    "meeting": _l("Meeting"),
    "study_claim": _l("Study claim"),
    "assessment_period": _l("Assessment period"),
    "assessment_rule_set": _l("Assessment rules"),
    "assessment_grade": _l("Assessment grade"),
    "assessment_point_item": _l("Assessment point item"),
    "announcement": _l("Announcement"),
    "board": _l("Discussion board"),
    "post": _l("Post"),
    "thread": _l("Thread"),
    "complaint": _l("Complaint"),
    "word_category": _l("Sensitive-word category"),
    "allowlist": _l("Allowlist"),
}


def action_label(code: str) -> str:
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code


def target_label(target_type: str) -> str:
    label = TARGET_LABELS.get(target_type)
    return str(label) if label is not None else target_type


def rule_set_name(version: str) -> str:
    """A version of the 学时 rules, named as the rules page names it."""
    return _("Version %(version)s", version=version)


def account_status(is_active):
    return _("Active") if is_active else _("Disabled")


def unit_status(is_active):
    return _("Active") if is_active else _("Deactivated")


# Codes in before- and after-states, by target type and key, read through the label function
# of the package that owns them: named as "module:function", not imported, as the audit log
# sits below those packages.
CODE_LABELS = {
    "user": {
        "role": "learnapp.orgs.labels:role_label",
        "category": "learnapp.orgs.labels:category_label",
        "is_active": "learnapp.audit.labels:account_status",
    },
    "unit": {
        "kind": "learnapp.orgs.labels:unit_kind_label",
        "is_active": "learnapp.audit.labels:unit_status",
    },
}


def _code_label(function: str, value):
    module, _sep, name = function.partition(":")
    try:
        return getattr(importlib.import_module(module), name)(value)
    except (KeyError, ValueError):
        return value  # a code recorded before its label existed, or since retired


def with_code_labels(target_type: str, state: dict | None) -> dict | None:
    """`state` (an entry's before or after) with the codes CODE_LABELS knows for the target
    type shown by their labels; a value no label knows stays as recorded."""
    labels = CODE_LABELS.get(target_type)
    if not labels or not isinstance(state, dict):
        return state
    return {
        key: _code_label(labels[key], value) if key in labels else value
        for key, value in state.items()
    }
