"""The audit log of privileged actions, and the admin pages to read it and the job runs."""


def init_app(app) -> None:
    from learnapp.audit.views import bp

    app.register_blueprint(bp)
