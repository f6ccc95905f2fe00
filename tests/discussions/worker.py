"""A second web worker for the word-list test: its own process, app and matcher cache.

Reads one text per line on stdin and answers the verdict's action (or "none") on stdout, each
check in its own session, as a request would.
"""

import sys

from learnapp import create_app
from learnapp.discussions.moderation.engine import check_text


def main(database_url: str) -> None:
    app = create_app({"SECRET_KEY": "worker", "DATABASE_URL": database_url, "TESTING": True})
    database = app.extensions["learnapp.db"]
    with app.app_context():
        for line in sys.stdin:
            with database.session_scope() as session:
                verdict = check_text(session, line.strip())
            print(verdict.action.value if verdict.action else "none", flush=True)
    database.engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1])
