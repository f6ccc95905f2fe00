"""Quizzes and exams: definitions, attempts with server-side integrity, marking, the 错题本,
daily practice and item analysis (issue 5)."""


def init_app(app) -> None:
    from learnapp.quizzes import inbox  # noqa: F401  (registers the marking inbox provider)
    from learnapp.quizzes.views import bp

    app.register_blueprint(bp)
