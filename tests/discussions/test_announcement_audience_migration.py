"""The migration that records an announcement's audience takes it, for announcements already
published, from the notifications sent at publication, gives receipts already stored their
reader's unit, and marks read what withdrawn announcements left unread; on SQLite and on
PostgreSQL (LEARNAPP_TEST_DB=postgres)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from alembic import command

from learnapp.accounts.models import User
from learnapp.cli import alembic_config, upgrade_database
from learnapp.discussions.models import Announcement, AnnouncementRead
from learnapp.notifications.models import Notification
from learnapp.orgs.models import Unit, UnitKind
from tests.conftest import scratch_engine
from tests.factories import FIXED_NOW

BEFORE = "8ed0d56a3b13"


@pytest.fixture
def engine(tmp_path):
    yield from scratch_engine(tmp_path, "audience")


def _insert(connection, model, *rows) -> None:
    connection.execute(sa.insert(model.__table__), list(rows))


def _notice(user_id: int, link: str, at) -> dict:
    return {"user_id": user_id, "kind": "announcement", "link": link, "created_at": at}


def test_the_audience_is_who_was_notified_at_publication_and_reads_get_a_unit(engine):
    upgrade_database(engine, BEFORE)
    later = FIXED_NOW + timedelta(days=1)
    with engine.begin() as connection:
        for unit in (
            {"id": 1, "name": "党委", "kind": UnitKind.COMMITTEE, "path": "/1/", "parent_id": None},
            {"id": 2, "name": "一支部", "kind": UnitKind.BRANCH, "path": "/1/2/", "parent_id": 1},
        ):
            _insert(connection, Unit, {**unit, "created_at": FIXED_NOW})
        _insert(
            connection,
            User,
            *(
                {
                    "id": i,
                    "username": f"u{i}",
                    "display_name": f"成员{i}",
                    "unit_id": 2,
                    "created_at": FIXED_NOW,
                }
                for i in (1, 2, 3)
            ),
        )
        _insert(
            connection,
            Announcement,
            {
                "id": 1,
                "unit_id": 2,
                "author_id": 1,
                "title": "通知",
                "body_source": "x",
                "body_html": "<p>x</p>",
                "published_at": FIXED_NOW,
                "withdrawn_at": None,
            },
            {
                "id": 2,
                "unit_id": 2,
                "author_id": 1,
                "title": "撤回的通知",
                "body_source": "x",
                "body_html": "<p>x</p>",
                "published_at": FIXED_NOW,
                "withdrawn_at": later,
            },
        )
        _insert(
            connection,
            Notification,
            _notice(2, "/announcements/1", FIXED_NOW),
            # Reminders come later, to whoever was in the audience then: a newcomer too.
            _notice(2, "/announcements/1", later),
            _notice(3, "/announcements/1", later),
            _notice(3, "/announcements/2", FIXED_NOW),
        )
        _insert(
            connection,
            AnnouncementRead,
            {"announcement_id": 1, "user_id": 2, "read_at": later},
        )

    upgrade_database(engine)

    with engine.connect() as connection:
        recipients = connection.execute(
            sa.text("SELECT announcement_id, user_id FROM announcement_recipients")
        ).all()
        assert sorted(tuple(row) for row in recipients) == [(1, 2), (2, 3)]
        reads = connection.execute(sa.text("SELECT user_id, unit_id FROM announcement_reads"))
        assert [tuple(row) for row in reads] == [(2, 2)]
        # What a withdrawn announcement left unread in the bell is read as of its withdrawal.
        unread = connection.execute(
            sa.select(Notification.user_id, Notification.link, Notification.read_at)
        ).all()
        assert sorted(tuple(row) for row in unread) == [
            (2, "/announcements/1", None),
            (2, "/announcements/1", None),
            (3, "/announcements/1", None),
            (3, "/announcements/2", later),
        ]

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, BEFORE)
    inspector = sa.inspect(engine)
    assert "announcement_recipients" not in inspector.get_table_names()
    assert "unit_id" not in {c["name"] for c in inspector.get_columns("announcement_reads")}
