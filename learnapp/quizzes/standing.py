"""A member's grade on an exam as their own pages show it: the grade their graded attempts combine
to by the quiz's grading method, the very grade of the report and of their exam results
(`queries.official_grade`), shown only where the release of results lets them see their scores
(`release.withholdings`)."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from learnapp.quizzes.models import AttemptState, GradingMethod, QuizKind
from learnapp.quizzes.queries import OfficialGrade, official_grade
from learnapp.quizzes.release import Withheld, Withholding, score_shown

# The grading method as the member reads it, on the quiz page and the result page.
GRADING_RULES = {
    GradingMethod.HIGHEST: _l("Your grade is the highest score of your attempts."),
    GradingMethod.LAST: _l("Your grade is the score of your last attempt."),
    GradingMethod.FIRST: _l("Your grade is the score of your first attempt."),
    GradingMethod.AVERAGE: _l("Your grade is the average score of your attempts."),
}


@dataclass(frozen=True)
class ExamStanding:
    grade: OfficialGrade | None  # None while withheld
    withheld: Withholding | None  # why the grade is not shown: its release, or a marker
    final: bool  # nothing left that could change it: no attempt to come, none being marked


def grading_rule(quiz, attempts_allowed: int, attempts_used: int):
    """How an exam's grade combines the member's attempts, in words, where it may combine more
    than one (they may make several, or have made several): one attempt's result is then not
    their grade. None otherwise, and for practice."""
    if quiz.kind != QuizKind.EXAM or (attempts_allowed == 1 and attempts_used <= 1):
        return None
    return GRADING_RULES[quiz.grading]


def exam_standing(quiz, attempts, held: dict, release: Withholding | None) -> ExamStanding | None:
    """The member's grade on `quiz` from their `attempts` (all of them, in start order), with
    `held` the `release.withholdings` of each and `release` the quiz's `results_release`. None
    for a quiz that is not an exam, or before any attempt is finished. While the scores of their
    graded attempts are withheld the grade is too, for the same reason (never shown, or after
    the exam closes); with none graded yet it waits for its release or for a marker. The grade
    is final once every attempt's questions are open: none is being answered or marked and the
    member can answer the exam no more."""
    if quiz.kind != QuizKind.EXAM:
        return None
    attempts = list(attempts)
    if not any(a.state != AttemptState.IN_PROGRESS for a in attempts):
        return None
    graded = [a for a in attempts if a.state == AttemptState.GRADED]
    hidden = next((held[a.id] for a in graded if not score_shown(held[a.id])), None)
    if hidden is not None:
        return ExamStanding(None, hidden, final=False)
    if not graded:
        return ExamStanding(None, release or Withholding(Withheld.PENDING), final=False)
    final = all(held[a.id] is None for a in attempts)
    return ExamStanding(official_grade(quiz.grading, graded), None, final)
