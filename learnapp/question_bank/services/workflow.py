"""The review workflow, bulk actions, superseded sources and usage marking."""

from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.audit.services import record
from learnapp.errors import DomainError
from learnapp.notifications.messages import declare, verbatim
from learnapp.notifications.preferences import Audience, register_kind
from learnapp.notifications.services import notify
from learnapp.question_bank.draft import MAX_TAGS
from learnapp.question_bank.models import (
    Question,
    QuestionBank,
    QuestionStatus,
    QuestionVersion,
    ReviewFlag,
    SourceDocument,
)
from learnapp.question_bank.queries import bank_in_scope_clause
from learnapp.question_bank.services.banks import (
    ensure_knowledge_point,
    ensure_tags,
    is_bank_reviewer,
)
from learnapp.question_bank.services.questions import check_revision, sync_copies
from learnapp.question_bank.services.validation import check_stored
from learnapp.sanitize import strip_bidi

# About one's own work: always sent, like a removed post.
register_kind(
    "question_rejected",
    _l("My questions sent back by a reviewer"),
    mandatory=True,
    audience=Audience.BANK_EDITORS,
)
QUESTION_REJECTED = declare(
    "question_rejected",
    "question_rejected",
    _l("A reviewer sent back your question “%(stem)s”"),
    ("stem", "question", "reason"),
    verbatim("reason"),
)


def _audit_status(session, actor, question, action, before, now, reason=""):
    after = {"status": question.status.value}
    if reason:
        after["reason"] = reason
    record(
        session,
        actor,
        action,
        "question",
        question.id,
        now=now,
        before={"status": before.value},
        after=after,
    )


def submit_for_review(session: Session, actor, question: Question, now: datetime) -> None:
    """A draft goes to the review queue, once its content meets the rules (`check_stored`)."""
    if question.status == QuestionStatus.DRAFT:
        check_stored(question)
    before = question.status
    question.submit_for_review()
    question.touch(now)
    session.flush()
    _audit_status(session, actor, question, "question.submitted", before, now)


def is_own_question(actor, question: Question) -> bool:
    """The actor wrote the question or its current version: with two-person review on, the
    bank needs someone else to approve it."""
    return actor.id in (question.author_id, question.current_version.created_by_id)


def may_approve(actor, question: Question) -> bool:
    """Whether `approve_question` would accept the actor for this question in review: the
    review pages offer approving and sending back only then."""
    return (
        question.status == QuestionStatus.IN_REVIEW
        and is_bank_reviewer(actor)
        and not (question.bank.two_person_review and is_own_question(actor, question))
    )


def approve_question(
    session: Session, actor, question: Question, now: datetime, *, revision: int | None = None
) -> None:
    """A reviewer makes a question active. With two-person review on, the reviewer may be
    neither the question's author nor the author of its current version. With `revision` (the
    one the reviewer's page showed), a question changed since is refused: nobody approves
    content they have not seen."""
    if revision is not None:
        check_revision(
            session,
            question,
            revision,
            _l(
                "This question was changed after you opened it, so it was not approved. "
                "Read it again, then approve it."
            ),
        )
    if not is_bank_reviewer(actor):
        raise DomainError(None, _l("Only a reviewer can approve questions."))
    if question.bank.two_person_review and is_own_question(actor, question):
        raise DomainError(
            None, _l("This bank needs a second person: you cannot approve your own question.")
        )
    if question.status == QuestionStatus.IN_REVIEW:
        check_stored(question)
    before = question.status
    question.approve(actor.id, now)
    question.touch(now)
    session.flush()
    _audit_status(session, actor, question, "question.approved", before, now)


