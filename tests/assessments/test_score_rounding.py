"""The dossier's figures add up as shown: the base is the sum of the rounded components, on the
live dossier, the frozen one, the grade sheet and the results workbook alike."""

import io
import re
from decimal import Decimal

import sqlalchemy as sa
from openpyxl import load_workbook

from learnapp.assessments.models import AssessmentPeriod, Dossier, Step
from learnapp.assessments.steps import advance
from learnapp.hours.models import HoursCategory, SourceType
from learnapp.hours.services import credit
from tests.assessments.helpers import assessment_world, new_period
from tests.conftest import reload
from tests.discussions.factories import make_branch_board, make_thread
from tests.factories import FIXED_NOW


def _cells(page: str) -> list[str]:
    table = page[page.index('data-testid="evidence-table"') :]
    table = table[: table.index("</table>")]
    return re.findall(r'<td class="text-end"[^>]*>\s*([^<]*?)\s*</td>', table)


def test_every_page_and_export_shows_a_base_that_is_the_sum_of_its_parts(app, session, auth):
    with app.test_request_context():
        world, extras = assessment_world(session)
        member = extras[0]
        period = new_period(session, world, to=Step.SELF_APPRAISAL)
        period.rule_set.rules = {**period.rule_set.rules, "contributions_target": 3}
        # 1 of 32 学时: 40 · 0.0312 · 100/50 = 2.496; 1 of 3 posts: 10 · 0.3333 · 2 = 6.666.
        # Unrounded they make 9.162 (9.16); as shown, 2.50 + 6.67 = 9.17.
        credit(session, member, HoursCategory.ONLINE, SourceType.LESSON, 1, "1", 1500, FIXED_NOW)
        make_thread(session, member, make_branch_board(session, world.branch_a))
        session.commit()
        period_id, member_id = period.id, member.id
    dossier_path = f"/assessments/periods/{period_id}/dossiers/{member_id}"

    auth.login(member.username)
    live = _cells(auth.client.get(dossier_path).get_data(as_text=True))
    assert live == ["2.50", "—", "—", "—", "6.67", "9.17", "+0.00", "−0.00", "9.17"]
    auth.logout()

    with app.test_request_context():
        period = session.get(AssessmentPeriod, period_id)
        while period.step != Step.COMMITTEE:
            advance(session, world.secretary_a, period, FIXED_NOW, allow_no_ballots=True)
        session.commit()
    reload(session)
    frozen = session.scalars(
        sa.select(Dossier).where(Dossier.period_id == period_id, Dossier.member_id == member_id)
    ).one()
    assert frozen.score == Decimal("9.17")
    assert frozen.evidence["score"]["base"] == "9.17"

    auth.login("seca")
    assert _cells(auth.client.get(dossier_path).get_data(as_text=True)) == live
    sheet = auth.client.get(f"/assessments/periods/{period_id}/grades").get_data(as_text=True)
    row = sheet[sheet.index(f'data-testid="grade-evidence-{member_id}"') :]
    assert "9.17" in row[: row.index("</div>")]
    workbook = auth.client.get(f"/assessments/periods/{period_id}/results.xlsx")
    rows = list(load_workbook(io.BytesIO(workbook.data)).active.iter_rows(values_only=True))
    assert [r[3] for r in rows if r[0] == member.display_name] == [9.17]
