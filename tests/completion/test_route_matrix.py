"""Every route of completion, organisational life and the inbox × every kind of user: who may
use it (any answer but 403 or 404, never a server error), who is refused by role (403) and who
is outside the object's subtree (404). A route added without a row here fails the first test."""

import io

import pytest

from learnapp.orglife.meetings import add_attachment, create_meeting
from learnapp.orgs.models import Role
from tests.factories import FIXED_NOW, make_user
from tests.orglife.factories import PDF, meeting_fields
from tests.orglife.test_views import _pending
from tests.world import build_world

USERS = ("mema", "memb", "seca", "secb", "gsec", "admin")
OK = "ok"
# Who gets what, by kind of route. mema is a member of branch A and owns the claim; memb is a
# member of branch B; seca and secb are the branches' secretaries; gsec is the secretary of the
# general branch above both; admin is the administrator at the root.
EVERYONE = dict.fromkeys(USERS, OK)
MANAGERS = {**EVERYONE, "mema": 403, "memb": 403}
BRANCH_A = {**MANAGERS, "secb": 404}
ABOVE = {**MANAGERS, "seca": 404, "secb": 404}
CLAIM_VIEW = {**EVERYONE, "memb": 404, "secb": 404}
CLAIM_DECIDE = {**MANAGERS, "secb": 404}
# Only the claim's member withdraws it; managers who can see it are refused, others see nothing.
CLAIM_WITHDRAW = {**dict.fromkeys(USERS, 403), "mema": OK, "memb": 404, "secb": 404}
NOTHING_RUNNING = {**dict.fromkeys(USERS, 404), "mema": 403, "memb": 403}

# (method, rule, URL with placeholders, expected outcome per user)
ROUTES = [
    ("GET", "/completion/", "/completion/", MANAGERS),
    ("GET", "/completion/units/<int:unit_id>", "/completion/units/{branch}", BRANCH_A),
    ("GET", "/completion/units/<int:unit_id>", "/completion/units/{general}", ABOVE),
    (
        "GET",
        "/completion/units/<int:unit_id>/members",
        "/completion/units/{branch}/members",
        BRANCH_A,
    ),
    ("GET", "/completion/members/<int:user_id>", "/completion/members/{member}", BRANCH_A),
    (
        "POST",
        "/completion/units/<int:unit_id>/export.xlsx",
        "/completion/units/{branch}/export.xlsx",
        BRANCH_A,
    ),
    (
        "POST",
        "/completion/units/<int:unit_id>/export.csv",
        "/completion/units/{branch}/export.csv",
        BRANCH_A,
    ),
    (
        "POST",
        "/completion/units/<int:unit_id>/summary.csv",
        "/completion/units/{general}/summary.csv",
        ABOVE,
    ),
    (
        "GET",
        "/completion/exports/<token>/progress",
        "/completion/exports/" + "0" * 32 + "/progress",
        NOTHING_RUNNING,
    ),
    ("GET", "/completion/reminders", "/completion/reminders", EVERYONE),
    ("POST", "/completion/reminders", "/completion/reminders", EVERYONE),
    ("GET", "/orglife/meetings", "/orglife/meetings", MANAGERS),
    (
        "GET",
        "/orglife/units/<int:unit_id>/meetings",
        "/orglife/units/{branch}/meetings",
        BRANCH_A,
    ),
    (
        "GET",
        "/orglife/units/<int:unit_id>/meetings/new",
        "/orglife/units/{branch}/meetings/new",
        BRANCH_A,
    ),
    (
        "POST",
        "/orglife/units/<int:unit_id>/meetings/new",
        "/orglife/units/{branch}/meetings/new",
        BRANCH_A,
    ),
    ("GET", "/orglife/meetings/<int:meeting_id>", "/orglife/meetings/{meeting}", BRANCH_A),
    (
        "GET",
        "/orglife/meetings/<int:meeting_id>/edit",
        "/orglife/meetings/{meeting}/edit",
        BRANCH_A,
    ),
    (
        "POST",
        "/orglife/meetings/<int:meeting_id>/edit",
        "/orglife/meetings/{meeting}/edit",
        BRANCH_A,
    ),
    (
        "POST",
        "/orglife/meetings/<int:meeting_id>/attendance",
        "/orglife/meetings/{meeting}/attendance",
        BRANCH_A,
    ),
    (
        "POST",
        "/orglife/meetings/<int:meeting_id>/attachments",
        "/orglife/meetings/{meeting}/attachments",
        BRANCH_A,
    ),
    # Posted without a reason: those allowed get the form back (400), the record stays.
    (
        "POST",
        "/orglife/meetings/<int:meeting_id>/delete",
        "/orglife/meetings/{meeting}/delete",
        BRANCH_A,
    ),
    (
        "GET",
        "/orglife/attachments/<int:attachment_id>",
        "/orglife/attachments/{attachment}",
        BRANCH_A,
    ),
    (
        "GET",
        "/orglife/units/<int:unit_id>/calendar",
        "/orglife/units/{general}/calendar",
        ABOVE,
    ),
    ("GET", "/orglife/claims", "/orglife/claims", EVERYONE),
    ("POST", "/orglife/claims/new", "/orglife/claims/new", EVERYONE),
    ("GET", "/orglife/claims/<int:claim_id>", "/orglife/claims/{claim}", CLAIM_VIEW),
    (
        "GET",
        "/orglife/claims/<int:claim_id>/evidence",
        "/orglife/claims/{claim}/evidence",
        CLAIM_VIEW,
    ),
    ("GET", "/orglife/claims/review", "/orglife/claims/review", MANAGERS),
    ("GET", "/orglife/claims/review/decided", "/orglife/claims/review/decided", MANAGERS),
    # Posted without a reason (and the claim pending): those allowed get the page back (400).
    (
        "POST",
        "/orglife/claims/<int:claim_id>/reverse",
        "/orglife/claims/{claim}/reverse",
        CLAIM_DECIDE,
    ),
    (
        "POST",
        "/orglife/claims/<int:claim_id>/reject",
        "/orglife/claims/{claim}/reject",
        CLAIM_DECIDE,
    ),
    (
        "POST",
        "/orglife/claims/<int:claim_id>/approve",
        "/orglife/claims/{claim}/approve",
        CLAIM_DECIDE,
    ),
    (
        "POST",
        "/orglife/claims/<int:claim_id>/withdraw",
        "/orglife/claims/{claim}/withdraw",
        CLAIM_WITHDRAW,
    ),
    (
        "GET",
        "/orglife/units/<int:unit_id>/on-behalf",
        "/orglife/units/{branch}/on-behalf",
        BRANCH_A,
    ),
    (
        "POST",
        "/orglife/units/<int:unit_id>/on-behalf",
        "/orglife/units/{branch}/on-behalf",
        BRANCH_A,
    ),
    ("GET", "/inbox", "/inbox", EVERYONE),
]
BLUEPRINTS = ("completion", "orglife", "inbox")


