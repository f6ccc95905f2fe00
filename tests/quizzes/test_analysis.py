"""The exam report as a secretary uses it: who has not finished yet, pass rates by unit, item
statistics that say when the sample is too small, the Excel export; and the authoring and
marking pages around it."""

import io
import re
from decimal import Decimal
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from learnapp.quizzes import answers
from learnapp.quizzes import attempts as svc
from learnapp.quizzes.analysis import MIN_ITEM_SAMPLE, ItemStat, UnitPassRate, quiz_report
from learnapp.quizzes.audience import outstanding_members
from learnapp.quizzes.composition import RuleInput, add_rule
from learnapp.quizzes.models import AttemptQuestion, Composition, FinishedBy, QuizKind
from learnapp.web import LANG_COOKIE
from tests.factories import FIXED_NOW, make_user
from tests.quizzes.helpers import make_paper, make_quiz
from tests.quizzes.test_queries import _take


def _finish(session, quiz, member):
    attempt = svc.start_attempt(session, member, quiz, FIXED_NOW)
    return svc.finalize(session, attempt.id, FIXED_NOW, FinishedBy.MEMBER)


@pytest.mark.usefixtures("ctx")
class TestOutstanding:
    def test_members_in_reach_without_a_handed_in_attempt(self, session, world, exam):
        _finish(session, exam, world.member_a)  # waits for a marker: handed in all the same
        svc.start_attempt(session, world.member_b, exam, FIXED_NOW)  # still answering
        everyone = outstanding_members(session, world.admin, exam)
        assert {m.id for m in everyone.members} == {
            world.general_secretary.id,
            world.secretary_a.id,
            world.member_b.id,
        }
        assert everyone.count == 3 and not everyone.truncated
        assert everyone.in_progress == {world.member_b.id}
        # 甲支部's secretary sees 甲支部's subtree only.
        mine = outstanding_members(session, world.secretary_a, exam)
        assert {m.id for m in mine.members} == {world.general_secretary.id, world.secretary_a.id}
        first = outstanding_members(session, world.admin, exam, limit=1)
        assert (first.count, len(first.members), first.truncated) == (3, 1, True)

    def test_the_audience_is_its_units_and_categories(self, session, world):
        probationers = make_quiz(
            session,
            world.root,
            make_paper(session, types=("single",)),
            audience_units=[world.branch_a],
            audience_categories=["probationary"],
        )
        assert [m.id for m in outstanding_members(session, world.admin, probationers).members] == [
            world.member_a.id
        ]
        world.member_a.is_active = False
        session.flush()
        assert outstanding_members(session, world.admin, probationers).count == 0


@pytest.mark.usefixtures("ctx")
class TestItemStatistics:
    def test_no_item_is_flagged_on_a_small_sample(self):
        hard = {"question_id": 1, "stem": "题", "facility": 0.05, "discrimination": 0.0}
        assert not ItemStat("1", answers=MIN_ITEM_SAMPLE - 1, **hard).is_weak
        assert not ItemStat("1", answers=MIN_ITEM_SAMPLE - 1, **hard).is_reliable
        assert ItemStat("1", answers=MIN_ITEM_SAMPLE, **hard).is_weak
        fine = dict(hard, facility=0.6, discrimination=0.45)
        assert not ItemStat("1", answers=MIN_ITEM_SAMPLE, **fine).is_weak

    def test_the_report_says_the_sample_is_small_and_gives_rates(self, session, world):
        quiz = make_quiz(session, world.root, make_paper(session, types=("single", "judge")))
        for right in (2, 2, 1, 0):
            _take(session, quiz, make_user(session, unit=world.branch_a), right, FIXED_NOW)
        report = quiz_report(session, world.admin, quiz)
        assert report.small_sample and not any(item.is_weak for item in report.items)
        assert report.by_unit == [UnitPassRate("甲支部", 4, 3, 4)]
        assert report.by_unit[0].rate == 0.75
        assert UnitPassRate("乙支部", 0, 0, 0).rate is None


