"""The starter bank: the question files in the top-level question_bank/ folder.

`make run` imports them with `flask --app learnapp bank import question_bank/ --status active`;
the demo seeder imports them here, through the same preview and commit as every import. They
are reviewed content, so they land active. Importing again adds nothing (duplicates are skipped).
"""

from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from learnapp.config import PROJECT_ROOT
from learnapp.question_bank import importing, services
from learnapp.question_bank.models import QuestionStatus

STARTER_DIR = PROJECT_ROOT / "question_bank"


class StarterBankError(RuntimeError):
    """A starter file no longer passes the import checks."""


def import_folder(session: Session, bank, folder: Path, now: datetime) -> int:
    """Import every CSV of `folder` as active questions; returns how many were added."""
    added = 0
    for path in sorted(folder.glob("*.csv")):
        preview = importing.preview_import(session, bank, path.name, path.read_bytes(), "csv")
        if preview.errors:
            first = preview.errors[0]
            raise StarterBankError(f"{path.name}:{first.line}: {first.message}")
        outcome = importing.commit_import(
            session, None, bank, preview, now, status=QuestionStatus.ACTIVE
        )
        added += outcome.added
    return added


def seed(session: Session, org, now: datetime) -> str:
    bank = services.default_bank(session, now)
    added = import_folder(session, bank, STARTER_DIR, now)
    return f"starter question bank: {added} questions imported from {STARTER_DIR.name}/"
