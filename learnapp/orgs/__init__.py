"""The organisation tree, members, transfers, roles and the bulk member import."""


def init_app(app) -> None:
    from learnapp.orgs import tree_views  # noqa: F401  (its routes join the blueprint)
    from learnapp.orgs.views import bp

    app.register_blueprint(bp)
