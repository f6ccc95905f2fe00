import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from learnapp.authz import ADMIN, LOGGED_IN, MANAGER, route_policy
from learnapp.clock import now
from learnapp.db import commit, get_session
from learnapp.discussions.access import can_moderate_board
from learnapp.discussions.forms import ActionForm, CategoryForm, DecisionForm, ReportForm, TermsForm
from learnapp.discussions.labels import HOLD_REASON_LABELS, REASON_LABELS, WORD_ACTION_LABELS
from learnapp.discussions.models import (
    AllowedTerm,
    Post,
    ReasonCode,
    SensitiveTerm,
    WordAction,
    WordCategory,
)
from learnapp.discussions.moderation.engine import current_matcher, highlight
from learnapp.discussions.queries import (
    author_history,
    decisions_of,
    reports_of,
    review_queue,
    thread_context,
)
from learnapp.discussions.services import wordlists
from learnapp.discussions.services.review import check_reportable, decide_post, report_post
from learnapp.discussions.views import bp
from learnapp.discussions.views.common import load_post
from learnapp.errors import DomainError, apply_domain_error
from learnapp.forms import EmptyForm


@bp.get("/moderation")
@route_policy(MANAGER)
def queue():
    return render_template(
        "discussions/queue.html",
        items=review_queue(get_session(), current_user),
        hold_labels=HOLD_REASON_LABELS,
    )


