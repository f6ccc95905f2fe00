"""Factories for discussion tests: boards, word lists and posts through the real services."""

from learnapp.discussions.models import ModerationMode, WordAction
from learnapp.discussions.services import wordlists
from learnapp.discussions.services.boards import branch_board, create_platform_board
from learnapp.discussions.services.posts import PostingRules, create_thread, reply
from tests.factories import FIXED_NOW

# Test accounts are created at FIXED_NOW (all would count as new members), and arranging data
# writes many posts, some alike, at one instant: the tests of those rules pass their own.
RULES = PostingRules(
    new_member_days=0, posts_per_minute=10_000, posts_per_day=10_000, duplicate_window_seconds=0
)


def make_word_lists(session, now=FIXED_NOW):
    block = wordlists.create_category(session, None, "广告", WordAction.BLOCK, now)
    wordlists.add_terms(session, None, block, "赌博网站\n代开发票\n刷单返利", now)
    review = wordlists.create_category(session, None, "信访", WordAction.REVIEW, now)
    wordlists.add_terms(session, None, review, "上访\n维权", now)
    wordlists.add_allowed(session, None, "党史\n天安门\n五星红旗\n《中国共产党章程》", now)
    return block, review


def make_platform_board(session, mode=ModerationMode.FLAGGED_ONLY, now=FIXED_NOW):
    return create_platform_board(session, None, name="交流区", description="", mode=mode, now=now)


def make_branch_board(session, branch, mode=ModerationMode.FLAGGED_ONLY, now=FIXED_NOW):
    board = branch_board(session, branch, now)
    board.moderation_mode = mode
    session.flush()
    return board


def make_thread(session, author, board, *, title="学习体会", body="认真学习。", now=FIXED_NOW):
    return create_thread(session, author, board, title=title, body=body, now=now, rules=RULES)


def make_reply(session, author, thread, body="赞同。", now=FIXED_NOW, quoted=None):
    return reply(
        session,
        author,
        thread,
        body=body,
        quoted_post_id=quoted,
        now=now,
        rules=RULES,
    )
