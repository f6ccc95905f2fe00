"""The member home page's "continue learning" card, offered to templates as a global so the
home package (a lower layer) does not import study."""

from flask_login import current_user

from learnapp.db import get_session


def continue_learning():
    from learnapp.study.queries import continue_learning as find

    if not current_user.is_authenticated:
        return None
    return find(get_session(), current_user)
