"""The completion dashboard: status counts, completion by unit, drill-down to a member's ledger,
and the 学时统计 exports. Secretaries see their subtree only; names never leave it."""

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.authz import (
    LOGGED_IN,
    MANAGER,
    can_manage_unit,
    require_member,
    require_unit,
    route_policy,
    strict_int_arg,
)
from learnapp.clock import now
from learnapp.completion.export import (
    csv_chunks,
    file_chunks,
    record_export,
    summary_csv_chunks,
    write_workbook,
)
from learnapp.completion.forms import ReminderForm
from learnapp.completion.labels import STATUS_COLOURS, status_label
from learnapp.completion.member_rows import closed_pages, member_status, members
from learnapp.completion.progress import Progress
from learnapp.completion.progress import read as read_progress
from learnapp.completion.queries import Filters, Frame, first_year, overview
from learnapp.completion.reminders import PACE, kinds_for, set_reminder_muted
from learnapp.completion.status import Status, statuses_for
from learnapp.db import commit, get_db, get_session
from learnapp.errors import DomainError, apply_domain_error
from learnapp.forms import EmptyForm
from learnapp.hours.models import HoursCategory
from learnapp.hours.queries import (
    entries_for,
    entry_count,
    first_year_of,
    year_summary,
)
from learnapp.hours.services import org_day
from learnapp.notifications.preferences import muted_kinds
from learnapp.notifications.queries import reminder_addresses
from learnapp.notifications.services import set_reminder_address
from learnapp.orgs.models import BRANCH_KINDS, MemberCategory, Unit, UnitKind
from learnapp.study.queries import ledger_notes
from learnapp.tabular import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, download

bp = Blueprint("completion", __name__, url_prefix="/completion")
ENTRIES_PAGE = 30
YEARS_BACK = 5


def _unit(unit_id: int) -> Unit:
    return require_unit(current_user, get_session().get(Unit, unit_id))


def _year(requested: int | None) -> tuple[int, range]:
    """The year asked for, else this one, and the years the dashboard offers, newest first:
    this one and up to YEARS_BACK before it, none before the platform holds anything (its
    oldest account or ledger entry). A year outside them answers 404 with a page that says
    which years there are: never a report of a year without data."""
    this_year = org_day(now()).year
    records_from = min(first_year(get_session()) or this_year, this_year)
    years = range(this_year, max(this_year - YEARS_BACK, records_from) - 1, -1)
    year = this_year if requested is None else requested
    if year not in years:
        page = render_template(
            "completion/no_year.html",
            year=year,
            years=years,
            before_records=year < records_from,
        )
        abort(Response(page, 404))
    return year, years


def _enum_arg(source, name: str, enum_cls):
    value = source.get(name, "")
    if not value:
        return None
    if value not in set(enum_cls):
        abort(400)
    return enum_cls(value)


def _filters(source) -> Filters:
    return Filters(
        member_category=_enum_arg(source, "member_category", MemberCategory),
        hours_category=_enum_arg(source, "category", HoursCategory),
        status=_enum_arg(source, "status", Status),
    )


def _filter_args(filters: Filters) -> dict:
    return {
        key: value.value
        for key, value in (
            ("member_category", filters.member_category),
            ("category", filters.hours_category),
            ("status", filters.status),
        )
        if value is not None
    }


@bp.get("/")
@route_policy(MANAGER)
def index():
    units = current_user.outermost_managed_units
    if len(units) == 1:
        return redirect(url_for("completion.dashboard", unit_id=units[0].id))
    return render_template("completion/index.html", units=units)


def _chart(view) -> dict:
    """What the charts draw: the status split and, per child unit, each status's count; the
    members sitting directly in the unit get a bar of their own after the child units', so
    the bars add up to the whole subtree."""
    statuses = statuses_for(view.frame.share)
    finished = view.frame.finished
    bars = [(row.unit.name, row.tally) for row in view.children]
    if view.children and view.direct.members:
        bars.append((_("Directly in %(unit)s", unit=view.unit.name), view.direct))
    return {
        "labels": [status_label(s, finished) for s in statuses],
        "colours": [STATUS_COLOURS[s] for s in statuses],
        "counts": [view.total.counts[s] for s in statuses],
        "units": [name for name, _tally in bars],
        "byUnit": [[tally.counts[s] for _name, tally in bars] for s in statuses],
    }


