"""Member assessments: evidence dossiers, versioned scoring rules and the 民主评议 workflow."""


def init_app(app) -> None:
    # Importing inbox and queries registers the inbox providers and the 学时 year closer.
    from learnapp.assessments import inbox, queries  # noqa: F401
    from learnapp.assessments.labels import GRADE_LABELS, POINT_STATE_LABELS, STEP_LABELS
    from learnapp.assessments.views import bp

    app.register_blueprint(bp)
    app.jinja_env.globals.update(
        assessment_step_labels=STEP_LABELS,
        grade_labels=GRADE_LABELS,
        point_state_labels=POINT_STATE_LABELS,
    )