def _report(auth, quiz_id, lang="en") -> str:
    auth.client.set_cookie(LANG_COOKIE, lang)
    return auth.client.get(f"/quizzes/manage/{quiz_id}/report").get_data(as_text=True)


def test_the_report_page_lists_who_has_not_finished_and_unit_rates(app, session, auth, world):
    with app.test_request_context():
        quiz = make_quiz(session, world.root, make_paper(session, types=("single", "judge")))
        _take(session, quiz, world.member_a, 2, FIXED_NOW)
        _take(session, quiz, world.member_b, 0, FIXED_NOW)
    session.commit()
    auth.login("admin")
    page = _report(auth, quiz.id)
    assert re.search(r'data-testid="outstanding-count">2<', page)
    listed = re.findall(r'data-testid="outstanding-member">([^<]+)<', page)
    assert sorted(name.strip() for name in listed) == sorted(
        [world.general_secretary.display_name, world.secretary_a.display_name]
    )
    # Passed ÷ graded per unit, to one decimal.
    rates = re.findall(
        r"<td>([^<]+)</td><td>\d+</td><td>\d+</td><td data-testid=\"unit-pass-rate\">([^<]+)<", page
    )
    assert dict(rates) == {"甲第一党小组": "100.0%", "乙支部": "0.0%"}
    assert 'data-testid="small-sample"' in page and 'data-testid="weak-item"' not in page
    # At phone width the tables scroll rather than squeeze their headers a character a line.
    assert (
        '<div class="table-responsive"><table class="table table-sm" data-testid="item-stats">'
        in page
    )
    assert re.search(r'data-testid="item-stats">\s*<thead><tr class="text-nowrap">', page)
    auth.logout()
    auth.login("seca")  # 乙支部's member is beyond 甲支部's secretary
    page = _report(auth, quiz.id)
    assert world.member_b.display_name not in page


def test_daily_practice_has_nobody_outstanding(app, session, auth, world):
    with app.test_request_context():
        daily = make_quiz(
            session,
            world.root,
            make_paper(session, types=("single",)),
            publish=False,
            kind=QuizKind.DAILY,
            composition=Composition.RANDOM,
        )
    session.commit()
    auth.login("admin")
    assert 'data-testid="outstanding"' not in _report(auth, daily.id)


def test_the_export_reads_as_a_secretary_expects(app, session, auth, world):
    with app.test_request_context():
        quiz = make_quiz(
            session, world.root, make_paper(session, types=("single", "judge")), title="=党章测试"
        )
        _take(session, quiz, world.member_a, 2, FIXED_NOW)
        _take(session, quiz, world.member_b, 0, FIXED_NOW)
        _take(session, quiz, make_user(session, unit=world.branch_a), 1, FIXED_NOW)
    session.commit()
    auth.login("admin")
    response = auth.client.get(f"/quizzes/manage/{quiz.id}/report.xlsx")  # in Chinese
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert f'filename="quiz-{quiz.id}-report.xlsx"' in disposition
    assert f"filename*=UTF-8''{quote('=党章测试')}" in disposition
    book = load_workbook(io.BytesIO(response.data))
    overview, grades, attempts, items, missing = book.worksheets
    # One attempt each: the members' grades are their attempts' scores.
    assert [row[:2] for row in overview.iter_rows(min_row=2, max_row=7, values_only=True)] == [
        ("成绩计算方式", "取最高分"),
        ("作答记录", 3),
        ("已评分的作答", 3),
        ("已评分人数", 3),
        ("平均成绩", 0.5556),
        ("通过率", 0.6667),
    ]
    assert [row[3] for row in grades.iter_rows(min_row=3, values_only=True)] == [0, 0.6667, 1]
    # A title row: the quiz (formula-safe) and when, in the unit's time zone (UTC+8 here).
    assert attempts["A1"].value == "'=党章测试" and attempts["A1"].data_type == "s"
    assert "2026-03-10 10:00" in attempts["B1"].value and "Asia/Shanghai" in attempts["B1"].value
    rows = list(attempts.iter_rows(min_row=3, values_only=True))
    by_member = {row[0]: row for row in rows}
    assert by_member[world.member_a.display_name][7] == "是"
    assert by_member[world.member_b.display_name][7] == "否"
    item_rows = list(items.iter_rows(min_row=3, values_only=True))
    for _stem, count, facility, discrimination, flag in item_rows:
        assert count == 3
        assert facility == round(facility, 4)
        assert discrimination is None or discrimination == round(discrimination, 2)
        assert flag not in (True, False, "是", "否")  # three answers: too few to judge
    assert [row[2] for row in item_rows] == [0.6667, 0.3333]
    assert all(row[3] is not None for row in item_rows)
    assert {row[0] for row in missing.iter_rows(min_row=3, values_only=True)} == {
        world.general_secretary.display_name,
        world.secretary_a.display_name,
    }


