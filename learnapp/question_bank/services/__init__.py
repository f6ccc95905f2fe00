"""Question bank use cases: adding and editing questions, the review workflow, bulk actions,
source documents and usage marking. Services flush, never commit, and raise DomainError.

The package's public API; the modules are banks (banks, knowledge points, tags, sources),
questions (validation, versions, bulk add) and workflow (review, bulk actions, superseded
sources, usage marking).
"""

from learnapp.question_bank.services.banks import (
    DEFAULT_BANK_NAME,
    MAX_PATH_DEPTH,
    MAX_POINTS,
    MAX_TAGS,
    create_bank,
    default_bank,
    document_name,
    ensure_knowledge_point,
    ensure_source,
    is_bank_editor,
    is_bank_reviewer,
    set_two_person_review,
    split_path,
)
from learnapp.question_bank.services.questions import (
    add_question,
    add_questions,
    check_draft,
    to_draft,
    update_question,
)
from learnapp.question_bank.services.workflow import (
    approve_question,
    bulk_move,
    bulk_retire,
    bulk_submit,
    bulk_tag,
    mark_used,
    reject_question,
    reopen_question,
    retire_question,
    submit_for_review,
    supersede_source,
)

__all__ = [
    "DEFAULT_BANK_NAME",
    "MAX_PATH_DEPTH",
    "MAX_POINTS",
    "MAX_TAGS",
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
    "document_name",
    "ensure_knowledge_point",
    "ensure_source",
    "is_bank_editor",
    "is_bank_reviewer",
    "mark_used",
    "reject_question",
    "reopen_question",
    "retire_question",
    "set_two_person_review",
    "split_path",
    "submit_for_review",
    "supersede_source",
    "to_draft",
    "update_question",
]
