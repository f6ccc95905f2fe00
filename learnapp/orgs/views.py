from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from learnapp import uploads
from learnapp.accounts.models import User
from learnapp.accounts.services.users import create_user
from learnapp.authz import (
    MANAGER,
    can_manage_unit,
    require_member,
    require_unit,
    route_policy,
    strict_int_arg,
)
from learnapp.clock import now
from learnapp.db import commit, get_session
from learnapp.errors import DomainError, apply_domain_error
from learnapp.forms import EmptyForm
from learnapp.orgs.forms import (
    ImportForm,
    MemberForm,
    MoveForm,
    NewMemberForm,
    NewUnitForm,
    UnitForm,
    unit_choices,
    with_placeholder,
)
from learnapp.orgs.imports import (
    REQUIRED,
    commit_members,
    example_unit_name,
    preview_members,
    template_workbook,
)
from learnapp.orgs.models import ALLOWED_CHILDREN, BRANCH_KINDS, MemberCategory, Unit, UnitKind
from learnapp.orgs.queries import (
    ancestors,
    category_counts,
    child_member_counts,
    members_page,
    pickable_units,
    sizing_warnings,
    transfers_of,
    units_in_scope,
)
from learnapp.orgs.restructure import may_restructure
from learnapp.orgs.services import (
    STANDING_FIELDS,
    create_unit,
    move_member,
    update_member,
    update_unit,
)
from learnapp.tabular import XLSX_CONTENT_TYPE, TableError, download, read_table

bp = Blueprint("orgs", __name__)
IMPORT_KIND = "member-import"


def _unit(unit_id: int) -> Unit:
    return require_unit(current_user, get_session().get(Unit, unit_id))


def _member(user_id: int) -> User:
    return require_member(current_user, get_session().get(User, user_id))


@bp.get("/units")
@route_policy(MANAGER)
def units():
    return render_template("orgs/units.html", units=units_in_scope(get_session(), current_user))


