"""The organisation tree, members, transfers, roles and the bulk member import."""


def init_app(app) -> None:
    from learnapp.orgs.views import bp

    app.register_blueprint(bp)
