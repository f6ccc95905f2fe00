"""The home page of each role, the language switch and the health check."""


def init_app(app) -> None:
    from learnapp.home.views import bp

    app.register_blueprint(bp)
