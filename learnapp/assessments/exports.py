"""The 评议结果表 workbook: one row per member, by name (never by score: no ranking), with the
unit and category each member had when the dossiers were frozen. The exporter's own reference
score reads as their own dossier shows it to them.

Written through learnapp.tabular, so text a spreadsheet would run as a formula (a member's
name, a reason) is stored as plain text; every export is written to the audit log.
"""

import io
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from openpyxl import Workbook
from sqlalchemy.orm import Session

from learnapp.assessments import ballots, evidence, grading
from learnapp.assessments.disclosure import committee_scores
from learnapp.assessments.labels import APPROVAL_LABELS, GRADE_LABELS, STEP_LABELS
from learnapp.assessments.models import GRADE_ORDER, AssessmentPeriod, Dossier
from learnapp.audit.services import record
from learnapp.orgs.labels import CATEGORY_LABELS
from learnapp.orgs.models import MemberCategory
from learnapp.tabular import write_xlsx_sheet


def _score_cell(score, frozen: bool):
    """The reference score, or why there is none: the exporter's own while an exam result it
    counts is withheld from them (disclosure.committee_scores)."""
    if score is not None:
        return float(score)
    return _("Not shown") if frozen else ""


def results_workbook(session: Session, actor, period: AssessmentPeriod, now: datetime) -> bytes:
    members = evidence.period_members(session, period)
    grades = grading.grades_of(session, period)
    frozen = dict(
        session.execute(
            sa.select(Dossier.member_id, Dossier.evidence).where(Dossier.period_id == period.id)
        ).all()
    )
    scores = committee_scores(session, period, actor, now)
    tallies = ballots.aggregates(session, period)
    header = [
        _("Name"),
        _("Member category"),
        _("Unit"),
        _("Reference score (evidence, not a grade)"),
        *[_("Evaluation: %(grade)s", grade=str(GRADE_LABELS[g])) for g in GRADE_ORDER],
        _("Grade"),
        _("Reason for the grade"),
        _("Approval by the unit above"),
        _("Feedback"),
    ]
    rows = []
    for member in members:
        grade = grades.get(member.id)
        counts = tallies.by_member.get(member.id, {}) if tallies.shown else {}
        data, score = frozen.get(member.id, {}), scores.get(member.id)
        category = MemberCategory(data.get("category", member.category))
        rows.append(
            [
                member.display_name,
                str(CATEGORY_LABELS[category]),
                data.get("unit", member.unit.name if member.unit else ""),
                _score_cell(score, member.id in scores),
                *[counts.get(g, "") if tallies.shown else "" for g in GRADE_ORDER],
                str(GRADE_LABELS[grade.grade]) if grade else "",
                grade.reason if grade else "",
                str(APPROVAL_LABELS[grade.approval]) if grade else "",
                grade.feedback if grade else "",
            ]
        )
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Results")[:31]
    write_xlsx_sheet(
        sheet,
        [_("%(unit)s: assessment results %(year)s", unit=period.unit.name, year=period.year)],
        [
            [
                _("Step: %(step)s", step=str(STEP_LABELS[period.step])),
                _("Rule version: %(v)s", v=period.rule_set.version),
                _("Ballots cast: %(n)d", n=tallies.ballots),
            ]
        ],
    )
    write_xlsx_sheet(sheet, header, rows)
    buffer = io.BytesIO()
    workbook.save(buffer)
    record(
        session,
        actor,
        "assessment.export",
        "assessment_period",
        period.id,
        now=now,
        after={"rows": len(rows)},
    )
    return buffer.getvalue()