def reject_question(
    session: Session, actor, question: Question, reason: str, now: datetime
) -> None:
    """A reviewer sends a question back, always with a reason for the author. A question never
    approved goes back to draft. An edit of an approved question is rejected alone: the
    proposal is marked rejected (kept, with the reason, for its editor to read and rework) and
    the question stays active with its approved version, in every pool and rule that draws it."""
    if not is_bank_reviewer(actor):
        raise DomainError(None, _l("Only a reviewer can reject questions."))
    reason = strip_bidi(reason or "").strip()[:300]
    if not reason:
        raise DomainError("reason", _l("Say what needs changing."))
    before = question.status
    proposal = question.current_version
    if question.is_edit_in_review and question.reviewed_version_id is not None:
        question.keep_approved()
        proposal.rejected_at, proposal.rejected_by_id = now, actor.id
        proposal.rejection_reason = reason
        sync_copies(question, session.get(QuestionVersion, question.reviewed_version_id))
    else:
        question.reject(actor.id, reason, now)
    question.touch(now)
    session.flush()
    _audit_status(session, actor, question, "question.rejected", before, now, reason)
    _tell_authors(session, actor, question, proposal, reason, now)


def _tell_authors(session: Session, actor, question, proposal, reason: str, now) -> None:
    """The question's author and the editor of the version sent back learn that it came back
    and why (the reviewer is not told about their own question); the link opens that version
    when it is no longer the current one. The rows are written in the reviewer's transaction,
    so they exist only once it commits."""
    recipients = {question.author_id, proposal.created_by_id} - {None, actor.id}
    args = {"question_id": question.id}
    if proposal.id != question.current_version_id:
        args["version"] = proposal.number
    link = current_app.url_map.bind("localhost").build("question_bank.question_detail", args)
    stem = " ".join(proposal.stem.split())
    stem = stem if len(stem) <= 40 else stem[:40] + "…"
    params = {"stem": stem, "question": question.id, "reason": reason}
    notify(session, recipients, QUESTION_REJECTED, link, now, params)


def retire_question(session: Session, actor, question: Question, now: datetime) -> None:
    """A retired question is no longer drawn; its versions stay readable."""
    before = question.status
    question.retire()
    question.touch(now)
    session.flush()
    _audit_status(session, actor, question, "question.retired", before, now)


def reopen_question(session: Session, actor, question: Question, now: datetime) -> None:
    """A retired question comes back as a draft, to be reviewed again."""
    before = question.status
    question.reopen()
    question.touch(now)
    session.flush()
    _audit_status(session, actor, question, "question.reopened", before, now)


# Bulk actions: each question that cannot take the action is skipped and counted.


def _bulk_status(session, actor, questions, action, now) -> tuple[int, int]:
    done = skipped = 0
    for question in questions:
        try:
            action(session, actor, question, now)
        except DomainError:
            skipped += 1
        else:
            done += 1
    return done, skipped


def bulk_submit(session: Session, actor, questions, now: datetime) -> tuple[int, int]:
    """Send every draft among `questions` to review; returns (sent, skipped)."""
    return _bulk_status(session, actor, questions, submit_for_review, now)


def bulk_retire(session: Session, actor, questions, now: datetime) -> tuple[int, int]:
    """Retire every question that is not already retired; returns (retired, skipped)."""
    return _bulk_status(session, actor, questions, retire_question, now)


def bulk_move(
    session: Session, actor, bank: QuestionBank, questions, path: Sequence[str], now: datetime
) -> int:
    """Move questions to a knowledge point (created when new); no new versions."""
    target = ensure_knowledge_point(session, bank, path)
    if target is None:
        raise DomainError("knowledge_point", _l("Choose a knowledge point."))
    ids = [question.id for question in questions if question.bank_id == bank.id]
    for question in questions:
        if question.bank_id == bank.id:
            question.knowledge_point = target
            question.touch(now)
    session.flush()
    record(
        session,
        actor,
        "question.bulk_moved",
        "question_bank",
        bank.id,
        now=now,
        after={"question_ids": ids, "knowledge_point_id": target.id},
    )
    return len(ids)


