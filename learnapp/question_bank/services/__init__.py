"""Question bank use cases: adding and editing questions, the review workflow, bulk actions,
source documents and usage marking. Services flush, never commit, and raise DomainError.

The package's public API; the modules are banks (banks, the knowledge-point tree, tags,
sources), validation (what every question meets), questions (versions, bulk add) and workflow
(review, bulk actions, superseded sources, usage marking).
"""

from learnapp.question_bank.services.banks import (
    create_bank,
    default_bank,
    delete_knowledge_point,
    is_bank_editor,
    is_bank_reviewer,
    rename_knowledge_point,
    set_two_person_review,
)
from learnapp.question_bank.services.questions import (
    add_question,
    add_questions,
    to_draft,
    update_question,
)
from learnapp.question_bank.services.validation import check_draft
from learnapp.question_bank.services.workflow import (
    approve_question,
    bulk_move,
    bulk_retire,
    bulk_submit,
    bulk_tag,
    mark_used,
    may_approve,
    reject_question,
    reopen_question,
    retire_question,
    submit_for_review,
    supersede_source,
)

__all__ = [
    "add_question",
    "add_questions",
    "approve_question",
    "bulk_move",
    "bulk_retire",
    "bulk_submit",
    "bulk_tag",
    "check_draft",
    "create_bank",
    "default_bank",
    "delete_knowledge_point",
    "is_bank_editor",
    "is_bank_reviewer",
    "mark_used",
    "may_approve",
    "reject_question",
    "rename_knowledge_point",
    "reopen_question",
    "retire_question",
    "set_two_person_review",
    "submit_for_review",
    "supersede_source",
    "to_draft",
    "update_question",
]
