"""Courses, modules and lessons: authoring, content files and media (DESIGN.md layer 3)."""


def init_app(app) -> None:
    from learnapp.courses.cli import courses_cli
    from learnapp.courses.views import bp

    app.register_blueprint(bp)
    app.cli.add_command(courses_cli)
