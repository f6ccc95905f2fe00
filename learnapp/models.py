"""Imports every package's models so that Base.metadata knows all tables (Alembic, tests)."""

from learnapp.accounts.models import AuthSession, LoginThrottle, User
from learnapp.audit.models import AuditEntry
from learnapp.db import Base
from learnapp.jobs import JobRun
from learnapp.orgs.models import MemberTransfer, RoleAssignment, Unit

__all__ = [
    "AuditEntry",
    "AuthSession",
    "Base",
    "JobRun",
    "LoginThrottle",
    "MemberTransfer",
    "RoleAssignment",
    "Unit",
    "User",
]
