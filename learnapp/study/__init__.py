"""Verified study time: study sessions and heartbeats, lesson progress, and the member's pages."""

import os


def init_app(app) -> None:
    from learnapp.study.home import continue_learning
    from learnapp.study.views import bp

    # How often the page reports while the member studies. The server's crediting does not
    # depend on it (each interval is capped by CREDIT_CAP_SECONDS); tests may shorten it.
    app.config.setdefault(
        "STUDY_HEARTBEAT_SECONDS", int(os.environ.get("LEARNAPP_STUDY_HEARTBEAT_SECONDS", 20))
    )
    app.register_blueprint(bp)
    app.add_template_global(continue_learning, "study_continue_learning")