@bp.get("/units/<int:unit_id>")
@route_policy(MANAGER)
def dashboard(unit_id):
    session = get_session()
    unit = _unit(unit_id)
    year, years = _year(strict_int_arg("year"))
    filters = _filters(request.args)
    frame = Frame.of(session, year, now())
    view = overview(session, unit, frame, filters)
    leaf = unit.kind in BRANCH_KINDS or unit.kind == UnitKind.GROUP
    rows, pages, page = [], 1, 1
    if leaf:
        page = strict_int_arg("page") or 1
        rows, pages = members(session, unit, frame, filters, page)
    return render_template(
        "completion/dashboard.html",
        unit=unit,
        view=view,
        year=year,
        years=years,
        export_rows=view.total.counts[filters.status] if filters.status else view.total.members,
        closed=closed_pages(current_user, rows),
        today=org_day(now()),
        filters=filters,
        filter_args=_filter_args(filters),
        base_args={k: v for k, v in _filter_args(filters).items() if k != "status"},
        chart=_chart(view),
        rows=rows,
        page=min(page, pages),
        pages=pages,
        leaf=leaf,
        breadcrumb=_breadcrumb(unit),
        statuses=statuses_for(frame.share),
        finished=frame.finished,
        categories=list(HoursCategory),
        member_categories=list(MemberCategory),
        form=EmptyForm(),
    )


def _breadcrumb(unit: Unit) -> list[Unit]:
    """The unit's ancestors the user manages, top first (never a unit outside the scope)."""
    chain = []
    node = unit.parent
    while node is not None and can_manage_unit(current_user, node):
        chain.append(node)
        node = node.parent
    return list(reversed(chain))


@bp.get("/units/<int:unit_id>/members")
@route_policy(MANAGER)
def unit_members(unit_id):
    """Every member of the subtree by name, a page at a time (filters as on the dashboard)."""
    session = get_session()
    unit = _unit(unit_id)
    year, years = _year(strict_int_arg("year"))
    filters = _filters(request.args)
    frame = Frame.of(session, year, now())
    rows, pages = members(session, unit, frame, filters, strict_int_arg("page") or 1)
    return render_template(
        "completion/members.html",
        unit=unit,
        year=year,
        years=years,
        closed=closed_pages(current_user, rows),
        today=org_day(now()),
        filters=filters,
        filter_args=_filter_args(filters),
        rows=rows,
        page=min(strict_int_arg("page") or 1, pages),
        pages=pages,
        statuses=statuses_for(frame.share),
        finished=frame.finished,
        categories=list(HoursCategory),
        member_categories=list(MemberCategory),
    )


