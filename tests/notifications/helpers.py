"""Reading notifications as a person using one language or the other would see them."""

import sqlalchemy as sa
from flask_babel import force_locale

from learnapp.notifications.messages import Rendered, render
from learnapp.notifications.models import Notification


def rendered(notification: Notification, locale: str) -> Rendered:
    """Call inside an app context."""
    with force_locale(locale):
        return render(notification)


def notices_of(session, user) -> list[Notification]:
    return list(
        session.scalars(
            sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )
