"""Import and export screens: upload → preview → confirm → result; template and export downloads."""

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms.fields.choices import SelectChoice

from learnapp import uploads
from learnapp.authz import BANK_EDITOR, BANK_STAFF, route_policy
from learnapp.clock import now
from learnapp.db import commit, get_session
from learnapp.errors import render_error
from learnapp.forms import EmptyForm
from learnapp.hours.services import org_day
from learnapp.question_bank import formats, import_problems, importing, progress, queries, services
from learnapp.question_bank.formats import xlsx
from learnapp.question_bank.import_differences import around_difference
from learnapp.question_bank.import_forms import ExportForm, ImportForm
from learnapp.question_bank.models import STATUS_LABELS, QuestionStatus
from learnapp.question_bank.queries import QuestionFilters
from learnapp.question_bank.types import TYPES
from learnapp.tabular import CSV_CONTENT_TYPE, download

bp = Blueprint("bank_import", __name__, url_prefix="/bank")
STASH_KIND = "question-import"
PREVIEW_ROWS = 200  # questions listed on the preview page; the counts cover all


# Room for the rest of the multipart form around a file just under the import limit.
FORM_MARGIN = 64 * 1024


@bp.context_processor
def labels():
    return {
        "TYPES": TYPES,
        "STATUS_LABELS": STATUS_LABELS,
        "around_difference": around_difference,
        "problem_rows": import_problems.PROBLEM_ROWS,
    }


@bp.url_value_preprocessor
def import_size_limit(endpoint, _values):
    """The upload route's request limit follows the import limit (IMPORT_MAX_BYTES) rather than
    the site-wide one. URL preprocessors run before the CSRF check, which first reads the body."""
    if endpoint == "bank_import.upload":
        request.max_content_length = importing.max_bytes() + FORM_MARGIN


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error):
    """An oversized question file is refused before it is read; the import page says so."""
    if request.endpoint != "bank_import.upload":
        return render_error(413)
    bank = _bank(request.view_args["bank_id"])
    preview = importing.ImportPreview(filename="", format="")
    preview.errors.append(importing.too_large_problem())
    return render_template(
        "question_bank/import.html",
        bank=bank,
        form=ImportForm(formdata=None),
        preview=preview,
        token=None,
        preview_rows=PREVIEW_ROWS,
        import_status=importing.import_status(bank),
        max_mb=f"{importing.max_bytes() / 1048576:g}",
    ), 413


def _bank(bank_id: int):
    bank = queries.bank_if_in_scope(get_session(), current_user, bank_id)
    if bank is None:
        abort(404)
    return bank


def _download(data: bytes, filename: str, ascii_filename: str, mimetype: str):
    return download(data, content_type=mimetype, filename=filename, ascii_filename=ascii_filename)


@bp.get("/import/template.xlsx")
@route_policy(BANK_STAFF)
def template():
    return _download(
        xlsx.template_workbook(),
        "题库导入模板.xlsx",
        "question-import-template.xlsx",
        formats.FORMATS["xlsx"].mimetype,
    )


@bp.route("/<int:bank_id>/import", methods=["GET", "POST"])
@route_policy(BANK_EDITOR)
def upload(bank_id):
    """Step 1: upload and preview. Nothing is stored but the file and what was read from it,
    under a random token."""
    session = get_session()
    bank = _bank(bank_id)
    form = ImportForm()
    preview = token = problems_token = None
    if form.validate_on_submit():
        upload_file = form.file.data
        data = upload_file.read()
        filename = (upload_file.filename or "")[:200]
        preview = importing.preview_import(
            session, bank, filename, data, form.format.data, form.knowledge_point.data or None
        )
        if import_problems.listed_in_part(preview):
            problems_token = uploads.stash(
                import_problems.problems_csv(preview),
                owner_id=current_user.id,
                kind=import_problems.STASH_KIND,
                meta={"bank_id": bank.id, "filename": filename},
            )
        if preview.ok:
            token = uploads.stash(
                data,
                owner_id=current_user.id,
                kind=STASH_KIND,
                meta={
                    "bank_id": bank.id,
                    "filename": filename,
                    "preview": importing.stash_payload(preview),
                },
            )
    status = 400 if (form.errors or (preview and not preview.ok)) else 200
    return render_template(
        "question_bank/import.html",
        bank=bank,
        form=form,
        preview=preview,
        token=token,
        problems_token=problems_token,
        preview_rows=PREVIEW_ROWS,
        import_status=importing.import_status(bank),
        max_mb=f"{importing.max_bytes() / 1048576:g}",
    ), status


@bp.get("/<int:bank_id>/import/problems/<token>.csv")
@route_policy(BANK_EDITOR)
def problems(bank_id, token):
    """Every problem of a checked file, as CSV, for the editor who checked it."""
    bank = _bank(bank_id)
    stashed = uploads.load(token, owner_id=current_user.id, kind=import_problems.STASH_KIND)
    if stashed is None or stashed[1].get("bank_id") != bank.id:
        flash(_("The list of problems has expired. Check the file again."), "danger")
        return redirect(url_for("bank_import.upload", bank_id=bank.id))
    data, meta = stashed
    stem = meta["filename"].rpartition(".")[0] or meta["filename"] or "import"
    return download(
        data,
        content_type=CSV_CONTENT_TYPE,
        filename=f"{stem}-导入问题清单.csv",
        ascii_filename="question-import-problems.csv",
    )


