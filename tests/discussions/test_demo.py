"""The demo's discussion boards: every demo login is an established member, so what the demo
people post on the boards is published, not held as a new member's."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from learnapp.accounts.models import User
from learnapp.demo import DEMO_ACCOUNT_AGE_DAYS, seed_demo
from learnapp.discussions.models import Board, BoardKind, PostState, Thread
from learnapp.discussions.services.posts import PostingRules, reply

pytestmark = pytest.mark.usefixtures("ctx")
OCTOBER = datetime(2026, 10, 15, 2, 0, tzinfo=UTC)
LOGINS = {"demo-admin", "demo-secretary", "demo-member", "demo-editor", "demo-reviewer"}


def test_every_demo_login_is_dated_like_the_others_and_is_not_held_as_new(session):
    seed_demo(session, OCTOBER)
    logins = session.scalars(sa.select(User).where(User.password_hash.is_not(None))).all()
    assert {user.username for user in logins} == LOGINS
    # As the README says: every demo account is dated DEMO_ACCOUNT_AGE_DAYS before the seeding.
    joined = OCTOBER - timedelta(days=DEMO_ACCOUNT_AGE_DAYS)
    assert {user.created_at for user in session.scalars(sa.select(User))} == {joined}
    welcome = session.scalar(
        sa.select(Thread).join(Board).where(Board.kind == BoardKind.PLATFORM, Thread.is_pinned)
    )
    for username in ("demo-editor", "demo-reviewer"):
        person = next(user for user in logins if user.username == username)
        post = reply(
            session,
            person,
            welcome,
            body=f"{person.display_name}：认真学习，积极交流。",
            quoted_post_id=None,
            now=OCTOBER,
            rules=PostingRules(),
        )
        assert post.state == PostState.PUBLISHED, post.hold_reasons