@bp.get("/members/<int:user_id>")
@route_policy(MANAGER)
def member(user_id):
    """One member's standing and the ledger entries it is the sum of."""
    session = get_session()
    person = require_member(current_user, session.get(User, user_id))
    year, years = _year(strict_int_arg("year"))
    frame = Frame.of(session, year, now())
    page = max(strict_int_arg("page") or 1, 1)
    total = entry_count(session, person.id, year)
    entries = entries_for(
        session, person.id, year, limit=ENTRIES_PAGE, offset=(page - 1) * ENTRIES_PAGE
    )
    summary = year_summary(session, person, year, org_day(now()))
    # The year arrows: the dashboard's years from the member's first one.
    first = max(years[-1], min(first_year_of(session, person), years[0]))
    return render_template(
        "completion/member.html",
        ledger=ledger_notes(session, entries),
        person=person,
        year=year,
        years=range(years[0], first - 1, -1),
        today=org_day(now()),
        # No status for a year that ended before the account was created: it was not theirs.
        row=member_status(session, person, frame)
        if person.is_active and summary.exempt_reason != "not_yet_member"
        else None,
        finished=frame.finished,
        summary=summary,
        entries=entries,
        page=page,
        pages=max(1, -(-total // ENTRIES_PAGE)),
        categories=list(HoursCategory),
    )


def _export_context(unit_id: int):
    session = get_session()
    unit = _unit(unit_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    year, _years_offered = _year(_posted_year())
    filters = _filters(request.form)
    return session, unit, Frame.of(session, year, now()), filters


def _posted_year() -> int | None:
    """The export form's year: one ASCII number, else 400."""
    value = request.form.get("year", "")
    if not value:
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= 4):
        abort(400)
    return int(value)


def _filename(unit: Unit, frame: Frame, suffix: str, title: str = "学时统计") -> str:
    return f"{title}-{unit.name}-{frame.year}.{suffix}"


def _ascii_filename(unit: Unit, frame: Frame, suffix: str, kind: str = "completion") -> str:
    return f"{kind}-{unit.id}-{frame.year}.{suffix}"


@bp.post("/units/<int:unit_id>/export.xlsx")
@route_policy(MANAGER)
def export_xlsx(unit_id):
    session, unit, frame, filters = _export_context(unit_id)
    generated_at = now()
    record_export(session, current_user, unit, frame, filters, "xlsx", generated_at)
    commit()
    progress = Progress(request.form.get("progress", ""), current_user.id)
    try:
        with _reader() as reader:
            handle = write_workbook(
                reader,
                reader.get(Unit, unit.id),
                frame,
                filters,
                current_user,
                generated_at,
                progress,
            )
    except BaseException:
        progress.remove()
        raise
    return download(
        file_chunks(handle, progress),
        content_type=XLSX_CONTENT_TYPE,
        filename=_filename(unit, frame, "xlsx"),
        ascii_filename=_ascii_filename(unit, frame, "xlsx"),
    )


@bp.get("/exports/<token>/progress")
@route_policy(MANAGER)
def export_progress(token):
    """Member rows written so far by the caller's running workbook export (404: none)."""
    state = read_progress(token, current_user.id)
    if state is None:
        abort(404)
    return jsonify(state)


@bp.post("/units/<int:unit_id>/export.csv")
@route_policy(MANAGER)
def export_csv(unit_id):
    return _csv_export(unit_id, "csv", csv_chunks, ("学时统计", "completion"))


@bp.post("/units/<int:unit_id>/summary.csv")
@route_policy(MANAGER)
def export_summary_csv(unit_id):
    """The summary by unit, with the 党总支 subtotals and the total, as CSV."""
    return _csv_export(
        unit_id, "summary_csv", summary_csv_chunks, ("学时汇总", "completion-summary")
    )


def _csv_export(unit_id: int, fmt: str, write, titles: tuple[str, str]) -> Response:
    """`titles`: what the file is, in the name it is saved under and in its ASCII fallback."""
    session, unit, frame, filters = _export_context(unit_id)
    generated_at = now()
    record_export(session, current_user, unit, frame, filters, fmt, generated_at)
    commit()
    actor = current_user._get_current_object()

    def chunks():
        with _reader() as reader:
            yield from write(reader, reader.get(Unit, unit.id), frame, filters, actor, generated_at)

    title, kind = titles
    return download(
        stream_with_context(chunks()),
        content_type=CSV_CONTENT_TYPE,
        filename=_filename(unit, frame, "csv", title),
        ascii_filename=_ascii_filename(unit, frame, "csv", kind),
    )


def _reader() -> Session:
    """A read-only session for a long export, once the audit entry is committed: on SQLite its
    transaction is deferred, so the seconds spent reading never hold the database's write lock."""
    return Session(get_db().engine.execution_options(sqlite_deferred=True))


@bp.route("/reminders", methods=["GET", "POST"])
@route_policy(LOGGED_IN)
def reminders():
    """Which reminders the user gets, and where they are e-mailed."""
    session = get_session()
    form = ReminderForm()
    if request.method == "GET":
        form.pace_reminder.data = PACE not in muted_kinds(session, current_user.id)
        form.email.data = reminder_addresses(session, [current_user.id]).get(current_user.id, "")
    if form.validate_on_submit():
        try:
            set_reminder_muted(session, current_user, PACE, not form.pace_reminder.data, now())
            set_reminder_address(session, current_user, form.email.data, now())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Reminder settings saved."), "success")
            return redirect(url_for("completion.reminders"))
    return render_template(
        "completion/reminders.html",
        form=form,
        kinds=kinds_for(current_user),
        smtp=bool(current_app.config.get("SMTP_HOST")),
    ), 400 if form.errors else 200
