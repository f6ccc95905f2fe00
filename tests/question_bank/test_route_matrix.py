"""Every route of the question bank and its import screens × every role: who may use it (any
answer but 403), who is refused (403), who is outside the bank's unit (404), and the anonymous
visitor (sent to the login page). A route added without a row here fails the first test."""

import pytest

from learnapp.orgs.models import Role
from learnapp.question_bank import progress
from learnapp.question_bank.models import QuestionStatus
from tests.factories import make_user
from tests.question_bank.factories import make_bank, make_question
from tests.world import build_world

STAFF, EDITOR, REVIEWER, ADMIN = "staff", "editor", "reviewer", "admin"
ALLOWED = {
    STAFF: {"admin", "editor", "reviewer", "beditor"},
    EDITOR: {"admin", "editor", "beditor"},
    REVIEWER: {"admin", "reviewer"},
    ADMIN: {"admin"},
}
USERS = ("admin", "editor", "reviewer", "beditor", "mema", "seca")

# (method, rule, URL with placeholders, policy, whether the URL names the bank or a question)
ROUTES = [
    ("GET", "/bank/", "/bank/", STAFF, False),
    ("GET", "/bank/new", "/bank/new", ADMIN, False),
    ("POST", "/bank/new", "/bank/new", ADMIN, False),
    ("POST", "/bank/<int:bank_id>/settings", "/bank/{bank}/settings", ADMIN, True),
    ("GET", "/bank/<int:bank_id>/", "/bank/{bank}/", STAFF, True),
    ("POST", "/bank/<int:bank_id>/bulk", "/bank/{bank}/bulk", EDITOR, True),
    ("GET", "/bank/<int:bank_id>/questions/new", "/bank/{bank}/questions/new", EDITOR, True),
    (
        "GET",
        "/bank/<int:bank_id>/questions/new/<type_code>",
        "/bank/{bank}/questions/new/judge",
        EDITOR,
        True,
    ),
    (
        "POST",
        "/bank/<int:bank_id>/questions/new/<type_code>",
        "/bank/{bank}/questions/new/judge",
        EDITOR,
        True,
    ),
    ("GET", "/bank/questions/<int:question_id>", "/bank/questions/{question}", STAFF, True),
    (
        "GET",
        "/bank/questions/<int:question_id>/edit",
        "/bank/questions/{question}/edit",
        EDITOR,
        True,
    ),
    (
        "POST",
        "/bank/questions/<int:question_id>/edit",
        "/bank/questions/{question}/edit",
        EDITOR,
        True,
    ),
    (
        "POST",
        "/bank/questions/<int:question_id>/submit",
        "/bank/questions/{question}/submit",
        EDITOR,
        True,
    ),
    (
        "POST",
        "/bank/questions/<int:question_id>/approve",
        "/bank/questions/{question}/approve",
        REVIEWER,
        True,
    ),
    (
        "POST",
        "/bank/questions/<int:question_id>/retire",
        "/bank/questions/{question}/retire",
        EDITOR,
        True,
    ),
    (
        "POST",
        "/bank/questions/<int:question_id>/reopen",
        "/bank/questions/{question}/reopen",
        EDITOR,
        True,
    ),
    (
        "POST",
        "/bank/questions/<int:question_id>/reject",
        "/bank/questions/{question}/reject",
        REVIEWER,
        True,
    ),
    (
        "GET",
        "/bank/questions/<int:question_id>/preview",
        "/bank/questions/{question}/preview",
        STAFF,
        True,
    ),
    ("GET", "/bank/<int:bank_id>/review", "/bank/{bank}/review", REVIEWER, True),
    (
        "GET",
        "/bank/<int:bank_id>/knowledge-points",
        "/bank/{bank}/knowledge-points",
        STAFF,
        True,
    ),
    (
        "POST",
        "/bank/knowledge-points/<int:point_id>/rename",
        "/bank/knowledge-points/{point}/rename",
        EDITOR,
        True,
    ),
    (
        "POST",
        "/bank/knowledge-points/<int:point_id>/delete",
        "/bank/knowledge-points/{point}/delete",
        EDITOR,
        True,
    ),
    ("GET", "/bank/sources", "/bank/sources", STAFF, False),
    (
        "POST",
        "/bank/sources/<int:source_id>/supersede",
        "/bank/sources/{source}/supersede",
        EDITOR,
        False,
    ),
    ("GET", "/bank/import/template.xlsx", "/bank/import/template.xlsx", STAFF, False),
    ("GET", "/bank/<int:bank_id>/import", "/bank/{bank}/import", EDITOR, True),
    ("POST", "/bank/<int:bank_id>/import", "/bank/{bank}/import", EDITOR, True),
    ("POST", "/bank/<int:bank_id>/import/confirm", "/bank/{bank}/import/confirm", EDITOR, True),
    (
        "GET",
        "/bank/<int:bank_id>/import/progress/<token>",
        "/bank/{bank}/import/progress/{token}",
        EDITOR,
        True,
    ),
    (
        "GET",
        "/bank/<int:bank_id>/import/result/<token>",
        "/bank/{bank}/import/result/{token}",
        EDITOR,
        True,
    ),
    (
        "GET",
        "/bank/<int:bank_id>/import/problems/<token>.csv",
        "/bank/{bank}/import/problems/{token}.csv",
        EDITOR,
        True,
    ),
    ("GET", "/bank/<int:bank_id>/export", "/bank/{bank}/export", STAFF, True),
]


