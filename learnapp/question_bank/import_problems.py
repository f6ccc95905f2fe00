"""The problems of an import preview beyond what its page lists: a file with a warning on every
row of thousands would make a page no one can read. The page lists the first PROBLEM_ROWS of
each kind (errors, items left out, warnings) with exact counts; the full list is a CSV kept by
the upload stash (`uploads`, a day) and downloaded by the editor who checked the file."""

from flask_babel import gettext as _

from learnapp.question_bank.importing import ImportPreview
from learnapp.tabular import csv_bytes

PROBLEM_ROWS = 50  # of each kind, on the preview page
STASH_KIND = "question-import-problems"


def listed_in_part(preview: ImportPreview) -> bool:
    """Whether the page leaves out some of the preview's problems."""
    return any(
        len(problems) > PROBLEM_ROWS
        for problems in (preview.errors, preview.skipped, preview.warnings)
    )


def problems_csv(preview: ImportPreview) -> bytes:
    """Every problem of the preview, in the page's order: errors, items left out, warnings."""
    line_label = _("Row") if preview.format in ("xlsx", "csv") else _("Line")
    kinds = (
        (_("Error"), preview.errors),
        (_("Left out"), preview.skipped),
        (_("Warning"), preview.warnings),
    )
    rows = (
        [
            kind,
            problem.line if problem.line is not None else _("File"),
            problem.column,
            str(problem.message),
        ]
        for kind, problems in kinds
        for problem in problems
    )
    header = [_("Problem kind"), line_label, _("Column"), _("Problem")]
    return b"".join(csv_bytes(header, rows))