@bp.route("/moderation/posts/<int:post_id>", methods=["GET", "POST"])
@route_policy(MANAGER)
def review(post_id):
    session = get_session()
    post = session.get(Post, post_id)
    if post is None or not can_moderate_board(current_user, post.thread.board):
        abort(404)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            decide_post(
                session,
                current_user,
                post,
                approve=form.decision.data == "approve",
                reason=ReasonCode(form.reason.data),
                note=form.note.data,
                now=now(),
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Decision recorded."), "success")
            return redirect(url_for("discussions.queue"))
    verdict = current_matcher(session).check(post.body_source)
    title_verdict = current_matcher(session).check(post.thread.title) if post.is_opening else None
    return render_template(
        "discussions/review.html",
        post=post,
        form=form,
        pieces=highlight(post.body_source, verdict.hits),
        title_pieces=highlight(post.thread.title, title_verdict.hits) if title_verdict else None,
        hits=sorted(
            {(h.term, h.category, h.action) for h in verdict.hits}
            | {
                (h.term, h.category, h.action)
                for h in (title_verdict.hits if title_verdict else ())
            }
        ),
        context=thread_context(session, post),
        history=author_history(session, post.author_id),
        reports=reports_of(session, post),
        decisions=decisions_of(session, post),
        hold_labels=HOLD_REASON_LABELS,
        reason_labels=REASON_LABELS,
        action_labels=WORD_ACTION_LABELS,
    ), 400 if form.errors or form.form_errors else 200


@bp.route("/posts/<int:post_id>/report", methods=["GET", "POST"])
@route_policy(LOGGED_IN)
def post_report(post_id):
    post = load_post(post_id)
    try:
        check_reportable(get_session(), current_user, post)
    except DomainError as refused:
        # Said before the form opens (one's own post, one reported already), not after it.
        html = render_template("discussions/report.html", post=post, refusal=refused.message)
        return html, 403
    form = ReportForm()
    if form.validate_on_submit():
        try:
            report_post(
                get_session(),
                current_user,
                post,
                reason=ReasonCode(form.reason.data),
                note=form.note.data,
                now=now(),
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Thank you. A moderator will look at it and you will hear back."), "success")
            return redirect(
                url_for("discussions.post_link", thread_id=post.thread_id, post_id=post.id)
            )
    return render_template("discussions/report.html", form=form, post=post), (
        400 if form.errors or form.form_errors else 200
    )


# --- word lists (administrators) -------------------------------------------------------------


def _word_lists_page(status=200, **forms):
    session = get_session()
    categories = session.scalars(sa.select(WordCategory).order_by(WordCategory.id)).all()
    terms = session.scalars(sa.select(SensitiveTerm).order_by(SensitiveTerm.term)).all()
    by_category = {category.id: [] for category in categories}
    for term in terms:
        by_category.setdefault(term.category_id, []).append(term)
    return render_template(
        "discussions/words.html",
        categories=categories,
        by_category=by_category,
        allowed=session.scalars(sa.select(AllowedTerm).order_by(AllowedTerm.term)).all(),
        category_form=forms.get("category_form") or CategoryForm(formdata=None),
        terms_form=forms.get("terms_form") or TermsForm(formdata=None),
        blank_terms_form=TermsForm(formdata=None),
        allowed_form=forms.get("allowed_form") or TermsForm(formdata=None),
        failed_category=forms.get("failed_category"),
        action_form=ActionForm(formdata=None),
        remove_form=EmptyForm(),
        action_labels=WORD_ACTION_LABELS,
        actions=list(WordAction),
    ), status


@bp.get("/admin/words")
@route_policy(ADMIN)
def word_lists():
    return _word_lists_page()


@bp.post("/admin/words/categories")
@route_policy(ADMIN)
def category_new():
    form = CategoryForm()
    if form.validate_on_submit():
        try:
            wordlists.create_category(
                get_session(), current_user, form.name.data, WordAction(form.action.data), now()
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("Category added."), "success")
            return redirect(url_for("discussions.word_lists"))
    return _word_lists_page(400, category_form=form)


def _category(category_id) -> WordCategory:
    category = get_session().get(WordCategory, category_id)
    if category is None:
        abort(404)
    return category


@bp.post("/admin/words/categories/<int:category_id>/action")
@route_policy(ADMIN)
def category_action(category_id):
    category = _category(category_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    wordlists.set_category_action(
        get_session(), current_user, category, WordAction(form.action.data), now()
    )
    commit()
    flash(_("Action of %(name)s changed.", name=category.name), "success")
    return redirect(url_for("discussions.word_lists"))


@bp.post("/admin/words/categories/<int:category_id>/terms")
@route_policy(ADMIN)
def terms_add(category_id):
    category = _category(category_id)
    form = TermsForm()
    if form.validate_on_submit():
        try:
            count = wordlists.add_terms(
                get_session(), current_user, category, form.terms.data, now()
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("%(n)d terms added.", n=count), "success")
            return redirect(url_for("discussions.word_lists") + f"#category-{category.id}")
    return _word_lists_page(400, terms_form=form, failed_category=category.id)


@bp.post("/admin/words/terms/<int:term_id>/remove")
@route_policy(ADMIN)
def term_remove(term_id):
    term = get_session().get(SensitiveTerm, term_id)
    if term is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    category_id = term.category_id
    wordlists.remove_term(get_session(), current_user, term, now())
    commit()
    flash(_("Term removed."), "info")
    return redirect(url_for("discussions.word_lists") + f"#category-{category_id}")


@bp.post("/admin/words/allowed")
@route_policy(ADMIN)
def allowed_add():
    form = TermsForm()
    if form.validate_on_submit():
        try:
            count = wordlists.add_allowed(get_session(), current_user, form.terms.data, now())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            commit()
            flash(_("%(n)d terms added.", n=count), "success")
            return redirect(url_for("discussions.word_lists") + "#allowlist")
    return _word_lists_page(400, allowed_form=form)


@bp.post("/admin/words/allowed/<int:term_id>/remove")
@route_policy(ADMIN)
def allowed_remove(term_id):
    term = get_session().get(AllowedTerm, term_id)
    if term is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    wordlists.remove_allowed(get_session(), current_user, term, now())
    commit()
    flash(_("Term removed."), "info")
    return redirect(url_for("discussions.word_lists") + "#allowlist")
