"""Messages: every one that can be sent has a renderer, rendering never fails, and the list page
shows each notification in the reader's current language."""

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from learnapp.completion.notices import PACE_REMINDER
from learnapp.completion.reminders import DIGEST, PACE
from learnapp.discussions.notices import ANNOUNCEMENT, COMPLAINT_NEW
from learnapp.notifications.messages import (
    GENERIC,
    MESSAGES,
    Message,
    declare,
    render,
    render_message,
)
from learnapp.notifications.models import Notification
from learnapp.notifications.preferences import KINDS
from learnapp.notifications.services import notify
from learnapp.orglife.claims import CLAIM_DECIDED
from tests.factories import FIXED_NOW, make_user
from tests.notifications.helpers import notices_of, rendered

# Every message key ever stored, with parameters as its sender stores them: a stored key must
# stay declared (notifications already sent carry it).
SAMPLES = {
    "quiz_marked": {"quiz": "党章知识测试", "attempt": 7},
    "pace_reminder": {},
    "secretary_digest": {
        "claims": 2,
        "units": [{"unit": "甲支部", "behind": 3, "overdue": 1, "due": 0}],
    },
    "claim_approved": {"hours": "3.00", "claim": 1, "reason": ""},
    "claim_rejected": {"hours": "3.00", "claim": 1, "reason": "证明不清晰"},
    "claim_reversed": {"hours": "3.00", "day": "2026-03-01", "claim": 1, "reason": "重复申报"},
    "assessment_self_appraisal_open": {"year": 2026, "period": 1},
    "assessment_peer_review_open": {"year": 2026, "period": 1},
    "assessment_evaluation_open": {"year": 2026, "period": 1},
    "assessment_result": {"year": 2026, "period": 1},
    "assessment_reminder": {"step": "peer_review", "year": 2026, "period": 1},
    "assessment_points_lapsed": {"count": 2, "year": 2026, "period": 1},
    "mention": {"name": "张三", "title": "学习体会", "thread": 1, "post": 2, "excerpt": "请看"},
    "new_thread": {"board": "甲支部", "title": "学习体会", "thread": 1, "post": 1, "excerpt": ""},
    "reply": {"title": "学习体会", "thread": 1, "post": 2, "excerpt": "赞同。"},
    "post_published": {"title": "学习体会", "thread": 1, "post": 2},
    "post_not_published": {"title": "学习体会", "thread": 1, "post": 2, "note": "广告"},
    "post_refused": {"title": "学习体会", "thread": 1, "post": 2, "reason": "spam", "note": "广告"},
    "post_removed": {"title": "学习体会", "thread": 1, "post": 2, "reason": "spam", "note": ""},
    "report_post_removed": {"post": 2},
    "report_post_stays": {"post": 2},
    "announcement": {"title": "关于集体学习的通知", "announcement": 1},
    "announcement_reminder": {"title": "关于集体学习的通知", "announcement": 1},
    "complaint_new": {"subject": "增加音频", "complaint": 1},
    "complaint_message": {"subject": "增加音频", "complaint": 1},
    "complaint_reply": {"subject": "增加音频", "complaint": 1},
    "question_rejected": {
        "stem": "党的最高领导机关是什么？",
        "question": 1,
        "reason": "出处有误",
    },
    "question_report_answered": {"question": "党的最高领导机关是什么？"},
}


@pytest.fixture
def english(ctx):
    with force_locale("en"):
        yield


def test_every_message_stored_or_sent_is_declared(app):
    # The app has imported every package, so every message is declared; notify accepts only
    # declared messages, so this covers every sending site. A key missing here was renamed or
    # removed, and the notifications that carry it would lose their words.
    assert set(MESSAGES) == set(SAMPLES)
    assert all(message.key == key for key, message in MESSAGES.items())


def test_a_key_is_declared_once_and_fits_its_column():
    with pytest.raises(ValueError, match="declared already"):
        declare(ANNOUNCEMENT.key, "announcement", ANNOUNCEMENT.title, ANNOUNCEMENT.params)
    with pytest.raises(ValueError, match="longer than 48"):
        declare("k" * 49, "announcement", ANNOUNCEMENT.title)
    assert MESSAGES[ANNOUNCEMENT.key] is ANNOUNCEMENT


def test_every_kind_members_can_mute_or_that_is_sent_has_its_messages(app):
    # The app has imported every package, so every kind is registered.
    kinds = {message.kind for message in MESSAGES.values()}
    assert set(KINDS) <= kinds  # a registered kind nothing can send would be a stale setting
    assert kinds <= set(KINDS) | {CLAIM_DECIDED, PACE, DIGEST}
    assert all(len(kind) <= 32 for kind in kinds)


@pytest.mark.parametrize("key", list(SAMPLES))
def test_each_message_reads_in_chinese_and_english(ctx, key):
    params = SAMPLES[key]
    assert set(params) == set(MESSAGES[key].params)
    row = Notification(message=key, params=params, title="", body="")
    chinese, english = rendered(row, "zh_Hans"), rendered(row, "en")
    for text in (chinese, english):
        assert text.title and "%(" not in text.title + text.body
        assert text.title != str(GENERIC)
    assert chinese.title != english.title


