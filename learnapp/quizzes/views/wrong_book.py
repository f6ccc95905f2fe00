"""The member's 错题本: the questions they answered wrongly, to practise again, and marking one
mastered."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from learnapp.authz import LOGGED_IN, route_policy
from learnapp.clock import now
from learnapp.db import commit, get_session
from learnapp.forms import EmptyForm
from learnapp.quizzes.models import WrongAnswer
from learnapp.quizzes.presenters import wrong_book_items
from learnapp.quizzes.queries import wrong_answer_reviews, wrong_book
from learnapp.quizzes.reports import member_reports
from learnapp.quizzes.views import bp, no_store
from learnapp.quizzes.wrongbook import set_mastered


@bp.get("/wrong-book")
@route_policy(LOGGED_IN)
def wrong_answers():
    session = get_session()
    entries = wrong_book(session, current_user.id)
    question_ids = [entry.question_id for entry in entries]
    items = wrong_book_items(
        entries, wrong_answer_reviews(session, current_user, question_ids, now())
    )
    return no_store(
        render_template(
            "quizzes/wrong_book.html",
            items=items,
            reported=member_reports(session, current_user.id),
            form=EmptyForm(),
        )
    )


@bp.post("/wrong-book/<int:entry_id>/mastered")
@route_policy(LOGGED_IN)
def mastered(entry_id):
    session = get_session()
    entry = session.get(WrongAnswer, entry_id)
    if entry is None or entry.member_id != current_user.id:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    set_mastered(session, current_user, entry, now())
    commit()
    flash(_("Marked as mastered."), "success")
    return redirect(url_for("quizzes.wrong_answers"))
