"""learnapp: party members' theory study, quizzes, study hours and assessments.

`create_app` only wires: configuration, extensions, blueprints, CLI commands and error handlers.
It creates no tables, runs no migrations and starts no scheduler.
"""

from pathlib import Path

from flask import Flask

from learnapp import db, web
from learnapp.config import PROJECT_ROOT, load_settings
from learnapp.errors import register_error_handlers
from learnapp.extensions import babel, csrf, limiter, login_manager


def create_app(config: dict | None = None) -> Flask:
    settings = load_settings()
    settings.update(config or {})
    app = Flask(
        __name__,
        instance_path=settings["DATA_DIR"],
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(Path(__file__).parent / "static"),
    )
    app.config.update(settings)

    db.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    web.init_app(app)
    login_manager.init_app(app)
    babel.init_app(
        app,
        locale_selector=web.select_locale,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    register_error_handlers(app)

    from learnapp import (
        accounts,
        assessments,
        audit,
        completion,
        courses,
        discussions,
        home,
        hours,
        inbox_views,
        jobs,
        notifications,
        orglife,
        orgs,
        question_bank,
        quizzes,
        study,
    )

    for package in (
        home,
        accounts,
        orgs,
        audit,
        notifications,
        courses,
        question_bank,
        hours,
        study,
        quizzes,
        discussions,
        orglife,
        completion,
        assessments,
        inbox_views,
    ):
        package.init_app(app)
    app.cli.add_command(jobs.jobs_cli)
    web.register_cli(app)
    return app