@pytest.mark.parametrize("key", [key for key, params in SAMPLES.items() if params])
def test_a_missing_parameter_gives_a_generic_line_not_an_error(english, key):
    complete = render_message(key, SAMPLES[key])
    for name in SAMPLES[key]:
        partial = {k: v for k, v in SAMPLES[key].items() if k != name}
        text = render_message(key, partial)
        assert text.title in (complete.title, "You have a notification.")
        assert text.body in (complete.body, "")


def test_parameters_that_cannot_fill_the_message_give_the_generic_line(english):
    generic = ("You have a notification.", "")
    assert render_message("quiz_marked", {"attempt": 1}) == generic
    assert render_message("secretary_digest", {"claims": "many", "units": []}) == generic
    assert render_message("secretary_digest", {"claims": 0, "units": ["甲"]}) == generic
    assert render_message("announcement", ["not", "a", "mapping"]) == generic
    step = {"step": "unknown", "year": 2026, "period": 1}
    assert render_message("assessment_reminder", step) == generic
    assert render_message("retired_message", {}) == generic
    # A body that cannot be filled is left out; the title still reads.
    text = render_message("claim_rejected", {"hours": "3.00", "claim": 1})
    assert text == ("Your claim of 3.00 study hours was not approved", "")


def test_notifications_written_before_messages_show_their_stored_text(ctx):
    old = Notification(message=None, params=None, title="您申报的 3 学时已审核通过", body="好")
    assert render(old) == ("您申报的 3 学时已审核通过", "好")
    assert rendered(old, "en") == ("您申报的 3 学时已审核通过", "好")


def test_notify_refuses_undeclared_messages_and_wrong_parameters(ctx, session):
    user = make_user(session)
    with pytest.raises(ValueError, match="not a declared message"):
        notify(session, [user.id], "announcement", "/", FIXED_NOW, {})
    lookalike = Message("announcement", "announcement", ANNOUNCEMENT.title, ANNOUNCEMENT.params)
    with pytest.raises(ValueError, match="not a declared message"):
        notify(session, [user.id], lookalike, "/", FIXED_NOW, {"title": "通知", "announcement": 1})
    with pytest.raises(ValueError, match="takes"):
        notify(session, [user.id], ANNOUNCEMENT, "/", FIXED_NOW, {"title": "缺少编号"})
    with pytest.raises(ValueError, match="takes"):
        notify(session, [user.id], PACE_REMINDER, "/", FIXED_NOW, {"extra": 1})
    assert notices_of(session, user) == []


def test_text_parameters_lose_direction_overrides_and_long_ones_are_cut(ctx, session):
    user = make_user(session)
    params = {"subject": "投诉\u202e" + "长" * 1200, "complaint": 3}
    notify(session, [user.id], COMPLAINT_NEW, "/", FIXED_NOW, params)
    (notice,) = notices_of(session, user)
    assert notice.params["subject"] == "投诉" + "长" * 998 and notice.params["complaint"] == 3
    assert len(render(notice).title) == 200


def _page(auth) -> str:
    return auth.client.get("/notifications").get_data(as_text=True)


def test_the_same_notification_follows_the_readers_language(session, auth):
    reader = make_user(session, username="reader")
    typed = "<b>学习</b>安排"
    params = {"title": typed, "announcement": 1}
    notify(session, [reader.id], ANNOUNCEMENT, "/announcements/1", FIXED_NOW, params)
    session.add(
        Notification(
            user_id=reader.id,
            kind="claim_decided",
            title="旧通知：已审核通过",
            body="旧的正文",
            link="/",
            created_at=FIXED_NOW,
        )
    )
    session.commit()
    auth.login("reader")
    page = _page(auth)
    assert "通知公告：&lt;b&gt;学习&lt;/b&gt;安排" in page and "<b>学习</b>" not in page
    assert "旧通知：已审核通过" in page and "旧的正文" in page
    assert auth.post("/language", {"locale": "en", "next": "/notifications"}).status_code == 302
    page = _page(auth)
    assert "Announcement: &lt;b&gt;学习&lt;/b&gt;安排" in page and "通知公告" not in page
    assert "<b>学习</b>" not in page
    assert "旧通知：已审核通过" in page  # stored before messages: as it was written
    assert auth.post("/language", {"locale": "zh_Hans", "next": "/"}).status_code == 302
    assert "通知公告：&lt;b&gt;学习&lt;/b&gt;安排" in _page(auth)
    stored = session.scalar(sa.select(Notification).where(Notification.message.is_not(None)))
    assert stored.title == "" and stored.params == params


def test_a_notification_that_cannot_be_rendered_still_lists(session, auth):
    reader = make_user(session, username="reader", locale="en")
    session.add(
        Notification(
            user_id=reader.id,
            kind="quiz_marked",
            message="quiz_marked",
            params={"attempt": 1},
            link="/",
            created_at=FIXED_NOW,
        )
    )
    session.commit()
    auth.login("reader")
    response = auth.client.get("/notifications")
    assert response.status_code == 200
    assert "You have a notification." in response.get_data(as_text=True)
