import json
from datetime import UTC, datetime, time, timedelta

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user

from learnapp.audit.labels import action_label, target_label, with_code_labels
from learnapp.audit.queries import (
    AuditFilters,
    TargetName,
    distinct_actions,
    distinct_target_types,
    export_entries,
    search_entries,
    target_names,
    unit_names,
    with_unit_names,
)
from learnapp.audit.services import record
from learnapp.authz import ADMIN, route_policy, strict_int_arg
from learnapp.clock import now, org_timezone
from learnapp.db import commit, get_session
from learnapp.jobs import JOBS, latest_runs, recent_runs
from learnapp.tabular import CSV_CONTENT_TYPE, csv_bytes, download

bp = Blueprint("audit", __name__)

# Targets an admin can open: type -> (endpoint, its id argument).
TARGET_LINKS = {
    "user": ("accounts.user_detail", "user_id"),
    "unit": ("orgs.unit_detail", "unit_id"),
}


def _day(value: str, *, end: bool = False) -> datetime | None:
    """A YYYY-MM-DD filter as the start (or end) of that day in the organisation's time zone."""
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        return None
    start = datetime.combine(day, time.min, tzinfo=org_timezone()).astimezone(UTC)
    return start + timedelta(days=1) if end else start


def _filters() -> tuple[dict, AuditFilters]:
    """The filter form's raw values (to refill it and page on) and the query they make."""
    raw = {
        "action": request.args.get("action", "")[:64],
        "target_type": request.args.get("target_type", "")[:32],
        "who": request.args.get("who", "").strip()[:64],
        "since": request.args.get("since", "")[:10],
        "until": request.args.get("until", "")[:10],
    }
    actor_id = strict_int_arg("actor")
    if actor_id:
        raw["actor"] = actor_id
    return raw, AuditFilters(
        action=raw["action"] or None,
        target_type=raw["target_type"] or None,
        actor_id=actor_id,
        actor_name=raw["who"] or None,
        since=_day(raw["since"]),
        until=_day(raw["until"], end=True),
    )


def _range_problem(filters: AuditFilters) -> str | None:
    """A range that ends before it starts matches nothing: say so on the end date rather than
    list nothing without a word (both bounds are instants, the end one exclusive)."""
    if filters.since and filters.until and filters.since >= filters.until:
        return _("The end date is before the start date.")
    return None


def audit_json(value) -> str:
    """A before/after value as people read it: Chinese as itself, indented, keys sorted."""
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str)


def _named(found: TargetName) -> str:
    return found.name if found.exists else _("%(name)s (deleted)", name=found.name)


def _target_names(names: dict[tuple[str, str], TargetName]):
    """How the log names an entry's target after its type's label, the same on the page and in
    the export: its name (marked when the object is gone), else its id ("#47"), else nothing
    (a target with no id, "-")."""

    def target_name(entry) -> str:
        found = names.get((entry.target_type, entry.target_id))
        if found is not None:
            return _named(found)
        return "" if entry.target_id == "-" else f"#{entry.target_id}"

    return target_name


def _details(session, entries):
    """How the entries' before- and after-states read: JSON, with unit ids as unit names and
    codes (a role, a member category, an account's status) as their labels."""
    labels = {unit_id: _named(found) for unit_id, found in unit_names(session, entries).items()}
    return lambda entry, state: audit_json(
        with_code_labels(entry.target_type, with_unit_names(entry, state, labels))
    )


def _labelled(codes: list[str], label) -> list[tuple[str, str]]:
    return sorted(((code, label(code)) for code in codes), key=lambda pair: pair[1])


@bp.get("/admin/audit")
@route_policy(ADMIN)
def audit_log():
    session = get_session()
    page = strict_int_arg("page") or 1
    raw, filters = _filters()
    problem = _range_problem(filters)
    entries, total = ([], 0) if problem else search_entries(session, filters, page=page)
    names = target_names(session, entries)
    return render_template(
        "audit/log.html",
        entries=entries,
        total=total,
        page=page,
        filters=raw,
        range_problem=problem,
        actions=_labelled(distinct_actions(session), action_label),
        target_types=_labelled(distinct_target_types(session), target_label),
        names=names,
        target_name=_target_names(names),
        links=TARGET_LINKS,
        action_label=action_label,
        target_label=target_label,
        details=_details(session, entries),
        tz=org_timezone(),
    )


@bp.get("/admin/audit/export.csv")
@route_policy(ADMIN)
def audit_export():
    """The filtered log as CSV (formula-safe). Exporting it is itself an audited action."""
    session = get_session()
    raw, filters = _filters()
    if _range_problem(filters):
        return redirect(url_for("audit.audit_log", **raw))
    entries = export_entries(session, filters)
    target_name = _target_names(target_names(session, entries))
    details = _details(session, entries)
    generated_at = now()
    record(
        session,
        current_user,
        "audit.exported",
        "audit_log",
        "-",
        now=generated_at,
        after={"filters": {k: v for k, v in raw.items() if v}, "rows": len(entries)},
        ip=request.remote_addr,
    )
    header = [
        _("Time"),
        _("User name"),
        _("Who"),
        _("Action"),
        _("Action code"),
        _("Target"),
        _("Target ID"),
        _("Target name"),
        _("Before"),
        _("After"),
        _("IP address"),
    ]
    rows = [
        [
            format_datetime(entry.at, "yyyy-MM-dd HH:mm:ss"),
            entry.actor.username if entry.actor else "",
            entry.actor.display_name if entry.actor else _("system"),
            action_label(entry.action),
            entry.action,
            target_label(entry.target_type),
            entry.target_id,
            target_name(entry),
            details(entry, entry.before),
            details(entry, entry.after),
            entry.ip or "",
        ]
        for entry in entries
    ]
    commit()
    filename = f"{_('Audit log')}-{format_datetime(generated_at, 'yyyyMMdd-HHmm')}.csv"
    return download(
        b"".join(csv_bytes(header, rows)),
        content_type=CSV_CONTENT_TYPE,
        filename=filename,
        ascii_filename="audit-log.csv",
    )


@bp.get("/admin/jobs")
@route_policy(ADMIN)
def job_runs():
    session = get_session()
    return render_template(
        "audit/jobs.html",
        jobs=JOBS,
        runs=recent_runs(session),
        latest={run.job_id: run for run in latest_runs(session)},
        tz=org_timezone(),
    )