@bp.route("/units/new", methods=["GET", "POST"])
@route_policy(MANAGER)
def unit_new():
    session = get_session()
    parent_id = strict_int_arg("parent")
    parent = _unit(parent_id) if parent_id else None
    if parent is None and not current_user.is_admin:
        abort(404)
    form = NewUnitForm()
    allowed = ALLOWED_CHILDREN[parent.kind] if parent else {UnitKind.COMMITTEE}
    form.kind.choices = [c for c in form.kind.choices if UnitKind(c.value) in allowed]
    if request.method == "GET" and parent:
        form.timezone.data = parent.timezone
    if form.validate_on_submit():
        try:
            unit = create_unit(
                session,
                current_user,
                name=form.name.data,
                kind=UnitKind(form.kind.data),
                parent=parent,
                timezone=form.timezone.data,
                now=now(),
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Unit %(name)s created.", name=unit.name), "success")
            return redirect(url_for("orgs.unit_detail", unit_id=unit.id))
    return render_template(
        "orgs/unit_form.html", form=form, parent=parent, unit=None
    ), 400 if form.errors else 200


@bp.get("/units/<int:unit_id>")
@route_policy(MANAGER)
def unit_detail(unit_id):
    session = get_session()
    unit = _unit(unit_id)
    category = request.args.get("category", "")
    counts = category_counts(session, unit)
    page = members_page(
        session,
        unit,
        page=strict_int_arg("page") or 1,
        search=request.args.get("q", ""),
        category=MemberCategory(category) if category in set(MemberCategory) else None,
    )
    return render_template(
        "orgs/unit_detail.html",
        unit=unit,
        # Every unit above, top first; only those the viewer manages are links (the others
        # answer 404 to them).
        breadcrumb=[
            (ancestor, can_manage_unit(current_user, ancestor))
            for ancestor in ancestors(session, unit)
        ],
        page=page,
        counts=counts,
        child_counts=child_member_counts(session, unit),
        warnings=sizing_warnings(session, unit, counts),
        can_add_children=unit.is_active and bool(ALLOWED_CHILDREN[unit.kind]),
        takes_members=unit.is_active and (unit.kind in BRANCH_KINDS or unit.kind == UnitKind.GROUP),
        can_reshape=may_restructure(current_user, unit),
        reactivate_form=EmptyForm(),
        search=request.args.get("q", "")[:50],
        category=category,
    )


@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
@route_policy(MANAGER)
def unit_edit(unit_id):
    unit = _unit(unit_id)
    form = UnitForm(obj=unit)
    if form.validate_on_submit():
        try:
            update_unit(
                get_session(),
                current_user,
                unit,
                name=form.name.data,
                timezone=form.timezone.data,
                now=now(),
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Unit saved."), "success")
            return redirect(url_for("orgs.unit_detail", unit_id=unit.id))
    return render_template(
        "orgs/unit_form.html", form=form, parent=unit.parent, unit=unit
    ), 400 if form.errors else 200


@bp.route("/units/<int:unit_id>/members/new", methods=["GET", "POST"])
@route_policy(MANAGER)
def member_new(unit_id):
    unit = _unit(unit_id)
    if not (unit.kind in BRANCH_KINDS or unit.kind == UnitKind.GROUP):
        abort(404)
    form = NewMemberForm()
    if form.validate_on_submit():
        try:
            member = create_user(
                get_session(),
                current_user,
                username=form.username.data,
                display_name=form.display_name.data,
                unit=unit,
                category=MemberCategory(form.category.data),
                phone=form.phone.data,
                is_mobile=form.is_mobile.data,
                is_retired=form.is_retired.data,
                is_elderly_exempt=form.is_elderly_exempt.data,
                now=now(),
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Member %(name)s added.", name=member.display_name), "success")
            return redirect(url_for("orgs.member_detail", user_id=member.id))
    return render_template(
        "orgs/member_form.html", form=form, unit=unit, member=None, own=False
    ), 400 if form.errors else 200


@bp.get("/members/<int:user_id>")
@route_policy(MANAGER)
def member_detail(user_id):
    member = _member(user_id)
    return render_template(
        "orgs/member_detail.html", member=member, transfers=transfers_of(get_session(), member)
    )


@bp.route("/members/<int:user_id>/edit", methods=["GET", "POST"])
@route_policy(MANAGER)
def member_edit(user_id):
    member = _member(user_id)
    own = member.id == current_user.id
    form = MemberForm(obj=member)
    if request.method == "GET":
        form.category.data = member.category.value
    if own:
        # One's own standing shows disabled and a browser posts no disabled field: what was not
        # posted keeps its value, while a posted change reaches update_member, which refuses it.
        for name in STANDING_FIELDS:
            if name not in request.form:
                form[name].data = getattr(member, name)
    if form.validate_on_submit():
        try:
            update_member(
                get_session(),
                current_user,
                member,
                display_name=form.display_name.data,
                category=MemberCategory(form.category.data),
                phone=form.phone.data,
                is_mobile=form.is_mobile.data,
                is_retired=form.is_retired.data,
                is_elderly_exempt=form.is_elderly_exempt.data,
                now=now(),
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Member saved."), "success")
            return redirect(url_for("orgs.member_detail", user_id=member.id))
    return render_template(
        "orgs/member_form.html", form=form, unit=member.unit, member=member, own=own
    ), 400 if form.errors else 200


@bp.route("/members/<int:user_id>/move", methods=["GET", "POST"])
@route_policy(MANAGER)
def member_move(user_id):
    session = get_session()
    member = _member(user_id)
    form = MoveForm()
    form.unit_id.choices = with_placeholder(
        unit_choices(
            [
                unit
                for unit in pickable_units(session, current_user, members_only=True)
                if unit.id != member.unit_id
            ]
        )
    )
    if form.validate_on_submit():
        try:
            move_member(
                session,
                current_user,
                member,
                session.get(Unit, form.unit_id.data),
                reason=form.reason.data,
                now=now(),
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(
                _("%(name)s moved to %(unit)s.", name=member.display_name, unit=member.unit.name),
                "success",
            )
            return redirect(url_for("orgs.member_detail", user_id=member.id))
    return render_template(
        "orgs/member_move.html", form=form, member=member
    ), 400 if form.errors else 200


@bp.get("/units/<int:unit_id>/import/template.xlsx")
@route_policy(MANAGER)
def import_template(unit_id):
    unit = _unit(unit_id)
    return download(
        template_workbook(example_unit_name(get_session(), unit)),
        content_type=XLSX_CONTENT_TYPE,
        filename="成员导入模板.xlsx",
        ascii_filename="member-import-template.xlsx",
    )


@bp.route("/units/<int:unit_id>/import", methods=["GET", "POST"])
@route_policy(MANAGER)
def member_import(unit_id):
    """Step 1: upload and preview. Nothing is stored but the uploaded file, by a random token."""
    session = get_session()
    unit = _unit(unit_id)
    form = ImportForm()
    preview = token = None
    file_error = None
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read()
        try:
            table = read_table(upload.filename, data)
        except TableError as error:
            file_error = str(error)
        else:
            preview = preview_members(session, unit, table)
            if preview.ok:
                token = uploads.stash(
                    data,
                    owner_id=current_user.id,
                    kind=IMPORT_KIND,
                    meta={"unit_id": unit.id, "filename": upload.filename[:200]},
                )
    status = 400 if (form.errors or file_error or (preview and not preview.ok)) else 200
    return render_template(
        "orgs/member_import.html",
        unit=unit,
        form=form,
        preview=preview,
        token=token,
        file_error=file_error,
        confirm_form=EmptyForm(),
        columns=REQUIRED,
    ), status


@bp.post("/units/<int:unit_id>/import/confirm")
@route_policy(MANAGER)
def member_import_confirm(unit_id):
    """Step 2: re-check the stashed file and create every member, or none."""
    session = get_session()
    unit = _unit(unit_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    token = request.form.get("token", "")
    stashed = uploads.load(token, owner_id=current_user.id, kind=IMPORT_KIND)
    if stashed is None or stashed[1].get("unit_id") != unit.id:
        flash(_("The uploaded file has expired. Upload it again."), "danger")
        return redirect(url_for("orgs.member_import", unit_id=unit.id))
    data, meta = stashed
    preview = preview_members(session, unit, read_table(meta["filename"], data))
    if not preview.ok:
        flash(
            _(
                "The file no longer passes the checks: the data changed after it was checked. "
                "Upload it again."
            ),
            "danger",
        )
        return redirect(url_for("orgs.member_import", unit_id=unit.id))
    imported_at = now()
    count = commit_members(session, current_user, unit, preview, imported_at, meta["filename"])
    commit()
    uploads.discard(token)
    flash(_("%(n)d members imported.", n=count), "success")
    # Imported accounts have no password: an administrator issues their initial passwords.
    if current_user.is_admin:
        flash(_("They can log in once they have a password: issue them here."), "info")
        return redirect(
            url_for("accounts.initial_passwords", unit=unit.id, batch=imported_at.isoformat())
        )
    flash(_("They can log in once an administrator has issued their initial passwords."), "info")
    return redirect(url_for("orgs.unit_detail", unit_id=unit.id))
