"""Course authoring use cases: courses, modules, lessons and their content versions.

Services take (session, actor, ..., now), flush and never commit, and raise DomainError. An
actor of None is the system (the content-file sync).
"""

from learnapp.courses.services.common import (
    SLUG,
    lesson_rules,
    require_author,
    suggest_nominal_hours,
)
from learnapp.courses.services.courses import (
    add_module,
    change_course_state,
    create_course,
    move_lesson,
    move_module,
    update_course,
    update_module,
)
from learnapp.courses.services.lessons import (
    add_lesson,
    check_lesson_numbers,
    content_hash,
    update_lesson,
    write_version,
)
from learnapp.courses.services.removal import (
    delete_course,
    delete_lesson,
    delete_module,
)

__all__ = [
    "SLUG",
    "add_lesson",
    "add_module",
    "change_course_state",
    "check_lesson_numbers",
    "content_hash",
    "create_course",
    "delete_course",
    "delete_lesson",
    "delete_module",
    "lesson_rules",
    "move_lesson",
    "move_module",
    "require_author",
    "suggest_nominal_hours",
    "update_course",
    "update_lesson",
    "update_module",
    "write_version",
]
