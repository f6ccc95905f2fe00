"""Operators' commands: `flask --app learnapp bank import|export`.

`bank import PATH` reads one file, or every question file in a folder, prints one line per
problem as FILE:ROW_OR_LINE: message and stores nothing when any row is bad (exit status 1).
Questions already in the bank are skipped and counted, so importing the same files again adds
nothing: `make run` relies on this for the starter bank. A question the bank holds with other
settings than the file gives (学习对象, 分值 …) is listed and kept as it is, unless
--update-differing gives it the file's values, as an edit would: the summary counts the active
questions this sent back to review (the web import's result page says the same).
"""

import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from learnapp.clock import now
from learnapp.db import get_db
from learnapp.question_bank import formats, importing, queries, services
from learnapp.question_bank.draft import split_path
from learnapp.question_bank.models import KnowledgePoint, QuestionBank, QuestionStatus, Tag
from learnapp.question_bank.types import TYPES

bank_cli = AppGroup("bank", help="Question bank: import and export question files.")
FILE_SUFFIXES = (".xlsx", ".csv", ".gift", ".aiken", ".txt", ".xml")
STATUSES = {"draft": QuestionStatus.DRAFT, "active": QuestionStatus.ACTIVE}


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(
            p for p in path.iterdir() if p.is_file() and p.suffix.lower() in FILE_SUFFIXES
        )
    return [path]


def _bank(session, bank_id: int | None) -> QuestionBank:
    if bank_id is None:
        return services.default_bank(session, now())
    bank = session.get(QuestionBank, bank_id)
    if bank is None:
        raise click.ClickException(f"no question bank with id {bank_id}")
    return bank


def _line(name: str, problem, kind: str = "") -> str:
    where = f"{name}:{problem.line}" if problem.line is not None else name
    column = f"{problem.column}: " if problem.column else ""
    return f"{where}: {kind}{column}{problem.message}"


def _conflict_line(name: str, item, updated: bool) -> str:
    settings = "; ".join(
        f"{change.label} “{change.before}” → “{change.after}”" for change in item.changes
    )
    outcome = "updated" if updated else "kept (--update-differing gives it the file's values)"
    return f"{name}:{item.line}: question #{item.duplicate_of} has other settings: {settings}: {outcome}"


@bank_cli.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", *formats.FORMATS]),
    default="auto",
    show_default=True,
    help="File format; auto goes by the file extension.",
)
@click.option("--dry-run", is_flag=True, help="Check and report, store nothing.")
@click.option(
    "--knowledge-point", default=None, help="Path (党章/第一章 党员) for questions without one."
)
@click.option(
    "--status",
    type=click.Choice(["auto", "draft", "active"]),
    default="auto",
    show_default=True,
    help="auto: drafts when the bank needs two-person review, else active.",
)
@click.option(
    "--bank", "bank_id", type=int, default=None, help="Bank id (default: the default bank)."
)
@click.option(
    "--update-differing",
    is_flag=True,
    help="Give questions the bank holds with other settings the file's values (an edit: an "
    "active one goes back to review unless only its knowledge point or tags change).",
)
@click.option("--quiet", is_flag=True, help="Do not print warnings.")
def import_command(path, fmt, dry_run, knowledge_point, status, bank_id, update_differing, quiet):
    """Import the question file PATH, or every question file in the folder PATH."""
    files = _files(path)
    if not files:
        raise click.ClickException(f"no question files in {path}")
    session = get_db().sessionmaker()
    failed = False
    added = duplicates = updated = to_review = kept = skipped = 0
    try:
        bank = _bank(session, bank_id)
        chosen = STATUSES.get(status) or importing.import_status(bank)
        for file in files:
            name = str(file)
            preview = importing.preview_import(
                session, bank, file.name, file.read_bytes(), fmt, knowledge_point
            )
            for problem in preview.errors:
                click.echo(_line(name, problem), err=True)
            for problem in preview.skipped:
                click.echo(_line(name, problem, "skipped: "), err=True)
            if not quiet:
                for problem in preview.warnings:
                    click.echo(_line(name, problem, "warning: "), err=True)
            if preview.errors:
                failed = True
                continue
            if failed:
                continue
            # Each file is stored (flushed) before the next is checked, so duplicates across
            # files are found too; the transaction is committed only when every file is clean.
            update = [item.line for item in preview.conflicts] if update_differing else []
            for item in preview.conflicts:
                click.echo(_conflict_line(name, item, item.line in update), err=True)
            outcome = importing.commit_import(
                session, None, bank, preview, now(), status=chosen, update=update
            )
            added += outcome.added
            duplicates += outcome.duplicates
            updated += outcome.updated
            to_review += outcome.to_review
            kept += outcome.kept
            skipped += outcome.skipped
        if failed:
            session.rollback()
            click.echo(
                "nothing imported: fix the problems above and run the import again", err=True
            )
            sys.exit(1)
        summary = (
            f"{added} questions {'would be ' if dry_run else ''}added as {chosen.value} "
            f"to “{bank.name}” ({duplicates} already in the bank, {updated} updated "
            f"({to_review} of them active and {'would go' if dry_run else 'went'} back to review) "
            f"and {kept} kept of those the bank holds with other settings, {skipped} not importable)"
        )
        if dry_run:
            session.rollback()
        else:
            session.commit()
        click.echo(summary)
    except importing.ImportFailed as failure:
        session.rollback()
        click.echo(_line(str(path), failure.problem), err=True)
        sys.exit(1)
    finally:
        session.close()