def bulk_tag(
    session: Session,
    actor,
    bank: QuestionBank,
    questions,
    tag_names: Sequence[str],
    now: datetime,
) -> int:
    """Add the tags to each question of the bank that lacks them, as far as its MAX_TAGS allow;
    returns how many questions gained a tag."""
    tags = ensure_tags(session, bank, tag_names)
    if not tags:
        raise DomainError("tag", _l("Enter a tag."))
    tagged = []
    for question in questions:
        if question.bank_id != bank.id:
            continue
        missing = [tag for tag in tags if tag not in question.tags]
        room = MAX_TAGS - len(question.tags)
        if missing and room > 0:
            question.tags.extend(missing[:room])
            question.touch(now)
            tagged.append(question.id)
    session.flush()
    record(
        session,
        actor,
        "question.bulk_tagged",
        "question_bank",
        bank.id,
        now=now,
        after={"question_ids": tagged, "tags": [tag.name for tag in tags]},
    )
    return len(tagged)


# Sources and usage


def _citing(document: SourceDocument):
    """The questions whose current version cites the document, or whose version in use does
    (an approved version still asked while an edit citing another document awaits review)."""
    citing = sa.select(QuestionVersion.id).where(QuestionVersion.source_id == document.id)
    return sa.or_(Question.current_version_id.in_(citing), Question.version_in_use_id.in_(citing))


def _cited_outside_scope(session: Session, actor, document: SourceDocument) -> bool:
    return (
        session.scalar(
            sa.select(Question.id)
            .join(QuestionBank, Question.bank_id == QuestionBank.id)
            .where(_citing(document), ~bank_in_scope_clause(actor))
            .limit(1)
        )
        is not None
    )


def supersede_source(session: Session, actor, document: SourceDocument, now: datetime) -> int:
    """Mark a document version superseded and flag every question whose current version or
    version in use cites it: active ones go back to review, drafts and questions in review get
    the reason (an edit in review no longer lets its approved version be asked); retired ones
    are left alone. Documents are shared by every bank, so an editor who is not an
    administrator may do this only when every question citing it is in a bank they reach.
    Returns how many questions were flagged."""
    if document.is_superseded:
        raise DomainError(None, _l("This document version is already marked superseded."))
    if not actor.is_admin and _cited_outside_scope(session, actor, document):
        raise DomainError(
            None,
            _l(
                "Questions in banks outside your reach cite this document: ask an administrator "
                "to mark it superseded."
            ),
        )
    document.is_superseded, document.superseded_at = True, now
    questions = session.scalars(
        sa.select(Question)
        .where(_citing(document), Question.status != QuestionStatus.RETIRED)
        .order_by(Question.id)
    ).all()
    for question in questions:
        before = question.status
        question.flag_for_review(ReviewFlag.SOURCE_SUPERSEDED, document.title)
        question.touch(now)
        session.flush()
        # The log keeps the reason as worded for the person who acted.
        reason = str(question.status_reason_text)
        _audit_status(session, actor, question, "question.flagged", before, now, reason)
    record(
        session,
        actor,
        "source.superseded",
        "source_document",
        document.id,
        now=now,
        after={"name": document.name, "version": document.version, "flagged": len(questions)},
    )
    return len(questions)


def mark_used(session: Session, version_ids: Iterable[int], now: datetime) -> None:
    """Record that attempts or papers took these versions: freezes them (edits make new
    versions) and counts the use. One UPDATE, so concurrent markers never lose a count."""
    ids = sorted(set(version_ids))
    if not ids:
        return
    session.execute(
        sa.update(QuestionVersion)
        .where(QuestionVersion.id.in_(ids))
        .values(
            use_count=QuestionVersion.use_count + 1,
            used_at=sa.func.coalesce(QuestionVersion.used_at, now),
        )
        .execution_options(synchronize_session=False)
    )
    for version in session.identity_map.values():
        if isinstance(version, QuestionVersion) and version.id in ids:
            session.expire(version, ["use_count", "used_at"])
