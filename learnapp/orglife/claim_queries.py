"""Read functions of study claims: the approvers' lists, a member's claims, study recorded on
behalf of elderly or retired members."""

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.authz import unit_in_scope_clause
from learnapp.db import pinyin_order, within_path
from learnapp.orglife.models import ClaimState, StudyClaim
from learnapp.orgs.models import Unit


def pending_claims_query(user):
    """Claims waiting for a decision from the user: of members now in the user's subtrees
    (StudyClaim.deciding_unit), oldest first (not their own)."""
    return (
        sa.select(StudyClaim)
        .join(User, StudyClaim.member_id == User.id)
        .join(Unit, User.unit_id == Unit.id)
        .where(
            StudyClaim.state == ClaimState.PENDING,
            unit_in_scope_clause(user, Unit.path),
            StudyClaim.member_id != user.id,
        )
        .order_by(StudyClaim.created_at, StudyClaim.id)
    )


def pending_claims(session: Session, user, limit: int = 200) -> list[StudyClaim]:
    return list(session.scalars(pending_claims_query(user).limit(limit)))


def pending_claim_count(session: Session, user) -> int:
    return session.scalar(
        sa.select(sa.func.count()).select_from(pending_claims_query(user).subquery())
    )


# The states of the decided-claims list (records on behalf are listed on their unit's page).
DECIDED_STATES = (
    ClaimState.APPROVED,
    ClaimState.REJECTED,
    ClaimState.WITHDRAWN,
    ClaimState.REVERSED,
)


def decided_claims_query(user, state: ClaimState | None = None):
    """Members' claims no longer waiting, in the user's subtrees (not their own, and not study
    recorded on behalf), in `state` or any decided state, the latest decision first."""
    states = (state,) if state is not None else DECIDED_STATES
    return (
        sa.select(StudyClaim)
        .join(Unit, StudyClaim.unit_id == Unit.id)
        .where(
            StudyClaim.state.in_(states),
            StudyClaim.is_on_behalf.is_(False),
            unit_in_scope_clause(user, Unit.path),
            StudyClaim.member_id != user.id,
        )
        .order_by(StudyClaim.decided_at.desc(), StudyClaim.id.desc())
    )


def decided_claims(
    session: Session, user, state: ClaimState | None, *, limit: int, offset: int = 0
) -> list[StudyClaim]:
    return list(session.scalars(decided_claims_query(user, state).limit(limit).offset(offset)))


def decided_claim_count(session: Session, user, state: ClaimState | None) -> int:
    return session.scalar(
        sa.select(sa.func.count()).select_from(decided_claims_query(user, state).subquery())
    )


def pending_claims_of(session: Session, member_id: int, year: int) -> list[StudyClaim]:
    """The member's claims of study in `year` still waiting for a decision, newest first."""
    return list(
        session.scalars(
            sa.select(StudyClaim)
            .where(
                StudyClaim.member_id == member_id,
                StudyClaim.state == ClaimState.PENDING,
                StudyClaim.studied_on >= date(year, 1, 1),
                StudyClaim.studied_on <= date(year, 12, 31),
            )
            .order_by(StudyClaim.created_at.desc(), StudyClaim.id.desc())
        )
    )


def claims_of_member(session: Session, member_id: int) -> list[StudyClaim]:
    return list(
        session.scalars(
            sa.select(StudyClaim)
            .where(StudyClaim.member_id == member_id)
            .order_by(StudyClaim.created_at.desc(), StudyClaim.id.desc())
            .limit(100)
        )
    )


def scoped_claim(session: Session, user, claim_id: int) -> StudyClaim | None:
    """A claim the user may see: their own, or one whose deciding unit (a waiting claim's is
    its member's unit now) is in a subtree they manage."""
    claim = session.get(StudyClaim, claim_id)
    if claim is None:
        return None
    if claim.member_id == user.id:
        return claim
    unit = claim.deciding_unit
    if unit is None:
        return None
    in_scope = session.scalar(
        sa.select(Unit.id).where(Unit.id == unit.id, unit_in_scope_clause(user, Unit.path))
    )
    return claim if in_scope else None


def on_behalf_candidates(session: Session, unit: Unit) -> list[User]:
    """Elderly or retired active members of the subtree, for whom study may be recorded."""
    return list(
        session.scalars(
            sa.select(User)
            .join(Unit, User.unit_id == Unit.id)
            .where(
                within_path(Unit.path, unit.path),
                User.is_active.is_(True),
                sa.or_(User.is_elderly_exempt.is_(True), User.is_retired.is_(True)),
            )
            .order_by(pinyin_order(User.display_name), User.id)
        )
    )


def recorded_on_behalf(session: Session, unit: Unit, limit: int = 50) -> list[StudyClaim]:
    return list(
        session.scalars(
            sa.select(StudyClaim)
            .join(Unit, StudyClaim.unit_id == Unit.id)
            .where(within_path(Unit.path, unit.path), StudyClaim.is_on_behalf.is_(True))
            .order_by(StudyClaim.created_at.desc(), StudyClaim.id.desc())
            .limit(limit)
        )
    )


def on_behalf_claim_ids(session: Session, claim_ids: set[int]) -> frozenset[int]:
    """Which of `claim_ids` are study a secretary recorded on a member's behalf (送学上门): their
    ledger entries say so where they are listed (hours.labels.entry_text)."""
    if not claim_ids:
        return frozenset()
    return frozenset(
        session.scalars(
            sa.select(StudyClaim.id).where(
                StudyClaim.id.in_(claim_ids), StudyClaim.is_on_behalf.is_(True)
            )
        )
    )
