"""The to-do inbox page: every provider's items for the signed-in user (see learnapp.inbox)."""

from flask import Blueprint, render_template
from flask_login import current_user

from learnapp.authz import LOGGED_IN, route_policy
from learnapp.db import get_session
from learnapp.inbox import items_for

bp = Blueprint("inbox", __name__)


@bp.get("/inbox")
@route_policy(LOGGED_IN)
def index():
    return render_template("inbox/index.html", items=items_for(get_session(), current_user))


def init_app(app) -> None:
    app.register_blueprint(bp)

    @app.context_processor
    def inbox_items():
        def home_inbox():
            # Called by the home page only, so other pages pay nothing.
            return items_for(get_session(), current_user)

        return {"home_inbox": home_inbox}
