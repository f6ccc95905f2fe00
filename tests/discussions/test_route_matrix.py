"""Every route of the discussion and notification packages, for the roles allowed and refused.

Each case runs in a fresh world: the refused roles first (they must change nothing), then the
allowed ones. Out of scope answers 404 (ids of other branches cannot be probed); a route the
role may not use at all answers 403.
"""

import re

import pytest
import sqlalchemy as sa

from learnapp.discussions.models import (
    AllowedTerm,
    Announcement,
    Complaint,
    Post,
    PostState,
    SensitiveTerm,
    Thread,
    WordCategory,
)
from learnapp.discussions.notices import ANNOUNCEMENT
from learnapp.discussions.services.announcements import publish_announcement
from learnapp.discussions.services.feedback import submit_complaint
from learnapp.notifications.models import Notification
from learnapp.notifications.services import notify
from learnapp.orgs.models import Role
from tests.courses.factories import make_course
from tests.discussions.factories import (
    make_branch_board,
    make_platform_board,
    make_reply,
    make_thread,
    make_word_lists,
)
from tests.factories import FIXED_NOW, make_user
from tests.world import build_world

ROLES = ("admin", "general_secretary", "secretary_a", "secretary_b", "member_a", "member_b")


@pytest.fixture
def objects(app, session):
    world = build_world(session)
    with app.test_request_context():
        users = {role: getattr(world, role, None) for role in ROLES}
        users["secretary_b"] = make_user(
            session, username="secb", unit=world.branch_b, roles=((Role.SECRETARY, world.branch_b),)
        )
        make_word_lists(session)
        board = make_branch_board(session, world.branch_a)
        make_platform_board(session)
        thread = make_thread(session, world.member_a, board, title="甲支部讨论")
        reply = make_reply(session, world.secretary_a, thread, body="书记的回复")
        held = make_reply(session, world.member_a, thread, body="如何维权？")
        assert held.state == PostState.HELD
        course = make_course(session, owner_unit=world.branch_a, audience_units=(world.branch_a,))
        announcement = publish_announcement(
            session,
            world.secretary_a,
            world.branch_a,
            title="支部通知",
            body="周五开会",
            expires_at=None,
            now=FIXED_NOW,
        )
        complaint = submit_complaint(
            session, world.member_a, subject="建议", body="增加音频", now=FIXED_NOW
        )
        notify(
            session,
            [world.member_a.id],
            ANNOUNCEMENT,
            "/boards",
            FIXED_NOW,
            {"title": "一条通知", "announcement": announcement.id},
        )
        session.commit()
    ids = {
        "board": board.id,
        "thread": thread.id,
        "reply": reply.id,
        "held": held.id,
        "course": course.id,
        "announcement": announcement.id,
        "complaint": complaint.id,
        "category": session.scalar(sa.select(WordCategory.id).order_by(WordCategory.id)),
        "term": session.scalar(sa.select(SensitiveTerm.id).order_by(SensitiveTerm.id)),
        "allowed": session.scalar(sa.select(AllowedTerm.id).order_by(AllowedTerm.id)),
        "note": session.scalar(
            sa.select(Notification.id).where(Notification.user_id == world.member_a.id)
        ),
    }
    return users, ids


