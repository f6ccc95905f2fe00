"""Discussion boards, announcements, complaints and suggestions, and content safety."""

DEFAULTS = {
    "DISCUSSION_EDIT_WINDOW_SECONDS": 15 * 60,
    "DISCUSSION_NEW_MEMBER_DAYS": 7,
    "DISCUSSION_POSTS_PER_MINUTE": 5,
    "DISCUSSION_POSTS_PER_DAY": 50,
    "DISCUSSION_MAX_BODY_CHARS": 20_000,
}


def init_app(app) -> None:
    # Registries filled at import: the notification kinds and the inbox providers.
    from learnapp.discussions import inbox, notices  # noqa: F401
    from learnapp.discussions.views import bp

    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.register_blueprint(bp)

    @app.context_processor
    def discussion_helpers():
        from flask_login import current_user

        from learnapp.clock import now
        from learnapp.db import get_session

        def home_announcements():
            # Called by the home page only.
            from learnapp.discussions.queries import announcements_for

            return announcements_for(get_session(), current_user, now(), limit=5)

        from learnapp.discussions.labels import POST_STATE_LABELS, REPORT_STATE_LABELS

        return {
            "home_announcements": home_announcements,
            "post_state_label": POST_STATE_LABELS.get,
            "report_state_label": REPORT_STATE_LABELS.get,
        }
