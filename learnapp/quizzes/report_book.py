"""The exam report as a workbook: the same figures as the report page (members' grades by the
quiz's grading method, their distribution and pass rate by unit), each member's grade, the
attempts, the item analysis and who has not finished. Every sheet starts with a title row (the
quiz, and when the file was made in the owner unit's time zone); every text cell is
formula-safe (learnapp.tabular)."""

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import gettext as _

from learnapp.clock import org_timezone
from learnapp.quizzes.analysis import QuizReport
from learnapp.quizzes.audience import Outstanding
from learnapp.quizzes.models import ATTEMPT_STATE_LABELS, GRADING_LABELS, AttemptState, Quiz
from learnapp.tabular import write_xlsx_sheet

PERCENT_FORMAT = "0.0%"


def quiz_zone(quiz: Quiz) -> ZoneInfo:
    """The owner unit's time zone (the one the quiz's times were set in), else the default."""
    try:
        return ZoneInfo(quiz.owner_unit.timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return org_timezone()


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else (_("Yes") if value else _("No"))


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _percent(value) -> float | None:
    return None if value is None else round(float(value), 2)


def _item_flag(item) -> str:
    if not item.is_reliable:
        return _("Too few answers to judge")
    return _yes_no(item.is_weak)


def band_labels() -> list[str]:
    """The distribution's ten bands as the page heads them: 0–10 … 90–100."""
    return [f"{n * 10}–{n * 10 + 10}" for n in range(10)]


def _share_cells(sheet, column: int, first_row: int) -> None:
    """Ratios in `column` from `first_row` on are shown as percentages."""
    for (cell,) in sheet.iter_rows(min_row=first_row, min_col=column, max_col=column):
        if isinstance(cell.value, float):
            cell.number_format = PERCENT_FORMAT


def _overview_sheet(sheet, quiz: Quiz, data: QuizReport, title: list[str]) -> None:
    write_xlsx_sheet(sheet, title, [])
    write_xlsx_sheet(
        sheet,
        [_("Grading method"), str(GRADING_LABELS[quiz.grading_method])],
        [
            [_("Attempts"), data.attempts],
            [_("Graded attempts"), data.graded],
            [_("Members graded"), len(data.results)],
            [_("Mean grade"), _percent(data.mean_percent)],
            [_("Pass rate"), data.pass_rate],
        ],
    )
    _share_cells(sheet, 2, sheet.max_row)
    write_xlsx_sheet(sheet, [], [])
    write_xlsx_sheet(
        sheet, [_("Distribution of members' grades"), *band_labels()], [["", *data.distribution]]
    )
    write_xlsx_sheet(sheet, [], [])
    write_xlsx_sheet(
        sheet,
        [_("Unit"), _("Members graded"), _("Passed"), _("Pass rate"), _("Graded attempts")],
        ([u.name, u.members, u.passed, u.rate, u.attempts] for u in data.by_unit),
    )
    _share_cells(sheet, 4, sheet.max_row - len(data.by_unit) + 1)


def report_workbook(
    quiz: Quiz,
    data: QuizReport,
    attempts: list,
    signals: dict[int, int],
    pending: Outstanding | None,
    generated_at: datetime,
):
    """The workbook; `pending` is None for daily practice, which nobody is ever behind on."""
    from openpyxl import Workbook

    zone = quiz_zone(quiz)
    title = [
        quiz.title,
        _(
            "Generated %(when)s (%(zone)s)",
            when=generated_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            zone=zone.key,
        ),
    ]

    def local(value):
        return value.astimezone(zone).replace(tzinfo=None) if value else None

    book = Workbook()
    overview = book.active
    overview.title = _("Overview")[:31]
    _overview_sheet(overview, quiz, data, title)
    grades = book.create_sheet(_("Grades by member")[:31])
    write_xlsx_sheet(grades, title, [])
    write_xlsx_sheet(
        grades,
        [_("Member"), _("Unit"), _("Graded attempts"), _("Official grade"), _("Passed")],
        (
            [
                r.member.display_name,
                r.member.unit.name,
                r.attempts,
                _percent(r.grade.percent),
                _yes_no(r.grade.passed),
            ]
            for r in data.results
        ),
    )
    sheet = book.create_sheet(_("Attempts")[:31])
    write_xlsx_sheet(sheet, title, [])
    write_xlsx_sheet(
        sheet,
        [
            _("Member"),
            _("Unit"),
            _("Started"),
            _("State"),
            _("Score"),
            _("Passed"),
            _("Tab switches"),
        ],
        (
            [
                a.member.display_name,
                a.member.unit.name if a.member.unit else "",
                local(a.started_at),
                str(ATTEMPT_STATE_LABELS[a.state]),
                _percent(a.percent),
                _yes_no(a.passed),
                signals.get(a.id, 0),
            ]
            for a in attempts
        ),
    )
    items = book.create_sheet(_("Item analysis")[:31])
    write_xlsx_sheet(items, title, [])
    write_xlsx_sheet(
        items,
        [_("Question"), _("Answers"), _("Facility"), _("Discrimination"), _("Check this item")],
        (
            [i.stem, i.answers, _ratio(i.facility), _ratio(i.discrimination), _item_flag(i)]
            for i in data.items
        ),
    )
    if pending is not None:
        missing = book.create_sheet(_("Not finished")[:31])
        write_xlsx_sheet(missing, title, [])
        write_xlsx_sheet(
            missing,
            [_("Member"), _("Unit"), _("State")],
            (
                [
                    m.display_name,
                    m.unit.name if m.unit else "",
                    str(ATTEMPT_STATE_LABELS[AttemptState.IN_PROGRESS])
                    if m.id in pending.in_progress
                    else _("Not started"),
                ]
                for m in pending.members
            ),
        )
    return book
