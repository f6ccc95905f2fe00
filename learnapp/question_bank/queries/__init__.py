"""Read functions of the question bank, its public read API for other packages.

The modules are banks (the banks a user reaches, the knowledge-point tree, tags and source
documents), questions (the filtered and searched list, usage, duplicates, exports and versions)
and review (the review queue and what waits for a reviewer).
"""

from learnapp.question_bank.queries.banks import (
    bank_if_in_scope,
    bank_in_scope_clause,
    banks_in_scope,
    knowledge_point_counts,
    knowledge_points,
    source_question_counts,
    sources,
    tags,
)
from learnapp.question_bank.queries.questions import (
    MAX_SEARCH,
    MAX_TERMS,
    QuestionFilters,
    QuestionPage,
    export_versions,
    questions_by_ids,
    questions_page,
    search_terms,
    status_counts,
    stem_index,
    usage_counts,
    versions_of,
)
from learnapp.question_bank.queries.review import review_counts, review_queue

__all__ = [
    "MAX_SEARCH",
    "MAX_TERMS",
    "QuestionFilters",
    "QuestionPage",
    "bank_if_in_scope",
    "bank_in_scope_clause",
    "banks_in_scope",
    "export_versions",
    "knowledge_point_counts",
    "knowledge_points",
    "questions_by_ids",
    "questions_page",
    "review_counts",
    "review_queue",
    "search_terms",
    "source_question_counts",
    "sources",
    "status_counts",
    "stem_index",
    "tags",
    "usage_counts",
    "versions_of",
]
