"""Reading the audit log."""

import importlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.audit.labels import rule_set_name
from learnapp.audit.models import AuditEntry

PAGE_SIZE = 50
EXPORT_LIMIT = 20_000


@dataclass(frozen=True)
class AuditFilters:
    action: str | None = None
    target_type: str | None = None
    actor_id: int | None = None
    actor_name: str | None = None  # part of a user name or display name, in any letter case
    since: datetime | None = None
    until: datetime | None = None


def _filtered(filters: AuditFilters) -> sa.Select:
    query = sa.select(AuditEntry)
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.target_type:
        query = query.where(AuditEntry.target_type == filters.target_type)
    if filters.actor_id:
        query = query.where(AuditEntry.actor_id == filters.actor_id)
    if filters.actor_name:
        user = _model(USER)
        actors = sa.select(user.id).where(
            sa.or_(
                user.username.icontains(filters.actor_name, autoescape=True),
                user.display_name.icontains(filters.actor_name, autoescape=True),
            )
        )
        query = query.where(AuditEntry.actor_id.in_(actors))
    if filters.since:
        query = query.where(AuditEntry.at >= filters.since)
    if filters.until:
        query = query.where(AuditEntry.at < filters.until)
    return query


def _newest_first(query: sa.Select) -> sa.Select:
    return query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def search_entries(
    session: Session, filters: AuditFilters, *, page: int = 1
) -> tuple[list[AuditEntry], int]:
    """Newest first, filtered; returns one page and the total count."""
    query = _filtered(filters)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    rows = session.scalars(
        _newest_first(query).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    return list(rows), total


def export_entries(session: Session, filters: AuditFilters) -> list[AuditEntry]:
    """The filtered entries for a download, newest first, at most EXPORT_LIMIT of them."""
    return list(session.scalars(_newest_first(_filtered(filters)).limit(EXPORT_LIMIT)))


def distinct_actions(session: Session) -> list[str]:
    return list(
        session.scalars(sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action))
    )


def distinct_target_types(session: Session) -> list[str]:
    return list(
        session.scalars(
            sa.select(AuditEntry.target_type).distinct().order_by(AuditEntry.target_type)
        )
    )


def _model(target: str):
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


# The models of other packages are named, not imported: the audit log sits below them.
USER = "learnapp.accounts.models:User"
UNIT = "learnapp.orgs.models:Unit"
ASSESSMENT_PERIOD = "learnapp.assessments.models:AssessmentPeriod"


class Column:
    """Objects named by one column: `model` as "module:Class", `attribute` the name, which the
    entries about an object usually record in its before- or after-state too. `shown` makes
    the name of a value, where pages name the objects by more than the bare value."""

    def __init__(self, model: str, attribute: str, shown: Callable[[str], str] = str):
        self.model, self.attribute, self.shown = model, attribute, shown

    @property
    def recorded(self) -> str:
        return self.attribute

    def names(self, session: Session, ids: set[int]) -> dict[int, str]:
        model = _model(self.model)
        rows = session.execute(
            sa.select(model.id, getattr(model, self.attribute)).where(model.id.in_(ids))
        )
        return {row_id: self.shown(value) for row_id, value in rows}


class Composed:
    """Objects with no name of their own, named from what they belong to (one joined query);
    their entries record no name, so one that is gone keeps its id."""

    recorded = None

    def __init__(self, query: Callable[[Session, set[int]], dict[int, str]]):
        self.query = query

    def names(self, session: Session, ids: set[int]) -> dict[int, str]:
        return self.query(session, ids)


def _period_names(session: Session, ids: set[int]) -> dict[int, str]:
    """An assessment period (评议期) as "2025 · 甲支部": its year and its branch."""
    period, unit = _model(ASSESSMENT_PERIOD), _model(UNIT)
    rows = session.execute(
        sa.select(period.id, period.year, unit.name)
        .join(unit, period.unit_id == unit.id)
        .where(period.id.in_(ids))
    )
    return {row_id: f"{year} · {unit_name}" for row_id, year, unit_name in rows}


def _member_period_names(model_path: str) -> Callable[[Session, set[int]], dict[int, str]]:
    """Something about one member in one period (a grade, a 积分 item) as "张三 · 2025"."""

    def names(session: Session, ids: set[int]) -> dict[int, str]:
        model, period, user = _model(model_path), _model(ASSESSMENT_PERIOD), _model(USER)
        rows = session.execute(
            sa.select(model.id, user.display_name, period.year)
            .join(user, model.member_id == user.id)
            .join(period, model.period_id == period.id)
            .where(model.id.in_(ids))
        )
        return {row_id: f"{name} · {year}" for row_id, name, year in rows}

    return names


