"""Every route declares a policy, and the policy holds for every role.

New routes are covered automatically: a view without `route_policy` fails here, and each route
is requested as an anonymous visitor and as a plain member with placeholder ids. Object-level
scope (404 outside one's subtree) is tested by each package with real objects.
"""

import re

import pytest

from learnapp.authz import POLICIES, policy_of
from tests.world import build_world

PLACEHOLDER = re.compile(r"<(?:(\w+):)?(\w+)>")


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        yield rule, app.view_functions[rule.endpoint]


def _path(rule) -> str:
    def fill(match):
        converter = match.group(1) or "string"
        return "999999" if converter in ("int", "float") else "zz-placeholder"

    return PLACEHOLDER.sub(fill, rule.rule)


def test_every_route_declares_a_policy(app):
    missing = [rule.rule for rule, view in _routes(app) if policy_of(view) is None]
    assert missing == []


def test_policies_are_the_registered_ones(app):
    assert {policy_of(view) for _, view in _routes(app)} <= set(POLICIES)


def test_anonymous_visitors_are_sent_to_login_except_on_public_routes(app, client):
    for rule, view in _routes(app):
        policy = policy_of(view)
        method = "GET" if "GET" in rule.methods else "POST"
        response = client.open(_path(rule), method=method)
        if policy.public:
            assert response.status_code != 302 or "/login" not in response.headers.get(
                "Location", ""
            ), rule.rule
        elif method == "GET":
            assert response.status_code == 302, rule.rule
            assert "/login" in response.headers["Location"], rule.rule
        else:
            # A POST without a CSRF token is refused before anything else.
            assert response.status_code == 400, rule.rule


@pytest.mark.parametrize("role", ["member_b", "secretary_a", "admin"])
def test_each_role_meets_the_policy_of_every_get_route(app, session, auth, role):
    world = build_world(session)
    user = getattr(world, role)
    auth.login(user.username)
    for rule, view in _routes(app):
        if "GET" not in rule.methods:
            continue
        policy = policy_of(view)
        response = auth.client.get(_path(rule))
        allowed = policy.public or policy.allows(user)
        if allowed:
            assert response.status_code != 403, (rule.rule, role)
        else:
            assert response.status_code == 403, (rule.rule, role)


def test_state_changing_routes_refuse_get(app, client):
    for rule, _view in _routes(app):
        if "POST" in rule.methods and "GET" not in rule.methods:
            assert client.get(_path(rule)).status_code == 405, rule.rule
