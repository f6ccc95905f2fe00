"""The question bank: types, metadata, versions, the review workflow, and imports and exports."""


def init_app(app) -> None:
    from learnapp.question_bank import inbox  # noqa: F401  (registers the review inbox line)
    from learnapp.question_bank.cli import bank_cli
    from learnapp.question_bank.import_views import bp as import_bp
    from learnapp.question_bank.types import points_label
    from learnapp.question_bank.views import bp

    # Points with their unit, for the bank's and the quizzes' pages alike.
    app.add_template_global(points_label)
    app.register_blueprint(bp)
    app.register_blueprint(import_bp)
    app.cli.add_command(bank_cli)