@pytest.fixture
def objects(app, session):
    world = build_world(session)
    make_user(
        session, username="secb", unit=world.branch_b, roles=((Role.SECRETARY, world.branch_b),)
    )
    with app.test_request_context():
        meeting = create_meeting(
            session, world.secretary_a, world.branch_a, meeting_fields(), FIXED_NOW
        )
        attachment = add_attachment(session, world.secretary_a, meeting, "记录.pdf", PDF, FIXED_NOW)
    session.commit()
    claim = _pending(session, app, world.member_a)
    return {
        "branch": world.branch_a.id,
        "general": world.general.id,
        "member": world.member_a.id,
        "meeting": meeting.id,
        "attachment": attachment.id,
        "claim": claim.id,
    }


def test_every_route_of_the_packages_has_a_row(app):
    listed = {(method, rule) for method, rule, _url, _who in ROUTES}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in BLUEPRINTS:
            continue
        for method in rule.methods & {"GET", "POST"}:
            assert (method, rule.rule) in listed, (method, rule.rule)


@pytest.mark.parametrize("username", USERS)
def test_each_user_gets_what_their_role_and_scope_allow(auth, objects, username):
    auth.login(username)
    for method, rule, url, who in ROUTES:
        path = url.format(**objects)
        if method == "GET":
            response = auth.client.get(path)
        else:
            data = {"file": (io.BytesIO(b""), "")} if rule.endswith("attachments") else {}
            response = auth.post(path, data, content_type="multipart/form-data")
        response.get_data()
        response.close()
        expected = who[username]
        if expected == OK:
            assert response.status_code not in (403, 404), (method, path, username)
            assert response.status_code < 500, (method, path, username)
        else:
            assert response.status_code == expected, (method, path, username)