# (method, path, form data, [(role, expected status), ...]): refused roles first.
CASES = {
    "boards": ("GET", "/boards", None, [(r, 200) for r in ROLES]),
    "course board": (
        "GET",
        "/courses/{course}/board",
        None,
        [("member_b", 404), ("member_a", 302), ("secretary_a", 302)],
    ),
    "board new form": (
        "GET",
        "/boards/new",
        None,
        [("secretary_a", 403), ("member_a", 403), ("admin", 200)],
    ),
    "board new": (
        "POST",
        "/boards/new",
        {"name": "新交流区", "description": "", "mode": "standard"},
        [("secretary_a", 403), ("admin", 302)],
    ),
    "board": (
        "GET",
        "/boards/{board}",
        None,
        [("member_b", 404), ("secretary_b", 404)]
        + [(r, 200) for r in ("admin", "general_secretary", "secretary_a", "member_a")],
    ),
    "board mode": (
        "POST",
        "/boards/{board}/mode",
        {"mode": "hold_all"},
        [("member_a", 403), ("secretary_b", 404), ("secretary_a", 302), ("general_secretary", 302)],
    ),
    "board follow": (
        "POST",
        "/boards/{board}/subscription",
        {"subscribe": "1"},
        [("member_b", 404), ("secretary_b", 404), ("member_a", 302)],
    ),
    "thread form": (
        "GET",
        "/boards/{board}/threads/new",
        None,
        [("member_b", 404), ("member_a", 200)],
    ),
    "thread new": (
        "POST",
        "/boards/{board}/threads/new",
        {"title": "新话题", "body": "内容"},
        [("member_b", 404), ("member_a", 302)],
    ),
    "thread": (
        "GET",
        "/threads/{thread}",
        None,
        [("member_b", 404), ("secretary_b", 404), ("member_a", 200), ("admin", 200)],
    ),
    "post link": (
        "GET",
        "/threads/{thread}/posts/{reply}",
        None,
        [("member_b", 404), ("member_a", 302)],
    ),
    "held post link": (
        "GET",
        "/threads/{thread}/posts/{held}",
        None,
        [("general_secretary", 302), ("member_a", 302)],
    ),
    "reply": (
        "POST",
        "/threads/{thread}/reply",
        {"body": "同意"},
        [("member_b", 404), ("member_a", 302)],
    ),
    "flags": (
        "POST",
        "/threads/{thread}/flags",
        {"flag": "pin"},
        [("member_a", 403), ("secretary_b", 404), ("secretary_a", 302)],
    ),
    "subscription": (
        "POST",
        "/threads/{thread}/subscription",
        {"subscribe": "0"},
        [("member_b", 404), ("member_a", 302)],
    ),
    "like": (
        "POST",
        "/posts/{reply}/like",
        {"like": "1"},
        [("member_b", 404), ("secretary_a", 403), ("member_a", 302)],
    ),
    "edit form": (
        "GET",
        "/posts/{held}/edit",
        None,
        [("member_b", 404), ("secretary_a", 403), ("member_a", 200)],
    ),
    "edit": (
        "POST",
        "/posts/{reply}/edit",
        {"body": "改过的回复"},
        [("member_b", 404), ("member_a", 403), ("secretary_a", 302)],
    ),
    "delete": (
        "POST",
        "/posts/{reply}/delete",
        None,
        [("member_b", 404), ("member_a", 403), ("secretary_a", 302)],
    ),
    "history": (
        "GET",
        "/posts/{reply}/history",
        None,
        [("member_b", 404), ("member_a", 404), ("secretary_a", 200), ("general_secretary", 200)],
    ),
    "report form": (
        "GET",
        "/posts/{reply}/report",
        None,
        [("member_b", 404), ("member_a", 200)],
    ),
    "report": (
        "POST",
        "/posts/{reply}/report",
        {"reason": "spam", "note": ""},
        [("member_b", 404), ("member_a", 302)],
    ),
    "queue": (
        "GET",
        "/moderation",
        None,
        [("member_a", 403), ("secretary_a", 200), ("general_secretary", 200), ("admin", 200)],
    ),
    "review": (
        "GET",
        "/moderation/posts/{held}",
        None,
        [("member_a", 403), ("secretary_b", 404), ("secretary_a", 200), ("admin", 200)],
    ),
    "decide": (
        "POST",
        "/moderation/posts/{held}",
        {"decision": "approve", "reason": "fine", "note": ""},
        [("member_a", 403), ("secretary_b", 404), ("secretary_a", 302)],
    ),
    "announcements": ("GET", "/announcements", None, [(r, 200) for r in ROLES]),
    "announcement form": (
        "GET",
        "/announcements/new",
        None,
        [("member_a", 403), ("secretary_a", 200), ("admin", 200)],
    ),
    "announcement new": (
        "POST",
        "/announcements/new",
        {"unit_id": "{branch_a}", "title": "通知", "body": "内容"},
        [("member_a", 403), ("secretary_b", 400), ("secretary_a", 302)],
    ),
    "announcement": (
        "GET",
        "/announcements/{announcement}",
        None,
        [("member_b", 404), ("secretary_b", 404), ("member_a", 200), ("secretary_a", 200)],
    ),
    "receipts": (
        "GET",
        "/announcements/{announcement}/receipts",
        None,
        [("member_a", 403), ("secretary_b", 404), ("secretary_a", 200), ("admin", 200)],
    ),
    "remind unread": (
        "POST",
        "/announcements/{announcement}/remind",
        None,
        [("member_a", 403), ("secretary_b", 404), ("secretary_a", 302)],
    ),
    "receipts export": (
        "GET",
        "/announcements/{announcement}/receipts.csv",
        None,
        [("member_a", 403), ("secretary_b", 404), ("secretary_a", 200), ("admin", 200)],
    ),
    "withdraw": (
        "POST",
        "/announcements/{announcement}/withdraw",
        None,
        [("member_a", 403), ("secretary_b", 404), ("secretary_a", 302)],
    ),
    "feedback": ("GET", "/feedback", None, [(r, 200) for r in ROLES]),
    "feedback send": (
        "POST",
        "/feedback",
        {"subject": "建议", "body": "多一些案例"},
        [("member_b", 302)],
    ),
    "feedback detail": (
        "GET",
        "/feedback/{complaint}",
        None,
        [("member_b", 404), ("admin", 404), ("member_a", 200)],
    ),
    "feedback add": (
        "POST",
        "/feedback/{complaint}",
        {"body": "补充一点"},
        [("member_b", 404), ("member_a", 302)],
    ),
    "feedback admin": (
        "GET",
        "/admin/feedback",
        None,
        [("secretary_a", 403), ("member_a", 403), ("admin", 200)],
    ),
    "feedback admin detail": (
        "GET",
        "/admin/feedback/{complaint}",
        None,
        [("secretary_a", 403), ("admin", 200)],
    ),
    "feedback admin reply": (
        "POST",
        "/admin/feedback/{complaint}",
        {"body": "收到"},
        [("secretary_a", 403), ("member_a", 403), ("admin", 302)],
    ),
    "word lists": (
        "GET",
        "/admin/words",
        None,
        [("secretary_a", 403), ("member_a", 403), ("admin", 200)],
    ),
    "category new": (
        "POST",
        "/admin/words/categories",
        {"name": "新类", "action": "review"},
        [("secretary_a", 403), ("admin", 302)],
    ),
    "category action": (
        "POST",
        "/admin/words/categories/{category}/action",
        {"action": "pass"},
        [("secretary_a", 403), ("admin", 302)],
    ),
    "terms add": (
        "POST",
        "/admin/words/categories/{category}/terms",
        {"terms": "新词"},
        [("secretary_a", 403), ("admin", 302)],
    ),
    "term remove": (
        "POST",
        "/admin/words/terms/{term}/remove",
        None,
        [("secretary_a", 403), ("admin", 302)],
    ),
    "allowed add": (
        "POST",
        "/admin/words/allowed",
        {"terms": "红船精神"},
        [("secretary_a", 403), ("admin", 302)],
    ),
    "allowed remove": (
        "POST",
        "/admin/words/allowed/{allowed}/remove",
        None,
        [("secretary_a", 403), ("admin", 302)],
    ),
    "notifications": ("GET", "/notifications", None, [(r, 200) for r in ROLES]),
    "notification open": (
        "POST",
        "/notifications/{note}/open",
        None,
        [("member_b", 404), ("admin", 404), ("member_a", 302)],
    ),
    "notifications read all": ("POST", "/notifications/read-all", None, [("member_a", 302)]),
    "notification settings": (
        "GET",
        "/notifications/settings",
        None,
        [(r, 200) for r in ROLES],
    ),
    "notification settings save": (
        "POST",
        "/notifications/settings",
        {"receive": ["mention"]},
        [("member_a", 302)],
    ),
}


