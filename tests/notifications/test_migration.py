"""The migration that gives notifications a message key keeps the ones already sent readable, on
SQLite and on PostgreSQL (LEARNAPP_TEST_DB=postgres)."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.orm import Session

from learnapp.cli import alembic_config, upgrade_database
from learnapp.discussions.notices import ANNOUNCEMENT
from learnapp.notifications.models import Notification
from learnapp.notifications.services import notify
from tests.conftest import scratch_engine
from tests.notifications.helpers import rendered

BEFORE = "4b8e2d6c9a17"
SENT_AT = datetime(2026, 3, 1, 8, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path):
    yield from scratch_engine(tmp_path, "notices")


def _downgrade(engine, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _columns(engine) -> set[str]:
    return {column["name"] for column in sa.inspect(engine).get_columns("notifications")}


def test_notifications_sent_before_keep_their_text_and_new_ones_store_a_message(engine, ctx):
    upgrade_database(engine, BEFORE)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO users (id, username, display_name, is_active, category, is_mobile,"
                " is_retired, is_elderly_exempt, created_at)"
                " VALUES (1, 'mema', '成员甲', :yes, 'full', :no, :no, :no, :at)"
            ),
            {"yes": True, "no": False, "at": SENT_AT},
        )
        connection.execute(
            sa.text(
                "INSERT INTO notifications (user_id, kind, title, body, link, created_at)"
                " VALUES (1, 'claim_decided', '您申报的 3.00 学时已审核通过', '', '/', :at)"
            ),
            {"at": SENT_AT},
        )
    upgrade_database(engine)
    assert {"message", "params"} <= _columns(engine)
    with Session(engine) as session:
        notify(session, [1], ANNOUNCEMENT, "/", SENT_AT, {"title": "通知", "announcement": 1})
        session.commit()
        old, new = session.scalars(sa.select(Notification).order_by(Notification.id)).all()
        assert (old.message, old.params) == (None, None)
        assert rendered(old, "en").title == "您申报的 3.00 学时已审核通过"
        assert (new.message, new.params) == ("announcement", {"title": "通知", "announcement": 1})
        assert rendered(new, "en").title == "Announcement: 通知"
    _downgrade(engine, BEFORE)
    assert not {"message", "params"} & _columns(engine)
    with engine.connect() as connection:
        titles = connection.execute(sa.text("SELECT title FROM notifications ORDER BY id"))
        assert [title for (title,) in titles] == ["您申报的 3.00 学时已审核通过", ""]
