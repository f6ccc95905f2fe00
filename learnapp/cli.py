"""Top-level CLI groups: database migrations, users and demo data."""

import click
from flask import current_app
from flask.cli import AppGroup

from learnapp.clock import now
from learnapp.db import get_db

db_cli = AppGroup("db", help="Database schema (Alembic migrations).")
users_cli = AppGroup("users", help="User accounts.")
demo_cli = AppGroup("demo", help="Demo data for trying the platform.")


def alembic_config():
    from alembic.config import Config

    from learnapp.config import PROJECT_ROOT

    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    return config


def upgrade_database(engine, revision: str = "head") -> None:
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def upgrade(revision):
    """Apply migrations up to REVISION (default: head)."""
    upgrade_database(get_db().engine, revision)
    click.echo(f"database at {revision}")


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
def revision(message):
    """Write a new migration from the difference between models and database."""
    from alembic import command

    import learnapp.models  # noqa: F401  (registers every table)

    config = alembic_config()
    with get_db().engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)


@users_cli.command("create-admin")
@click.argument("username")
@click.option("--name", "display_name", default=None, help="Display name (default: USERNAME).")
def create_admin(username, display_name):
    """Create an administrator with a random password, printed once and changed at the first
    login."""
    from learnapp.accounts.services.passwords import generate_password
    from learnapp.accounts.services.users import create_user
    from learnapp.errors import DomainError
    from learnapp.orgs.models import Role, UnitKind
    from learnapp.orgs.queries import root_units
    from learnapp.orgs.roles import grant_role
    from learnapp.orgs.services import create_unit

    password = generate_password(username)
    with get_db().session_scope() as session:
        try:
            user = create_user(
                session,
                None,
                username=username,
                display_name=display_name or username,
                password=password,
                must_change_password=True,
                now=now(),
            )
        except DomainError as error:
            raise click.ClickException(str(error.message)) from None
        roots = root_units(session)
        root = (
            roots[0]
            if roots
            else create_unit(
                session, None, name="党委", kind=UnitKind.COMMITTEE, parent=None, now=now()
            )
        )
        grant_role(session, None, user, root, Role.ADMIN, now())
    click.echo(f"administrator {user.username} created; password (shown once): {password}")


@demo_cli.command("seed")
def seed():
    """Build the demo organisation and accounts (never in production, only into an empty database)."""
    from learnapp.demo import DemoRefused, seed_demo

    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("demo data is never seeded when LEARNAPP_ENV=production")
    try:
        with get_db().session_scope() as session:
            summary = seed_demo(session, now())
    except DemoRefused as refused:
        click.echo(str(refused))
        return
    click.echo(summary)
