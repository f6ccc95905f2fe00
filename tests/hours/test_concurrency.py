"""Credits racing each other, each in its own transaction (SQLite file and PostgreSQL)."""

import threading
from decimal import Decimal

import sqlalchemy as sa

from learnapp.accounts.models import User
from learnapp.hours.models import HoursCategory, LedgerEntry, SourceType
from learnapp.hours.services import credit
from tests.factories import FIXED_NOW
from tests.world import build_world

THREADS = 8


def _race(app, member_id: int, source_for) -> list[BaseException]:
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        with app.app_context():
            db_session = app.extensions["learnapp.db"].sessionmaker()
            try:
                barrier.wait()
                member = db_session.get(User, member_id)
                credit(
                    db_session,
                    member,
                    HoursCategory.ONLINE,
                    SourceType.LESSON,
                    source_for(index),
                    Decimal("1"),
                    1200,
                    FIXED_NOW,
                )
                db_session.commit()
            except BaseException as error:  # reported below, with the thread's traceback
                errors.append(error)
                db_session.rollback()
            finally:
                db_session.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


def _hours(session, member_id):
    session.rollback()
    return list(
        session.scalars(sa.select(LedgerEntry.hours).where(LedgerEntry.member_id == member_id))
    )


def test_concurrent_credits_of_one_source_make_one_entry(app, session):
    member_id = build_world(session).member_a.id
    assert _race(app, member_id, lambda index: 42) == []
    assert _hours(session, member_id) == [Decimal("1.00")]


def test_concurrent_credits_of_many_sources_respect_the_daily_cap(app, session):
    member_id = build_world(session).member_a.id
    assert _race(app, member_id, lambda index: index + 1) == []
    hours = _hours(session, member_id)
    assert len(hours) == THREADS
    assert sum(hours) == Decimal("4.00")
