"""The anonymous evaluation: one vote each, nothing that leads from a ballot to its voter, and
aggregates only after closing and for at least five ballots."""

import json

import pytest
import sqlalchemy as sa

from learnapp.assessments import ballots
from learnapp.assessments.models import Ballot, Grade, Step, VoterRoll
from learnapp.assessments.steps import advance
from learnapp.audit.models import AuditEntry
from learnapp.errors import DomainError
from learnapp.notifications.models import Notification
from tests.assessments.helpers import assessment_world, new_period
from tests.factories import FIXED_NOW

pytestmark = pytest.mark.usefixtures("ctx")


def _ratings(session, period, grade=Grade.QUALIFIED):
    return {m.id: grade for m in ballots.ballot_subjects(session, period)}


def test_the_roll_holds_full_members_and_one_blank_slot_each(session):
    world, extras = assessment_world(session)
    period = new_period(session, world, to=Step.EVALUATION)
    roll = set(session.scalars(sa.select(VoterRoll.voter_id)))
    # member A is probationary (预备党员): no vote, but on the ballot
    assert world.member_a.id not in roll
    assert roll == {world.secretary_a.id, world.general_secretary.id, *(m.id for m in extras)}
    assert world.member_a.id in period.ballot_member_ids
    slots = session.scalars(sa.select(Ballot)).all()
    assert len(slots) == len(roll)
    assert all(slot.ratings is None and len(slot.id) == 32 for slot in slots)


def test_nobody_votes_twice(session):
    world, extras = assessment_world(session)
    period = new_period(session, world, to=Step.EVALUATION)
    ballots.cast_ballot(session, extras[0], period, _ratings(session, period))
    with pytest.raises(DomainError):
        ballots.cast_ballot(session, extras[0], period, _ratings(session, period, Grade.BASIC))
    assert ballots.turnout(session, period).voted == 1
    filled = session.scalars(sa.select(Ballot.ratings).where(Ballot.ratings.is_not(None))).all()
    assert len(filled) == 1


def test_probationary_members_and_outsiders_cannot_vote(session):
    world, _ = assessment_world(session)
    period = new_period(session, world, to=Step.EVALUATION)
    for person in (world.member_a, world.member_b):
        with pytest.raises(DomainError):
            ballots.cast_ballot(session, person, period, _ratings(session, period))


def test_a_ballot_must_rate_every_member_on_it(session):
    world, extras = assessment_world(session)
    period = new_period(session, world, to=Step.EVALUATION)
    partial = _ratings(session, period)
    partial.pop(extras[0].id)  # leaving oneself out would single the voter out
    with pytest.raises(DomainError):
        ballots.cast_ballot(session, extras[0], period, partial)
    assert session.get(VoterRoll, (period.id, extras[0].id)).has_voted is False


def test_votes_only_while_the_evaluation_is_open(session):
    world, extras = assessment_world(session)
    period = new_period(session, world, to=Step.PEER_REVIEW)
    with pytest.raises(DomainError):
        ballots.cast_ballot(session, extras[0], period, {})


def test_nothing_in_the_database_links_a_ballot_to_its_voter(session):
    world, extras = assessment_world(session)
    period = new_period(session, world, to=Step.EVALUATION)
    slot_order = list(session.scalars(sa.select(Ballot.id).order_by(Ballot.id)))
    dialect = session.get_bind().dialect.name
    storage_order = (
        list(session.scalars(sa.text("SELECT id FROM assessment_ballots ORDER BY ctid")))
        if dialect == "postgresql"
        else None
    )
    audit_before = session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    notes_before = session.scalar(sa.select(sa.func.count()).select_from(Notification))
    voters = [world.secretary_a, *extras]
    for number, voter in enumerate(voters):
        grade = Grade.EXCELLENT if number == 0 else Grade.QUALIFIED
        ballots.cast_ballot(session, voter, period, _ratings(session, period, grade))
    session.flush()
    # the ballot has no voter, no time and no sequence; the roll has no time either
    assert set(Ballot.__table__.columns.keys()) == {"id", "period_id", "ratings"}
    assert set(VoterRoll.__table__.columns.keys()) == {"period_id", "voter_id", "has_voted"}
    # the slots were all written before anyone voted; their keys did not change
    assert list(session.scalars(sa.select(Ballot.id).order_by(Ballot.id))) == slot_order
    # casting writes no audit entry and no notification
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == audit_before
    assert session.scalar(sa.select(sa.func.count()).select_from(Notification)) == notes_before
    # every ballot names the same members
    contents = session.scalars(sa.select(Ballot.ratings).where(Ballot.ratings.is_not(None)))
    assert {tuple(sorted(json.loads(text))) for text in contents} == {
        tuple(sorted(str(m) for m in period.ballot_member_ids))
    }
    if dialect == "sqlite":
        # no hidden rowid counting insertions
        with pytest.raises(sa.exc.OperationalError):
            session.execute(sa.text("SELECT rowid FROM assessment_ballots")).all()
        session.rollback()
    else:
        # every slot carries the same writing transaction (the last vote's)
        xmins = set(
            session.scalars(
                sa.text("SELECT xmin::text FROM assessment_ballots WHERE period_id = :p"),
                {"p": period.id},
            )
        )
        assert len(xmins) == 1
        # and they keep the storage order they were created in, before anyone voted
        after = list(session.scalars(sa.text("SELECT id FROM assessment_ballots ORDER BY ctid")))
        assert after == storage_order


def test_aggregates_are_hidden_while_open_and_for_fewer_than_five(session):
    world, extras = assessment_world(session, extra=3)
    period = new_period(session, world, to=Step.EVALUATION)
    for voter in [world.secretary_a, *extras]:
        ballots.cast_ballot(session, voter, period, _ratings(session, period))
    assert not ballots.aggregates(session, period).shown
    advance(session, world.secretary_a, period, FIXED_NOW, allow_no_ballots=True)
    result = ballots.aggregates(session, period)
    assert result.ballots == 4
    assert not result.shown and result.by_member == {}


def test_aggregates_after_closing_for_five_or_more(session):
    world, extras = assessment_world(session)
    period = new_period(session, world, to=Step.EVALUATION)
    voters = [world.secretary_a, *extras]
    for number, voter in enumerate(voters):
        ratings = _ratings(session, period)
        ratings[extras[0].id] = Grade.EXCELLENT if number < 4 else Grade.QUALIFIED
        ballots.cast_ballot(session, voter, period, ratings)
    advance(session, world.secretary_a, period, FIXED_NOW, allow_no_ballots=True)
    result = ballots.aggregates(session, period)
    assert result.shown and result.ballots == 6
    assert result.by_member[extras[0].id][Grade.EXCELLENT] == 4
    assert result.by_member[extras[0].id][Grade.QUALIFIED] == 2
    assert result.by_member[extras[1].id][Grade.QUALIFIED] == 6
