"""The quizzes blueprint: the member's pages (open_quizzes.py, taking.py, wrong_book.py), the
authors' pages (manage.py, paper.py, preview.py, and overrides.py for members' own terms) and
the markers' and reports' pages."""

from flask import Blueprint, make_response

from learnapp.question_bank.types import plural_number
from learnapp.quizzes.report_book import report_title

bp = Blueprint("quizzes", __name__, url_prefix="/quizzes")


def no_store(response):
    """Exam pages are never cached, by the browser or anything in between (E2)."""
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_template_filter("quiz_time")
def quiz_time(value) -> str:
    """An aware UTC datetime in the organisation's timezone, to the minute."""
    from learnapp.clock import org_timezone

    if value is None:
        return "—"
    return value.astimezone(org_timezone()).strftime("%Y-%m-%d %H:%M")


@bp.app_template_filter("quiz_num")
def quiz_num(value) -> str:
    """A Decimal without trailing zeros or exponent: 60.00 → 60, 2.50 → 2.5."""
    if value is None:
        return "—"
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@bp.app_template_filter("plural_count")
def plural_count(value) -> int:
    """The whole number `ngettext` chooses a plural form by (question_bank.types.plural_number);
    0 for nothing."""
    return 0 if value is None else plural_number(value)


bp.add_app_template_filter(report_title, "report_title")

from learnapp.quizzes.views import (  # noqa: E402,F401  (routes on bp)
    analysis,
    manage,
    open_quizzes,
    overrides,
    paper,
    preview,
    reports,
    taking,
    wrong_book,
)