def test_rules_show_type_names_and_a_taken_paper_shows_no_editing(app, session, auth, world):
    with app.test_request_context():
        paper = make_paper(session)
        drawn = make_quiz(
            session, world.branch_a, paper, publish=False, composition=Composition.RANDOM
        )
        add_rule(
            session,
            None,
            drawn,
            RuleInput(paper.bank, None, "judge", None, 1, Decimal("1")),
            FIXED_NOW,
        )
        fixed = make_quiz(session, world.branch_a, paper)
    session.commit()
    auth.login("seca")
    auth.client.set_cookie(LANG_COOKIE, "en")
    rules = auth.client.get(f"/quizzes/manage/{drawn.id}").get_data(as_text=True)
    table = rules[rules.index('data-testid="quiz-rules"') :]
    assert "True or false" in table and "<td>judge</td>" not in table
    assert 'data-testid="remove-rule"' in rules and 'data-testid="paper-locked"' not in rules
    open_paper = auth.client.get(f"/quizzes/manage/{fixed.id}").get_data(as_text=True)
    assert 'data-testid="remove-item"' in open_paper and "question-picker" in open_paper
    with app.test_request_context():
        _finish(session, fixed, world.member_a)
    session.commit()
    taken = auth.client.get(f"/quizzes/manage/{fixed.id}").get_data(as_text=True)
    assert 'data-testid="paper-locked"' in taken and "its paper is fixed now" in taken
    assert 'data-testid="remove-item"' not in taken and "question-picker" not in taken


def test_the_marker_reads_a_reference_of_several_points_as_a_list(app, session, auth, world):
    """An imported 简答 keeps one key point a line as its reference: a list, not one run-on
    paragraph, and not shown twice."""
    from learnapp.question_bank.draft import QuestionDraft
    from learnapp.question_bank.models import QuestionStatus
    from learnapp.question_bank.services import add_question

    with app.test_request_context():
        paper = make_paper(session, types=("single",))
        points = ["坚持政治建设统领", "坚持从严从实", "坚持分类指导"]
        short = add_question(
            session,
            None,
            paper.bank,
            QuestionDraft(
                type="short",
                stem="简述党员教育管理工作的原则。",
                spec={"reference": "\n".join(points), "key_points": points},
                knowledge_point=["党章"],
            ),
            FIXED_NOW,
            QuestionStatus.ACTIVE,
        )
        paper.questions = [short]
        quiz = make_quiz(session, world.root, paper)
        attempt = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
        answers.save_answer(
            session, attempt.id, 1, 0, {"text": "从严从实"}, FIXED_NOW, member_id=world.member_a.id
        )
        svc.finalize(session, attempt.id, FIXED_NOW, FinishedBy.MEMBER)
    session.commit()
    slot_id = session.scalar(
        sa.select(AttemptQuestion.id).where(AttemptQuestion.question_id == short.id)
    )
    auth.login("admin")
    page = auth.client.get(f"/quizzes/marking/{slot_id}").get_data(as_text=True)
    assert (
        re.findall(r"<li>([^<]+)</li>", page[page.index('data-testid="reference-lines"') :])[:3]
        == points
    )
    assert 'data-testid="key-points"' not in page  # the same points: shown once
    assert " ".join(points) not in page
