"""Versions of the scoring rules (民主评议 rule sets): the default version, the one in force on
a day, and adding a new one. Earlier versions and frozen dossiers never change."""

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.assessments.models import AssessmentRuleSet
from learnapp.assessments.rules import (
    DEFAULT_EFFECTIVE_FROM,
    DEFAULT_RULES,
    DEFAULT_SOURCE,
    DEFAULT_VERSION,
    ScoreRules,
)
from learnapp.audit.services import record
from learnapp.errors import DomainError


def ensure_default_rule_set(session: Session, now: datetime) -> AssessmentRuleSet:
    existing = session.scalar(
        sa.select(AssessmentRuleSet).order_by(AssessmentRuleSet.effective_from).limit(1)
    )
    if existing is not None:
        return existing
    rule_set = AssessmentRuleSet(
        version=DEFAULT_VERSION,
        effective_from=DEFAULT_EFFECTIVE_FROM,
        source=DEFAULT_SOURCE,
        rules=DEFAULT_RULES,
        created_at=now,
    )
    session.add(rule_set)
    session.flush()
    return rule_set


def rule_set_in_force(session: Session, day: date, now: datetime) -> AssessmentRuleSet:
    found = session.scalar(
        sa.select(AssessmentRuleSet)
        .where(AssessmentRuleSet.effective_from <= day)
        .order_by(AssessmentRuleSet.effective_from.desc(), AssessmentRuleSet.id.desc())
        .limit(1)
    )
    return found or ensure_default_rule_set(session, now)


def add_rule_set(
    session: Session,
    actor: User,
    *,
    version: str,
    effective_from: date,
    source: str,
    rules: dict,
    now: datetime,
) -> AssessmentRuleSet:
    """A new version of the scoring rules; earlier versions and frozen dossiers stay as they are.
    Weights are non-negative and sum to 100; caps are non-negative."""
    version, source = (version or "").strip(), (source or "").strip()
    if not version:
        raise DomainError("version", _l("A version name is required."))
    if session.scalar(sa.select(AssessmentRuleSet.id).where(AssessmentRuleSet.version == version)):
        raise DomainError("version", _l("This version name is taken."))
    if not source:
        raise DomainError("source", _l("Name the document and article the rules come from."))
    try:
        parsed = ScoreRules.from_json(rules)
        weights = [Decimal(str(w)) for w in rules.get("weights", {}).values()]
    except (InvalidOperation, TypeError, ValueError, KeyError):
        raise DomainError(None, _l("The rules are not valid numbers.")) from None
    if any(w < 0 for w in weights) or sum(weights, Decimal(0)) != 100:
        raise DomainError("weights", _l("The weights must be zero or more and add up to 100."))
    caps = (
        parsed.bonus_item_cap,
        parsed.bonus_cap,
        parsed.deduction_item_cap,
        parsed.deduction_cap,
    )
    if any(cap < 0 or cap > 100 for cap in caps):
        raise DomainError("caps", _l("Caps must be between 0 and 100."))
    rule_set = AssessmentRuleSet(
        version=version,
        effective_from=effective_from,
        source=source,
        rules=parsed.to_json(),
        created_by_id=actor.id,
        created_at=now,
    )
    session.add(rule_set)
    session.flush()
    record(
        session,
        actor,
        "assessment.rules_add",
        "assessment_rule_set",
        rule_set.id,
        now=now,
        after={"version": version, "rules": rule_set.rules},
    )
    return rule_set
