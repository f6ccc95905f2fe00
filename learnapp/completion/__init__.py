"""Completion of the annual 学时 requirement: member status, the dashboard, exports, reminders."""


def init_app(app) -> None:
    from learnapp.completion import inbox  # noqa: F401  (registers the inbox provider)
    from learnapp.completion.labels import source_label, status_label
    from learnapp.completion.views import bp

    app.register_blueprint(bp)
    app.add_template_global(status_label)
    app.add_template_global(source_label)