def _knowledge_point_id(session, bank, text: str | None) -> int | None:
    if not text:
        return None
    full_name = " › ".join(split_path(text))
    found = session.scalar(
        sa.select(KnowledgePoint.id).where(
            KnowledgePoint.bank_id == bank.id, KnowledgePoint.full_name == full_name
        )
    )
    if found is None:
        raise click.ClickException(f"no knowledge point “{text}” in this bank")
    return found


def _tag_id(session, bank, name: str | None) -> int | None:
    if not name:
        return None
    found = session.scalar(sa.select(Tag.id).where(Tag.bank_id == bank.id, Tag.name == name))
    if found is None:
        raise click.ClickException(f"no tag “{name}” in this bank")
    return found


def _source_id(session, text: str | None) -> int | None:
    """A source version by its title as the web pages show it, 《中国共产党章程》 2022-10-22."""
    if not text:
        return None
    found = [source for source in queries.sources(session) if source.title == text.strip()]
    if not found:
        known = "; ".join(source.title for source in queries.sources(session)) or "none"
        raise click.ClickException(f"no source “{text}” (known: {known})")
    return found[0].id


@bank_cli.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(list(formats.FORMATS)), required=True)
@click.option("--type", "type_code", type=click.Choice(list(TYPES)), default=None)
@click.option("--status", type=click.Choice([s.value for s in QuestionStatus]), default=None)
@click.option(
    "--knowledge-point", default=None, help="A path such as 党章/第一章 党员 (and below)."
)
@click.option("--tag", default=None)
@click.option("--difficulty", type=click.IntRange(1, 5), default=None)
@click.option(
    "--source", default=None, help="A source version such as “《中国共产党章程》 2022-10-22”."
)
@click.option(
    "--bank", "bank_id", type=int, default=None, help="Bank id (default: the default bank)."
)
def export_command(path, fmt, type_code, status, knowledge_point, tag, difficulty, source, bank_id):
    """Write the bank's questions (current versions) to PATH in the chosen format."""
    with get_db().session_scope() as session:
        bank = _bank(session, bank_id)
        filters = queries.QuestionFilters(
            type=type_code,
            status=QuestionStatus(status) if status else None,
            knowledge_point_id=_knowledge_point_id(session, bank, knowledge_point),
            tag_id=_tag_id(session, bank, tag),
            difficulty=difficulty,
            source_id=_source_id(session, source),
        )
        versions = queries.export_versions(session, bank, filters)
        result = formats.export(fmt, [services.to_draft(v) for v in versions])
    path.write_bytes(result.data)
    for draft, reason in result.skipped:
        click.echo(f"{draft.origin}: skipped: {reason}", err=True)
    click.echo(f"{result.exported} questions exported to {path} ({len(result.skipped)} skipped)")
