"""The question bank: types, metadata, versions, the review workflow, and imports and exports."""

import importlib.util


def init_app(app) -> None:
    from learnapp.question_bank.views import bp

    app.register_blueprint(bp)
    # The import/export screens and CLI live in their own modules (issue 4, part B).
    if importlib.util.find_spec("learnapp.question_bank.import_views") is not None:
        from learnapp.question_bank.import_views import bp as import_bp

        app.register_blueprint(import_bp)
    if importlib.util.find_spec("learnapp.question_bank.cli") is not None:
        from learnapp.question_bank.cli import bank_cli

        app.cli.add_command(bank_cli)