# Target types whose objects can be named, one query per type on a page.
NAMED_TARGETS: dict[str, Column | Composed] = {
    "user": Column(USER, "display_name"),
    "unit": Column(UNIT, "name"),
    "course": Column("learnapp.courses.models:Course", "title"),
    "lesson": Column("learnapp.courses.models:Lesson", "title"),
    "quiz": Column("learnapp.quizzes.models:Quiz", "title"),
    "question_bank": Column("learnapp.question_bank.models:QuestionBank", "name"),
    "knowledge_point": Column("learnapp.question_bank.models:KnowledgePoint", "name"),
    "meeting": Column("learnapp.orglife.models:Meeting", "title"),
    "announcement": Column("learnapp.discussions.models:Announcement", "title"),
    "board": Column("learnapp.discussions.models:Board", "name"),
    "thread": Column("learnapp.discussions.models:Thread", "title"),
    "word_category": Column("learnapp.discussions.models:WordCategory", "name"),
    "assessment_rule_set": Column("learnapp.assessments.models:AssessmentRuleSet", "version"),
    "hours_rule_set": Column("learnapp.hours.models:RuleSet", "version", rule_set_name),
    "assessment_period": Composed(_period_names),
    "assessment_grade": Composed(
        _member_period_names("learnapp.assessments.models:AssessmentGrade")
    ),
    "assessment_point_item": Composed(
        _member_period_names("learnapp.assessments.models:PointItem")
    ),
}


class TargetName(NamedTuple):
    name: str
    exists: bool  # False: the object is gone, and the name is the one its entries recorded


def _recorded_name(entry: AuditEntry, attribute: str | None) -> str | None:
    if attribute is None:
        return None
    for state in (entry.before, entry.after):
        if isinstance(state, dict) and isinstance(state.get(attribute), str):
            return state[attribute]
    return None


def target_names(session: Session, entries: list[AuditEntry]) -> dict[tuple[str, str], TargetName]:
    """Names of the entries' targets where NAMED_TARGETS knows them: one query per type. A
    target that no longer exists (a deleted unit) keeps the name its newest entry recorded in
    its before- or after-state; one that recorded none keeps its id."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for entry in entries:
        if entry.target_type in NAMED_TARGETS and entry.target_id.isdigit():
            wanted[entry.target_type].add(int(entry.target_id))
    names = {}
    for target_type, ids in wanted.items():
        found = NAMED_TARGETS[target_type].names(session, ids)
        names.update(
            {(target_type, str(row_id)): TargetName(name, True) for row_id, name in found.items()}
        )
    for entry in entries:  # newest first: the last name recorded wins
        key = (entry.target_type, entry.target_id)
        if entry.target_type in wanted and key not in names:
            named = NAMED_TARGETS[entry.target_type]
            recorded = _recorded_name(entry, named.recorded)
            if recorded is not None:
                names[key] = TargetName(named.shown(recorded), False)
    return names


# Keys of a before- or after-state that hold a unit's id (a unit's own entries record its
# parent as parent_id).
UNIT_KEYS = frozenset({"unit_id", "owner_unit_id"})


def _unit_keys(entry: AuditEntry) -> frozenset[str]:
    return UNIT_KEYS | {"parent_id"} if entry.target_type == "unit" else UNIT_KEYS


def _is_unit_id(keys: frozenset[str], key: str, value) -> bool:
    return key in keys and type(value) is int  # not a bool, which is an int too


def _unit_ids(entry: AuditEntry) -> set[int]:
    keys = _unit_keys(entry)
    return {
        value
        for state in (entry.before, entry.after)
        if isinstance(state, dict)
        for key, value in state.items()
        if _is_unit_id(keys, key, value)
    }


def unit_names(session: Session, entries: list[AuditEntry]) -> dict[int, TargetName]:
    """Names of the units the entries' before- and after-states refer to by id: the present
    name, or for a unit deleted since, the newest name its own entries recorded. A unit with
    neither is left out (its id stays as it is)."""
    ids = set().union(*(_unit_ids(entry) for entry in entries))
    if not ids:
        return {}
    found = NAMED_TARGETS["unit"].names(session, ids)
    names = {unit_id: TargetName(name, True) for unit_id, name in found.items()}
    gone = ids - set(found)
    if gone:
        history = session.scalars(
            _newest_first(
                sa.select(AuditEntry).where(
                    AuditEntry.target_type == "unit",
                    AuditEntry.target_id.in_([str(unit_id) for unit_id in gone]),
                )
            )
        )
        for entry in history:
            recorded = _recorded_name(entry, "name")
            if recorded is not None:
                names.setdefault(int(entry.target_id), TargetName(recorded, False))
    return names


def with_unit_names(entry: AuditEntry, state: dict | None, labels: dict[int, str]) -> dict | None:
    """`state` (the entry's before or after) as people read it: each unit id that `labels`
    names is replaced by that name; the others stay ids."""
    if not isinstance(state, dict):
        return state
    keys = _unit_keys(entry)
    return {
        key: labels.get(value, value) if _is_unit_id(keys, key, value) else value
        for key, value in state.items()
    }
