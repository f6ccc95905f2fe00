"""Notifications: short messages to one person with a link, and the unread badge in the navbar."""


def init_app(app) -> None:
    from learnapp.notifications.queries import unread_count
    from learnapp.notifications.views import bp

    app.register_blueprint(bp)

    @app.context_processor
    def notification_badge():
        from flask_login import current_user

        from learnapp.db import get_session

        def unread_notifications() -> int:
            # Called by the navbar only, so a page without the navbar pays nothing.
            if not getattr(current_user, "is_authenticated", False):
                return 0
            return unread_count(get_session(), current_user.id)

        return {"unread_notifications": unread_notifications}
