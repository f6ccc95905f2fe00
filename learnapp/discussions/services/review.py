"""The review queue's decisions and members' reports (举报). Every decision is appended to the
decision log and the audit log; the post's text is never changed by a decision."""

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.audit.services import record
from learnapp.discussions import notices
from learnapp.discussions.access import can_moderate_board, can_view_board
from learnapp.discussions.models import (
    APPROVE_REASONS,
    REJECT_REASONS,
    ModerationDecision,
    Post,
    PostState,
    ReasonCode,
    Report,
    ReportState,
    Thread,
)
from learnapp.discussions.services.posts import on_published
from learnapp.discussions.services.text import one_line
from learnapp.errors import DomainError
from learnapp.notifications.services import notify


def check_reportable(session: Session, reporter, post: Post) -> None:
    """A member reports someone else's published post they can see, and has one open report
    per post: asked before the form opens and again when it is sent."""
    if (
        post.state != PostState.PUBLISHED
        or post.author_id == reporter.id
        or not can_view_board(session, reporter, post.thread.board)
    ):
        raise DomainError(None, _l("This post cannot be reported."))
    duplicate = session.scalar(
        sa.select(Report.id).where(
            Report.post_id == post.id,
            Report.reporter_id == reporter.id,
            Report.state == ReportState.OPEN,
        )
    )
    if duplicate:
        raise DomainError(None, _l("You have already reported this post."))


def report_post(
    session: Session, reporter, post: Post, *, reason: ReasonCode, note: str, now: datetime
) -> Report:
    """A member reports a post they may report (check_reportable), saying what is wrong with
    it."""
    check_reportable(session, reporter, post)
    if reason in APPROVE_REASONS:
        raise DomainError("reason", _l("Choose what is wrong with the post."))
    report = Report(
        post_id=post.id,
        reporter_id=reporter.id,
        reason=reason,
        note=one_line(note, 500),
        created_at=now,
    )
    session.add(report)
    session.flush()
    return report


def decide_post(
    session: Session,
    moderator,
    post: Post,
    *,
    approve: bool,
    reason: ReasonCode,
    note: str,
    now: datetime,
) -> ModerationDecision:
    """Approve (publish a held post, or keep a reported one) or reject (remove it; the text is
    kept). Only the board's moderators decide, never about their own posts (another moderator
    does); the author and the reporters hear the outcome."""
    thread = post.thread
    if not can_moderate_board(moderator, thread.board):
        raise DomainError(None, _l("Only the board's moderators can do this."))
    if post.author_id == moderator.id:
        raise DomainError(None, _l("Another moderator decides about your own posts."))
    allowed = APPROVE_REASONS if approve else REJECT_REASONS
    if reason not in allowed:
        raise DomainError("reason", _l("This reason does not fit the decision."))
    before = post.state
    target = PostState.PUBLISHED if approve else PostState.REJECTED
    pending = post.is_review_pending
    if before not in (PostState.HELD, PostState.PUBLISHED) or (
        approve
        and before == PostState.PUBLISHED
        and not pending
        and not _open_reports(session, post)
    ):
        raise DomainError(None, _l("This post has already been decided on."))
    # Conditional update: of two moderators deciding at once, exactly one wins.
    moved = session.execute(
        sa.update(Post)
        .where(Post.id == post.id, Post.state == before, Post.is_review_pending == pending)
        .values(
            state=target,
            is_review_pending=False,
            state_changed_at=now if before != target else Post.state_changed_at,
        )
    ).rowcount
    if moved != 1:
        raise DomainError(None, _l("This post has already been decided on."))
    session.expire(post, ["state", "state_changed_at", "is_review_pending"])
    if before != target and post.is_opening:
        session.execute(sa.update(Thread).where(Thread.id == thread.id).values(state=target))
        session.expire(thread, ["state"])
    decision = ModerationDecision(
        post_id=post.id,
        moderator_id=moderator.id,
        approved=approve,
        reason=reason,
        note=one_line(note, 500),
        decided_at=now,
    )
    session.add(decision)
    reports = _open_reports(session, post)
    for report in reports:
        report.state = ReportState.DISMISSED if approve else ReportState.UPHELD
        report.decided_at = now
    session.flush()
    record(
        session,
        moderator,
        "post.approved" if approve else "post.rejected",
        "post",
        post.id,
        now=now,
        before={"state": before.value, "hold_reasons": post.hold_reasons, "terms": post.hit_terms},
        after={
            "state": target.value,
            "reason": reason.value,
            "note": decision.note,
            "reports": [r.id for r in reports],
        },
    )
    link = f"/threads/{thread.id}/posts/{post.id}"
    # A removed opening post takes its thread with it: the notices then point at the board.
    after_link = f"/boards/{thread.board_id}" if post.is_opening and not approve else link
    if before == PostState.HELD and approve:
        on_published(session, post, now)
        notify(
            session,
            [post.author_id],
            notices.POST_PUBLISHED,
            link,
            now,
            {"title": thread.title, "thread": thread.id, "post": post.id},
        )
    elif not approve:
        # Not published, or taken down once published: the author hears which, and why.
        message = notices.POST_REFUSED if before == PostState.HELD else notices.POST_REMOVED
        about = {"title": thread.title, "thread": thread.id, "post": post.id}
        notify(
            session,
            [post.author_id],
            message,
            after_link,
            now,
            {**about, "reason": reason.value, "note": decision.note},
        )
    if reports:
        notify(
            session,
            [r.reporter_id for r in reports],
            notices.REPORT_POST_STAYS if approve else notices.REPORT_POST_REMOVED,
            after_link,
            now,
            {"post": post.id},
        )
    return decision


def _open_reports(session: Session, post: Post) -> list[Report]:
    return list(
        session.scalars(
            sa.select(Report).where(Report.post_id == post.id, Report.state == ReportState.OPEN)
        )
    )