@bp.post("/<int:bank_id>/import/confirm")
@route_policy(BANK_EDITOR)
def confirm(bank_id):
    """Step 2: look for duplicates again (the bank may have changed), store every new question
    of the stashed preview and update the conflicting bank questions the editor ticked, or
    nothing."""
    session = get_session()
    bank = _bank(bank_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    token = request.form.get("token", "")
    stashed = uploads.load(token, owner_id=current_user.id, kind=STASH_KIND)
    if stashed is None or stashed[1].get("bank_id") != bank.id:
        flash(_("The uploaded file has expired. Upload it again."), "danger")
        return redirect(url_for("bank_import.upload", bank_id=bank.id))
    meta = stashed[1]
    preview = importing.preview_from_payload(session, bank, meta["filename"], meta["preview"])
    if not preview.ok:
        flash(_("The file no longer passes the checks. Upload it again."), "danger")
        return redirect(url_for("bank_import.upload", bank_id=bank.id))

    def report(done, total):
        progress.write(token, current_user.id, done=done, total=total, state="running")

    if request.form.get("update_all"):
        # All that the preview listed: not a conflict the bank has made since.
        update = {item.line for item in preview.conflicts if item.checked_revision is not None}
    else:
        update = {int(line) for line in request.form.getlist("update") if line.isdecimal()}
    report(0, len(preview.new_items))
    try:
        outcome = importing.commit_import(
            session,
            current_user,
            bank,
            preview,
            now(),
            update=update,
            progress=report,
        )
    except importing.ImportFailed as failure:
        session.rollback()
        progress.write(token, current_user.id, state="failed")
        problem = failure.problem
        flash(
            _(
                "Nothing was imported: line %(n)s: %(message)s",
                n=problem.line,
                message=problem.message,
            ),
            "danger",
        )
        return redirect(url_for("bank_import.upload", bank_id=bank.id))
    commit()
    uploads.discard(token)
    progress.write(
        token,
        current_user.id,
        state="done",
        done=outcome.added,
        total=outcome.added,
        added=outcome.added,
        duplicates=outcome.duplicates,
        updated=outcome.updated,
        updated_ids=outcome.updated_ids,
        to_review=outcome.to_review,
        kept=outcome.kept,
        skipped=outcome.skipped,
        status=outcome.status.value,
        filename=meta["filename"],
        format=preview.format,
    )
    return redirect(url_for("bank_import.result", bank_id=bank.id, token=token))


@bp.get("/<int:bank_id>/import/progress/<token>")
@route_policy(BANK_EDITOR)
def progress_status(bank_id, token):
    _bank(bank_id)
    state = progress.read(token, current_user.id)
    if state is None:
        return jsonify({"state": "waiting"})
    return jsonify({key: state.get(key) for key in ("state", "done", "total")})


@bp.get("/<int:bank_id>/import/result/<token>")
@route_policy(BANK_EDITOR)
def result(bank_id, token):
    bank = _bank(bank_id)
    state = progress.read(token, current_user.id)
    if state is None or state.get("state") != "done":
        abort(404)
    updated_ids = state.get("updated_ids") or []
    return render_template(
        "question_bank/import_result.html",
        bank=bank,
        state=state,
        status=QuestionStatus(state["status"]),
        updated=queries.questions_by_ids(get_session(), bank, updated_ids[:PREVIEW_ROWS]),
        preview_rows=PREVIEW_ROWS,
    )


@bp.get("/<int:bank_id>/export")
@route_policy(BANK_STAFF)
def export(bank_id):
    """The export form; with ?download=1 the file itself (an export changes nothing)."""
    session = get_session()
    bank = _bank(bank_id)
    form = ExportForm(request.args)
    form.kp.choices = [SelectChoice(0, _("All knowledge points"))] + [
        SelectChoice(point.id, "　" * point.depth + point.name)
        for point in queries.knowledge_points(session, bank)
    ]
    form.tag.choices = [SelectChoice(0, _("All tags"))] + [
        SelectChoice(tag.id, tag.name) for tag in queries.tags(session, bank)
    ]
    form.source.choices = [SelectChoice(0, _("All sources"))] + [
        SelectChoice(source.id, source.title) for source in queries.sources(session)
    ]
    if request.args.get("download") and form.validate():
        filters = QuestionFilters(
            type=form.type.data or None,
            status=QuestionStatus(form.status.data) if form.status.data else None,
            difficulty=form.difficulty.data or None,
            knowledge_point_id=form.kp.data or None,
            tag_id=form.tag.data or None,
            source_id=form.source.data or None,
        )
        versions = queries.export_versions(session, bank, filters)
        chosen = formats.FORMATS[form.format.data]
        exported = formats.export(chosen.code, [services.to_draft(v) for v in versions])
        refusal = formats.export_refusal(chosen.code, len(versions), exported)
        if refusal is None:
            day = org_day(now()).strftime("%Y%m%d")
            response = _download(
                exported.data,
                f"{bank.name}-{day}{chosen.extension}",
                f"question-bank-{bank.id}-{day}{chosen.extension}",
                chosen.mimetype,
            )
            response.headers["X-Questions-Exported"] = str(exported.exported)
            response.headers["X-Questions-Skipped"] = str(len(exported.skipped))
            return response
        form.form_errors.append(refusal)
    return render_template(
        "question_bank/export.html",
        bank=bank,
        form=form,
        counts=queries.status_counts(session, bank),
    ), (400 if form.errors else 200)
