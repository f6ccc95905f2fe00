"""Accounts: login, login sessions, passwords, profile and user administration."""


def init_app(app) -> None:
    from learnapp.accounts import disabled_roles  # noqa: F401  (its route joins the blueprint)
    from learnapp.accounts.gate import require_own_password
    from learnapp.accounts.views import bp

    app.register_blueprint(bp)
    app.before_request(require_own_password)
