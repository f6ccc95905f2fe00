"""What a member sees of their own evidence dossier.

The organisation (the branch's managers and the units above) holds the marks and sees the
dossier whole. The member sees it less what an exam's result release policy still keeps from
them (quizzes.release: not shown, or not until nobody can answer the exam any more): such an
exam shows as 成绩未公布 in their list, and nothing computed from its result is shown to them
while it is: the pass count, the exam item's share and points, and the base and the reference
score, which add that item in. Everything else, bonus and deduction items included, shows.
A member of the committee reads their own reference score on its pages as their dossier shows
it to them.
"""

import copy
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.assessments.evidence import year_bounds
from learnapp.assessments.models import AssessmentPeriod, Dossier
from learnapp.quizzes.queries import exam_results, withheld_exam_results


def _exam_ids(session: Session, period: AssessmentPeriod, member: User, exams: dict) -> list:
    """The exams with a result in the dossier. A dossier frozen before it kept them lists
    titles only: the member's exams of the year are read again."""
    if "quiz_ids" in exams:
        return exams["quiz_ids"]
    start, end = year_bounds(period.year)
    return [r.quiz_id for r in exam_results(session, [member.id], start, end)[member.id]]


def own_view(
    session: Session, period: AssessmentPeriod, member: User, data: dict | None, now: datetime
) -> dict | None:
    """The dossier's evidence `data` as `member`, its subject, may see it now. Where no exam
    result is withheld from them it is `data` itself; else a copy in which each withheld exam
    is marked `withheld` (an entry of a dossier frozen before entries named their exam counts
    as withheld, since which one it is cannot be told), `exams.withheld` counts them, and the
    pass count, the exam share and points, the base and the total are None."""
    if not data or not data.get("exams"):
        return data
    ids = _exam_ids(session, period, member, data["exams"])
    withheld = withheld_exam_results(session, ids, now)
    if not withheld:
        return data
    shown = copy.deepcopy(data)
    exams = shown["exams"]
    exams["results"] = [
        entry
        if "quiz_id" in entry and entry["quiz_id"] not in withheld
        else {"title": entry["title"], "withheld": True}
        for entry in exams["results"]
    ]
    exams.update(withheld=len(withheld), passed=None, share=None)
    score = shown["score"]
    score.update(base=None, total=None)
    score["parts"]["exams"] = None
    return shown


def committee_scores(
    session: Session, period: AssessmentPeriod, viewer: User, now: datetime
) -> dict[int, Decimal | None]:
    """The frozen reference score of each member, by member id, for the committee's pages and
    workbook. The viewer's own is what their own dossier shows them (own_view): None while an
    exam result it counts is withheld from them."""
    scores = dict(
        session.execute(
            sa.select(Dossier.member_id, Dossier.score).where(Dossier.period_id == period.id)
        ).all()
    )
    if viewer.id in scores:
        data = session.scalar(
            sa.select(Dossier.evidence).where(
                Dossier.period_id == period.id, Dossier.member_id == viewer.id
            )
        )
        seen = own_view(session, period, viewer, data, now)
        if seen is not data:
            scores[viewer.id] = None
    return scores