@pytest.fixture
def matrix(app, session):
    world = build_world(session)
    editor = make_user(session, username="editor", roles=((Role.BANK_EDITOR, world.root),))
    reviewer = make_user(session, username="reviewer", roles=((Role.REVIEWER, world.root),))
    make_user(session, username="beditor", roles=((Role.BANK_EDITOR, world.branch_b),))
    bank = make_bank(session, unit=world.root)
    question = make_question(session, bank, editor, status=QuestionStatus.IN_REVIEW)
    session.commit()
    users = {"admin": world.admin, "editor": editor, "reviewer": reviewer}
    with app.test_request_context():
        for name, user in users.items():
            progress.write(
                f"token-{name}",
                user.id,
                state="done",
                added=1,
                duplicates=0,
                skipped=0,
                status="draft",
                done=1,
                total=1,
                filename="x.csv",
            )
    return {
        "bank": bank.id,
        "question": question.id,
        "source": question.current_version.source_id,
        "point": question.knowledge_point_id,
    }


def test_every_route_has_a_row(app):
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in ("question_bank", "bank_import")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes == {(method, rule) for method, rule, *_ in ROUTES}


def _call(client, auth, method, url):
    if method == "GET":
        return client.get(url)
    return auth.post(url, data={})


@pytest.mark.parametrize("username", USERS)
def test_each_role_on_each_route(client, auth, matrix, username):
    auth.login(username)
    seen = []
    for method, _rule, template, policy, scoped in ROUTES:
        url = template.format(token=f"token-{username}", **matrix)
        status = _call(client, auth, method, url).status_code
        if username not in ALLOWED[policy]:
            expected = "403"
        elif username == "beditor" and scoped:
            expected = "404"  # the bank belongs to a unit outside the editor's
        else:
            expected = "allowed"
        got = {403: "403", 404: "404"}.get(status, "allowed")
        seen.append((method, template, got))
        assert got == expected, (method, url, status)
        assert status < 500, (method, url, status)
    assert len(seen) == len(ROUTES)


def test_anonymous_visitors_are_sent_to_the_login_page(client, matrix):
    for method, _rule, template, _policy, _scoped in ROUTES:
        if method != "GET":
            continue
        response = client.get(template.format(token="token-admin", **matrix))
        assert response.status_code == 302, template
        assert "/login" in response.headers["Location"], template
