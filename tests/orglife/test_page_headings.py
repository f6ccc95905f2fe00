"""Pages say what they show: the calendar of the units above names the party group and the
period of each obligation, and a claim's page is headed by the claim, not its number."""

import re

from tests.orglife.factories import certified_claim
from tests.world import build_world


def test_the_calendar_above_names_the_group_and_the_period(session, auth):
    world = build_world(session)
    auth.login("gsec")  # the general branch's secretary: the unit above branch A
    response = auth.client.get(f"/orglife/units/{world.general.id}/calendar")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    # 10 March 2026: February's group meeting and the last quarter of 2025 were missed.
    assert world.group_a.name in page
    periods = re.findall(r'data-testid="obligation-period">([^<]+)<', page)
    assert "2026年2月" in periods and "2026年3月" in periods
    assert any("2025" in period for period in periods)


def test_a_claims_page_is_headed_by_what_was_studied(session, auth, app):
    world = build_world(session)
    with app.test_request_context():
        claim = certified_claim(session, world.member_a, description="区委党校专题讲座\n第二行")
    session.commit()
    auth.login("mema")
    page = auth.client.get(f"/orglife/claims/{claim.id}").get_data(as_text=True)
    heading = re.search(r'data-testid="claim-heading">([^<]+)<', page).group(1)
    assert heading.strip() == "区委党校专题讲座"
    assert "<title>区委党校专题讲座" in page
    assert f"申报 {claim.id}" not in page and "2026-03-01" in page
