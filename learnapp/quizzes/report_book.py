"""The exam report as a workbook: the same figures as the report page (members' grades by the
quiz's grading method, their distribution and pass rate by unit), each member's grade, the
attempts, the item analysis, who has not finished and the answers not counted (those that
reached the server after their attempt had ended), the last two when there are any. Every sheet
starts with a title row (the quiz, and when the file was made in the owner unit's time zone);
every text cell is formula-safe (learnapp.tabular).

Every percentage is stored as a fraction of 1 in a cell with a percentage format (as
completion.export writes shares), never as a number of percentage points in a General cell:
20.83% is 0.2083 and shows as "20.83%" in any locale of Excel or WPS. Points are plain numbers
next to their full marks."""

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import gettext as _

from learnapp.clock import org_timezone
from learnapp.quizzes.analysis import QuizReport
from learnapp.quizzes.answers import RefusedAnswer
from learnapp.quizzes.audience import Outstanding
from learnapp.quizzes.models import ATTEMPT_STATE_LABELS, GRADING_LABELS, AttemptState, Quiz
from learnapp.tabular import write_xlsx_sheet


class Share(float):
    """A fraction of 1 that the workbook shows as a percentage: a pass rate, a facility."""

    number_format = "0.0%"


class Grade(Share):
    """A grade or score as a fraction: to the hundredth of a percentage point, as it is stored
    and held against the pass mark (59.99% must never show as 60.0%)."""

    number_format = "0.00%"


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


def _share(value: float | None) -> Share | None:
    return None if value is None else Share(round(value, 4))


def _grade(percent) -> Grade | None:
    """Percentage points (an attempt's or a grade's `percent`, 0–100) as a fraction."""
    return None if percent is None else Grade(round(float(percent) / 100, 4))


def _points(value) -> float | None:
    return None if value is None else float(value)


def _item_flag(item) -> str:
    if not item.is_reliable:
        return _("Too few answers to judge")
    return _yes_no(item.is_weak)


def band_labels() -> list[str]:
    """The distribution's ten bands as the page heads them: 0–10% … 90–100%."""
    return [f"{n * 10}–{n * 10 + 10}%" for n in range(10)]


def _append(sheet, header: list, rows) -> None:
    """`write_xlsx_sheet`, then every `Share` written gets its percentage format."""
    first = sheet.max_row  # one row early: an empty sheet's max_row is already 1
    write_xlsx_sheet(sheet, header, rows)
    for row in sheet.iter_rows(min_row=first):
        for cell in row:
            if isinstance(cell.value, Share):
                cell.number_format = cell.value.number_format
                cell.value = float(cell.value)


def _unit_basis() -> str:
    """The note under the units: which unit an attempt and a grade count in."""
    return " ".join(
        [
            _(
                "Each attempt counts in the unit its member belonged to when they started it; "
                "a member's grade, in the unit of their latest graded attempt."
            ),
            _("Units are grouped as the organisation is arranged today."),
        ]
    )


def _overview_sheet(sheet, quiz: Quiz, data: QuizReport, title: list[str]) -> None:
    """Without a pass mark (`Quiz.has_pass_mark`) there is no pass rate, overall or by unit."""
    passing = quiz.has_pass_mark
    write_xlsx_sheet(sheet, title, [])
    _append(
        sheet,
        [_("Grading method"), str(GRADING_LABELS[quiz.grading])],
        [
            [_("Attempts"), data.attempts],
            [_("Graded attempts"), data.graded],
            [_("Members graded"), len(data.results)],
            [_("Mean grade"), _grade(data.mean_percent)],
            *([[_("Pass rate"), _share(data.pass_rate)]] if passing else []),
        ],
    )
    write_xlsx_sheet(sheet, [], [])
    write_xlsx_sheet(
        sheet, [_("Distribution of members' grades"), *band_labels()], [["", *data.distribution]]
    )
    write_xlsx_sheet(sheet, [], [])
    _append(
        sheet,
        [
            _("Unit"),
            _("Members graded"),
            *_passing([_("Passed"), _("Pass rate")], passing),
            _("Graded attempts"),
        ],
        (
            [u.name, u.members, *_passing([u.passed, _share(u.rate)], passing), u.attempts]
            for u in data.by_unit
        ),
    )
    write_xlsx_sheet(sheet, [_unit_basis()], [])


def _passing(cells: list, passing: bool) -> list:
    """`cells` about passing, or none where the quiz has no pass mark."""
    return cells if passing else []


def report_title(quiz: Quiz) -> str:
    """What the report is called: an exam report, or for 每日答题, 专项答题 and 练习 a practice
    analysis (practice is for learning, not examination)."""
    return _("Practice analysis") if quiz.kind.is_practice else _("Exam report")


def report_workbook(
    quiz: Quiz,
    data: QuizReport,
    attempts: list,
    signals: dict[int, int],
    refused: dict[int, list[RefusedAnswer]],
    pending: Outstanding | None,
    generated_at: datetime,
):
    """The workbook; `refused` is `answers.refused_answers` of `attempts`, and `pending` None
    for daily practice, which nobody is ever behind on."""
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

    passing = quiz.has_pass_mark
    book = Workbook()
    overview = book.active
    overview.title = _("Overview")[:31]
    _overview_sheet(overview, quiz, data, title)
    grades = book.create_sheet(_("Grades by member")[:31])
    write_xlsx_sheet(grades, title, [])
    _append(
        grades,
        [
            _("Member"),
            _("Unit"),
            _("Graded attempts"),
            _("Official grade"),
            *_passing([_("Passed")], passing),
        ],
        (
            [
                r.member.display_name,
                r.unit.name,
                r.attempts,
                _grade(r.grade.percent),
                *_passing([_yes_no(r.grade.passed)], passing),
            ]
            for r in data.results
        ),
    )
    sheet = book.create_sheet(_("Attempts")[:31])
    write_xlsx_sheet(sheet, title, [])
    _append(
        sheet,
        [
            _("Member"),
            _("Unit"),
            _("Started"),
            _("State"),
            _("Score"),
            _("Full marks"),
            _("Percentage score"),
            *_passing([_("Passed")], passing),
            _("Tab switches"),
        ],
        (
            [
                a.member.display_name,
                data.units[a.id].name,
                local(a.started_at),
                str(ATTEMPT_STATE_LABELS[a.state]),
                _points(a.score),
                _points(a.max_score),
                _grade(a.percent),
                *_passing([_yes_no(a.passed)], passing),
                signals.get(a.id, 0),
            ]
            for a in attempts
        ),
    )
    items = book.create_sheet(_("Item analysis")[:31])
    write_xlsx_sheet(items, title, [])
    _append(
        items,
        [_("Question"), _("Answers"), _("Facility"), _("Discrimination"), _("Check this item")],
        (
            [i.stem, i.answers, _share(i.facility), _ratio(i.discrimination), _item_flag(i)]
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
    if refused:
        late = book.create_sheet(_("Answers not counted")[:31])
        write_xlsx_sheet(late, title, [])
        write_xlsx_sheet(
            late,
            [
                _("Member"),
                _("Unit"),
                _("Started"),
                _("Question no."),
                _("Received at"),
                _("Reason"),
            ],
            (
                [
                    a.member.display_name,
                    data.units[a.id].name,
                    local(a.started_at),
                    r.position,
                    local(r.received_at),
                    str(r.reason),
                ]
                for a in attempts
                for r in refused.get(a.id, [])
            ),
        )
    return book
