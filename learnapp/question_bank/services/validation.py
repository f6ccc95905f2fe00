"""What every stored question meets: the checks of a draft's content and metadata, and of a
stored question before it goes to review or is approved."""

from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from learnapp.errors import DomainError
from learnapp.question_bank.draft import QuestionDraft
from learnapp.question_bank.models import Audience, Question
from learnapp.question_bank.services.banks import MAX_POINTS, path_names, tag_names
from learnapp.question_bank.types import MAX_LONG_TEXT, MAX_STEM, TYPES
from learnapp.sanitize import strip_bidi


def check_content(type_code: str, stem: str, spec) -> None:
    """The rule every stored question meets, whether typed, imported, submitted or approved:
    the spec is valid for its type and agrees with the stem (a 填空 stem marks one ____ per
    blank of answers). Raises DomainError on "spec" or "stem"."""
    qtype = TYPES[type_code]
    problems = qtype.validate(spec)
    if problems:
        raise DomainError("spec", " ".join(problems))
    problems = qtype.stem_problems(stem, spec)
    if problems:
        raise DomainError("stem", " ".join(problems))


def check_stored(question: Question) -> None:
    """`check_content` on the question's current version: questions saved before a rule
    existed (or by an older importer) cannot go to review or be approved until edited."""
    version = question.current_version
    try:
        check_content(question.type, version.stem, version.spec)
    except DomainError as error:
        raise DomainError(
            error.field,
            _l("Edit the question first: %(problem)s", problem=error.message),
        ) from error


def checked(draft: QuestionDraft) -> tuple[str, dict, Decimal]:
    """Validate a draft's content; returns the cleaned stem, spec and points."""
    qtype = TYPES.get(draft.type)
    if qtype is None:
        raise DomainError("type", _l("Unknown question type."))
    stem = strip_bidi(draft.stem or "").strip()
    if not stem:
        raise DomainError("stem", _l("The question text is required."))
    if len(stem) > MAX_STEM:
        raise DomainError(
            "stem", _l("The question text is longer than %(n)d characters.", n=MAX_STEM)
        )
    check_content(draft.type, stem, draft.spec)
    try:
        points = Decimal(str(draft.points))
    except InvalidOperation:
        points = Decimal("NaN")
    if not points.is_finite() or not Decimal("0") < points <= MAX_POINTS:
        raise DomainError("points", _l("Points must be more than 0 and at most 100."))
    if points != points.quantize(Decimal("0.01")):
        raise DomainError("points", _l("Points have at most two decimal places."))
    if not isinstance(draft.difficulty, int) or not 1 <= draft.difficulty <= 5:
        raise DomainError("difficulty", _l("Difficulty is from 1 to 5."))
    if len(draft.explanation or "") > MAX_LONG_TEXT:
        raise DomainError(
            "explanation", _l("The explanation is longer than %(n)d characters.", n=MAX_LONG_TEXT)
        )
    if len(draft.source_document or "") > 200 or len(draft.source_version or "") > 64:
        raise DomainError("source_document", _l("The source is too long."))
    if draft.audience not in {audience.value for audience in Audience}:
        raise DomainError("audience", _l("Unknown audience."))
    return stem, qtype.clean(draft.spec), points


def check_draft(draft: QuestionDraft) -> None:
    """Raise DomainError when `add_question` would refuse the draft (nothing is stored)."""
    checked(draft)
    path_names(draft.knowledge_point)
    tag_names(draft.tags)
