"""Organisational life (组织生活, 三会一课): meetings, attendance, the compliance calendar, and
claims of study done elsewhere; attendance and approved claims credit the 学时 ledger."""


def init_app(app) -> None:
    from learnapp.orglife import inbox  # noqa: F401  (registers the inbox providers)
    from learnapp.orglife.labels import (
        attendance_label,
        claim_state_label,
        meeting_kind_label,
        obligation_label,
        obligation_period,
        period_label,
    )
    from learnapp.orglife.views import bp

    app.register_blueprint(bp)
    for function in (
        attendance_label,
        claim_state_label,
        meeting_kind_label,
        obligation_label,
        obligation_period,
        period_label,
    ):
        app.add_template_global(function)
