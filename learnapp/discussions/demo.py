"""Demo discussions: word lists, a platform board and the demo branch's board with threads, a
post held for review, and an announcement from the demo secretary."""

from datetime import timedelta

from learnapp.discussions.models import ModerationMode, WordAction
from learnapp.discussions.services import wordlists
from learnapp.discussions.services.announcements import publish_announcement
from learnapp.discussions.services.boards import branch_board, create_platform_board
from learnapp.discussions.services.posts import PostingRules, create_thread, reply

# Mild placeholder terms: the real lists are the organisation's to maintain.
DEMO_LISTS = {
    ("广告与诈骗", WordAction.BLOCK): ["赌博网站", "代开发票", "刷单返利"],
    ("信访维权（人工审核）", WordAction.REVIEW): ["上访", "维权"],
}
ALLOWED = [
    "党史",
    "党章",
    "《中国共产党章程》",
    "中国共产党章程",
    "天安门",
    "五星红旗",
    "毛泽东",
    "邓小平",
    "习近平",
    "习近平新时代中国特色社会主义思想",
]
# Seeding writes many posts at one instant: the flood limits are for people.
SEED_RULES = PostingRules(posts_per_minute=10_000, posts_per_day=10_000)


def seed(session, org, now) -> str:
    for (name, action), terms in DEMO_LISTS.items():
        category = wordlists.create_category(session, None, name, action, now)
        wordlists.add_terms(session, None, category, "\n".join(terms), now)
    wordlists.add_allowed(session, None, "\n".join(ALLOWED), now)

    platform = create_platform_board(
        session,
        None,
        name="理论学习交流",
        description="全院党员交流学习体会。新成员的帖子经审核后发布。",
        mode=ModerationMode.STANDARD,
        now=now,
    )
    welcome = create_thread(
        session,
        org.admin,
        platform,
        title="欢迎来到理论学习交流区",
        body=(
            "请围绕**党的创新理论**交流学习体会，文明发言。\n\n"
            "- 发言请实事求是，不传播未经核实的信息\n"
            "- 可以用 `@姓名` 提醒同志参与讨论\n"
            "- 发现不当内容，请点击帖子下方的“举报”"
        ),
        now=now - timedelta(days=2),
        rules=SEED_RULES,
    )
    welcome.is_pinned = True

    board = branch_board(session, org.demo_branch, now)
    # The branch knows its members: publish first, review what is flagged or reported.
    board.moderation_mode = ModerationMode.FLAGGED_ONLY
    study = create_thread(
        session,
        org.secretary,
        board,
        title="学习《中国共产党章程》总纲的体会",
        body=(
            "本月集体学习安排为党章总纲部分。请大家结合工作实际谈谈体会，"
            "周五支部党员大会上再集中交流。\n\n> 坚持党要管党、全面从严治党。"
        ),
        now=now - timedelta(days=1, hours=3),
        rules=SEED_RULES,
    )
    colleagues = [m for m in org.members if m.unit and m.unit.is_within(org.demo_branch)]
    others = [m for m in colleagues if m.id not in (org.secretary.id, org.member.id)]
    first = reply(
        session,
        others[0],
        study,
        body="重读党史和党章，对“四个意识”的理解更深了一层，准备在小组会上分享。",
        quoted_post_id=None,
        now=now - timedelta(days=1, hours=2),
        rules=SEED_RULES,
    )
    reply(
        session,
        org.member,
        study,
        body=f"@{org.secretary.display_name} 书记好，我整理了一份学习笔记，会前发给大家参考。",
        quoted_post_id=first.id,
        now=now - timedelta(days=1),
        rules=SEED_RULES,
    )
    create_thread(
        session,
        others[1],
        board,
        title="主题党日活动建议征集",
        body="下月主题党日想组织参观红色教育基地，大家有什么推荐的地点？",
        now=now - timedelta(hours=20),
        rules=SEED_RULES,
    )
    # A post the word list holds: it waits in demo-secretary's review queue.
    reply(
        session,
        others[2],
        study,
        body="有同事问起职工维权的渠道，支部能否请工会同志来讲一讲相关政策？",
        quoted_post_id=None,
        now=now - timedelta(hours=5),
        rules=SEED_RULES,
    )

    publish_announcement(
        session,
        org.secretary,
        org.demo_branch,
        title="关于开展本月集体学习的通知",
        body=(
            "各位同志：\n\n本月集体学习内容为《中国共产党章程》总纲，请于周五下午三点到会议室参加"
            "支部党员大会。请提前在讨论区分享学习体会。"
        ),
        expires_at=now + timedelta(days=30),
        now=now - timedelta(hours=6),
    )
    session.flush()
    return "discussions: 2 boards, 3 threads, 1 post held for review, 1 announcement"