def snapshot(session) -> tuple:
    """What a refused request must not have changed."""
    session.rollback()
    session.expire_all()
    return tuple(
        session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Thread, Post, Announcement, Complaint, WordCategory, SensitiveTerm)
    ) + tuple(session.scalars(sa.select(Post.state).order_by(Post.id)))


@pytest.mark.parametrize("case", list(CASES))
def test_route_answers_each_role_as_its_policy_and_scope_say(case, objects, session, auth):
    users, ids = objects
    method, path, data, expectations = CASES[case]
    world_ids = {**ids, "branch_a": users["member_a"].unit.parent_id}
    url = path.format(**world_ids)
    form = {k: v.format(**world_ids) if isinstance(v, str) else v for k, v in (data or {}).items()}
    for role, expected in expectations:
        before = snapshot(session)
        auth.login(users[role].username)
        response = auth.post(url, form) if method == "POST" else auth.client.get(url)
        assert response.status_code == expected, (case, role, response.status_code)
        if expected >= 400:
            assert snapshot(session) == before, (case, role)
        auth.logout()


def test_every_route_of_the_two_blueprints_has_a_case(app):
    def shape(path):
        return re.sub(r"<[^>]+>|\{\w+\}", "<id>", path)

    cases = {(method, shape(path)) for method, path, *_ in CASES.values()}
    routes = {
        (method, shape(rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in ("discussions", "notifications")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert len(routes) > 40
    assert routes - cases == set()
