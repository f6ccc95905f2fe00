"""Bank screens: each role, scope, the authoring forms, review, preview and bulk actions."""

import re
from decimal import Decimal
from urllib.parse import parse_qs

import pytest

from learnapp.orgs.models import Role
from learnapp.question_bank.models import Question, QuestionStatus
from learnapp.web import LANG_COOKIE
from tests.conftest import reload
from tests.factories import make_unit, make_user
from tests.question_bank.factories import make_bank, make_question
from tests.world import build_world


@pytest.fixture(autouse=True)
def english(client):
    """Assertions read the English messages; Chinese is the default catalogue."""
    client.set_cookie(LANG_COOKIE, "en")


@pytest.fixture
def bank_world(session):
    world = build_world(session)
    editor = make_user(session, username="editor", roles=((Role.BANK_EDITOR, world.root),))
    reviewer = make_user(session, username="reviewer", roles=((Role.REVIEWER, world.root),))
    branch_editor = make_user(
        session, username="beditor", roles=((Role.BANK_EDITOR, world.branch_b),)
    )
    bank = make_bank(session, unit=world.root)
    question = make_question(session, bank, editor, status=QuestionStatus.IN_REVIEW)
    session.commit()
    return {
        "world": world,
        "editor": editor,
        "reviewer": reviewer,
        "branch_editor": branch_editor,
        "bank": bank,
        "question": question,
    }


@pytest.mark.parametrize(
    ("username", "list_status", "new_status", "review_status"),
    [
        ("admin", 200, 200, 200),
        ("editor", 200, 200, 403),
        ("reviewer", 200, 403, 200),
        ("mema", 403, 403, 403),
        ("seca", 403, 403, 403),
    ],
)
def test_each_role_reaches_what_it_should(
    client, auth, bank_world, username, list_status, new_status, review_status
):
    bank = bank_world["bank"]
    auth.login(username)
    assert client.get(f"/bank/{bank.id}/").status_code == list_status
    assert client.get(f"/bank/{bank.id}/questions/new/single").status_code == new_status
    assert client.get(f"/bank/{bank.id}/review").status_code == review_status


def test_nav_shows_the_bank_to_bank_roles_only(client, auth, bank_world):
    auth.login("editor")
    assert 'data-nav="question-bank"' in client.get("/").get_data(as_text=True)
    auth.logout()
    auth.login("seca")
    assert 'data-nav="question-bank"' not in client.get("/").get_data(as_text=True)


def test_editor_outside_the_banks_unit_gets_404(client, auth, bank_world):
    auth.login("beditor")
    assert client.get(f"/bank/{bank_world['bank'].id}/").status_code == 404
    assert client.get(f"/bank/questions/{bank_world['question'].id}").status_code == 404
    assert client.get("/bank/").status_code == 200


def test_a_single_bank_in_scope_opens_directly(client, auth, bank_world):
    auth.login("editor")
    response = client.get("/bank/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/bank/{bank_world['bank'].id}/")


def _single_form(**overrides):
    data = {
        "stem": "党的根本组织原则是什么？",
        "options-0": "民主集中制",
        "options-1": "集体领导",
        "options-2": "个人分工负责",
        "answer": "A",
        "points": "2",
        "difficulty": "3",
        "knowledge_point": "党章 › 第二章 党的组织制度",
        "tags": "组织制度，重点",
        "source_document": "《中国共产党章程》第十条",
        "source_version": "2022-10-22",
        "explanation": "党是根据自己的纲领和章程，按照民主集中制组织起来的统一整体。",
        "audience": "all",
    }
    data.update(overrides)
    return data


def _opened_at(client, path: str) -> str:
    """The revision a page's form or approve button carries (as a browser would post it)."""
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="revision" (?:type="hidden" )?value="(\d+)"', html).group(1)


def test_editor_creates_a_single_choice_question(client, auth, session, bank_world):
    bank = bank_world["bank"]
    auth.login("editor")
    response = auth.post(f"/bank/{bank.id}/questions/new/single", _single_form())
    assert response.status_code == 302
    question = session.query(Question).filter_by(stem="党的根本组织原则是什么？").one()
    assert question.current_version.spec == {
        "options": ["民主集中制", "集体领导", "个人分工负责"],
        "answer": 0,
    }
    assert question.current_version.points == Decimal("2.00")
    assert question.knowledge_point.full_name == "党章 › 第二章 党的组织制度"
    assert sorted(t.name for t in question.tags) == ["组织制度", "重点"]
    assert question.author_id == bank_world["editor"].id


def test_gaps_between_options_keep_the_right_answer(client, auth, session, bank_world):
    auth.login("editor")
    form = _single_form(**{"options-1": "", "options-3": "第四项", "answer": "D"})
    assert auth.post(f"/bank/{bank_world['bank'].id}/questions/new/single", form).status_code == 302
    question = session.query(Question).filter_by(stem="党的根本组织原则是什么？").one()
    assert question.current_version.spec["answer"] == 2


def test_answer_on_an_empty_option_is_refused(client, auth, session, bank_world):
    auth.login("editor")
    response = auth.post(
        f"/bank/{bank_world['bank'].id}/questions/new/single", _single_form(answer="F")
    )
    assert response.status_code == 400
    assert "The answer must be one of the options." in response.get_data(as_text=True)
    assert session.query(Question).filter_by(stem="党的根本组织原则是什么？").count() == 0


def test_every_type_can_be_authored(client, auth, session, bank_world):
    bank = bank_world["bank"]
    auth.login("editor")
    base = {k: v for k, v in _single_form().items() if not k.startswith(("options", "answer"))}
    cases = {
        "multiple": {
            "options-0": "甲",
            "options-1": "乙",
            "options-2": "丙",
            "answers": ["A", "C"],
            "partial_credit": "50",
        },
        "judge": {"answer": "false"},
        "fill": {
            "stem": "题fill：党的根本组织原则是____。",
            "blanks-0": "民主集中制｜民主集中",
            "any_order": "y",
        },
        "short": {"reference": "民主集中制", "key_points": "民主\n集中"},
    }
    for code, fields in cases.items():
        response = auth.post(
            f"/bank/{bank.id}/questions/new/{code}", {**base, "stem": f"题{code}", **fields}
        )
        assert response.status_code == 302, code
    specs = {
        q.type: q.current_version.spec
        for q in session.query(Question).filter(Question.stem.like("题%"))
    }
    assert specs["multiple"] == {
        "options": ["甲", "乙", "丙"],
        "answers": [0, 2],
        "partial_credit": 0.5,
    }
    assert specs["judge"] == {"answer": False}
    assert specs["fill"] == {"blanks": [["民主集中制", "民主集中"]], "any_order": True}
    assert specs["short"] == {"reference": "民主集中制", "key_points": ["民主", "集中"]}


@pytest.mark.parametrize(
    ("code", "points"),
    [
        ("single", "1.00"),
        ("multiple", "2.00"),
        ("judge", "1.00"),
        ("fill", "2.00"),
        ("short", "5.00"),
    ],
)
def test_a_new_question_starts_with_the_points_the_import_template_gives_its_type(
    client, auth, bank_world, code, points
):
    auth.login("editor")
    html = client.get(f"/bank/{bank_world['bank'].id}/questions/new/{code}").get_data(as_text=True)
    assert re.search(rf'name="points"[^>]*value="{re.escape(points)}"', html)


def test_the_question_forms_default_points_are_the_imports(app):
    from learnapp.question_bank.formats.common import DEFAULT_POINTS
    from learnapp.question_bank.types import TYPES

    with app.test_request_context():
        defaults = {code: qtype.form_class().points.data for code, qtype in TYPES.items()}
    assert defaults == {code: Decimal(value) for code, value in DEFAULT_POINTS.items()}


def test_an_edit_form_keeps_the_questions_own_points(client, auth, session, bank_world):
    question = make_question(session, bank_world["bank"], bank_world["editor"], points=Decimal("7"))
    session.commit()
    auth.login("editor")
    html = client.get(f"/bank/questions/{question.id}/edit").get_data(as_text=True)
    assert re.search(r'name="points"[^>]*value="7.00"', html)


def test_multiple_with_one_right_answer_is_refused(client, auth, bank_world):
    auth.login("editor")
    form = {**_single_form(), "answers": ["A"]}
    form.pop("answer")
    response = auth.post(f"/bank/{bank_world['bank'].id}/questions/new/multiple", form)
    assert response.status_code == 400
    assert "at least two right answers" in response.get_data(as_text=True)


def test_unknown_type_is_404(client, auth, bank_world):
    auth.login("editor")
    assert client.get(f"/bank/{bank_world['bank'].id}/questions/new/essay").status_code == 404


def test_edit_form_is_prefilled_and_saves(client, auth, session, bank_world):
    question = bank_world["question"]
    auth.login("editor")
    page = client.get(f"/bank/questions/{question.id}/edit").get_data(as_text=True)
    assert "党的最高领导机关是什么？" in page and 'id="answer-A" checked' in page
    revision = _opened_at(client, f"/bank/questions/{question.id}/edit")
    response = auth.post(
        f"/bank/questions/{question.id}/edit", _single_form(stem="新题干", revision=revision)
    )
    assert response.status_code == 302
    session.refresh(question)
    assert question.stem == "新题干"


def test_reviewer_approves_and_rejects(client, auth, session, bank_world):
    question = bank_world["question"]
    auth.login("reviewer")
    revision = _opened_at(client, f"/bank/questions/{question.id}")
    assert (
        auth.post(f"/bank/questions/{question.id}/approve", {"revision": revision}).status_code
        == 302
    )
    session.refresh(question)
    assert question.status == QuestionStatus.ACTIVE
    second = make_question(
        session,
        bank_world["bank"],
        bank_world["editor"],
        stem="二",
        status=QuestionStatus.IN_REVIEW,
    )
    session.commit()
    auth.post(f"/bank/questions/{second.id}/reject", {"reason": "出处条款有误"})
    session.refresh(second)
    assert second.status == QuestionStatus.DRAFT and second.status_reason == "出处条款有误"


def test_approving_from_the_queue_returns_to_the_queue(client, auth, session, bank_world):
    bank, question = bank_world["bank"], bank_world["question"]
    second = make_question(
        session, bank, bank_world["editor"], stem="第二题", status=QuestionStatus.IN_REVIEW
    )
    session.commit()
    auth.login("reviewer")
    queue = client.get(f"/bank/{bank.id}/review").get_data(as_text=True)
    approve = queue[queue.index(f"/bank/questions/{question.id}/approve") :]
    approve = approve[: approve.index("</form>")]
    assert '<input type="hidden" name="back" value="queue">' in approve
    revision = re.search(r'name="revision" value="(\d+)"', approve).group(1)
    response = auth.post(
        f"/bank/questions/{question.id}/approve", {"revision": revision, "back": "queue"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/bank/{bank.id}/review")
    # From the question's own page the reviewer stays on the question.
    response = auth.post(f"/bank/questions/{second.id}/approve", {"revision": str(second.revision)})
    assert response.headers["Location"].endswith(f"/bank/questions/{second.id}")
    session.expire_all()
    assert session.get(Question, question.id).status == QuestionStatus.ACTIVE
    assert session.get(Question, second.id).status == QuestionStatus.ACTIVE


def test_a_refused_approval_from_the_queue_returns_to_the_queue_with_the_reason(
    client, auth, session, bank_world
):
    bank, question = bank_world["bank"], bank_world["question"]
    auth.login("reviewer")
    response = auth.post(
        f"/bank/questions/{question.id}/approve", {"revision": "0", "back": "queue"}
    )
    assert response.headers["Location"].endswith(f"/bank/{bank.id}/review")
    page = client.get(f"/bank/{bank.id}/review").get_data(as_text=True)
    assert "changed after you opened it" in page
    session.expire_all()
    assert session.get(Question, question.id).status == QuestionStatus.IN_REVIEW


@pytest.mark.parametrize("username", ["editor", "mema"])
def test_only_reviewers_approve_from_the_queue(client, auth, session, bank_world, username):
    question = bank_world["question"]
    auth.login(username)
    response = auth.post(
        f"/bank/questions/{question.id}/approve",
        {"revision": str(question.revision), "back": "queue"},
    )
    assert response.status_code == 403
    session.expire_all()
    assert session.get(Question, question.id).status == QuestionStatus.IN_REVIEW


def test_an_edit_awaiting_review_names_no_reviewer_but_its_first_version_does(
    client, auth, session, bank_world
):
    question = bank_world["question"]
    reviewer = bank_world["reviewer"].display_name
    auth.login("reviewer")
    auth.post(f"/bank/questions/{question.id}/approve", {"revision": str(question.revision)})
    html = client.get(f"/bank/questions/{question.id}").get_data(as_text=True)
    assert f'data-testid="reviewer">{reviewer}<' in html
    auth.logout()
    auth.login("editor")
    path = f"/bank/questions/{question.id}/edit"
    auth.post(path, _single_form(stem="第二版题干", revision=_opened_at(client, path)))
    for username in ("editor", "reviewer"):
        auth.logout()
        auth.login(username)
        current = client.get(f"/bank/questions/{question.id}").get_data(as_text=True)
        assert "第二版题干" in current and 'data-testid="reviewer">—<' in current
        first = client.get(f"/bank/questions/{question.id}?version=1").get_data(as_text=True)
        assert f'data-testid="reviewer">{reviewer}<' in first
    auth.logout()
    auth.login("mema")
    assert client.get(f"/bank/questions/{question.id}").status_code == 403


def test_editor_cannot_approve(client, auth, bank_world):
    auth.login("editor")
    assert auth.post(f"/bank/questions/{bank_world['question'].id}/approve").status_code == 403


def test_two_person_review_message_when_author_approves(client, auth, session, bank_world):
    world = bank_world["world"]
    question = make_question(
        session,
        bank_world["bank"],
        world.admin,
        stem="管理员出的题",
        status=QuestionStatus.IN_REVIEW,
    )
    session.commit()
    auth.login("admin")
    response = auth.post(
        f"/bank/questions/{question.id}/approve",
        {"revision": str(question.revision)},
        follow_redirects=True,
    )
    assert "cannot approve your own question" in response.get_data(as_text=True)
    session.refresh(question)
    assert question.status == QuestionStatus.IN_REVIEW


def test_post_without_csrf_is_refused(client, auth, bank_world):
    auth.login("reviewer")
    assert client.post(f"/bank/questions/{bank_world['question'].id}/approve").status_code == 400


def _option_values(html: str) -> list[str]:
    return re.findall(r'name="q\d+" id="q\d+-\d" value="([^"]+)"', html)


def test_preview_renders_the_widget_without_the_key(client, auth, bank_world):
    question = bank_world["question"]
    auth.login("reviewer")
    html = client.get(f"/bank/questions/{question.id}/preview").get_data(as_text=True)
    widget = html.split('data-testid="member-preview"')[1].split("</form>")[0]
    assert "民主" not in widget and "党的全国代表大会和它所产生的中央委员会" in widget
    assert "right" not in widget and "answer-key" not in html
    values = _option_values(html)
    assert len(values) == 3 and not set(values) & {"0", "1", "2", "A", "B", "C"}
    keyed = client.get(f"/bank/questions/{question.id}/preview?key=1").get_data(as_text=True)
    assert 'data-testid="answer-key"' in keyed and "option-right" in keyed


WIDGET_SPECS = {
    "single": {"options": ["甲", "乙", "丙"], "answer": 1},
    "multiple": {"options": ["甲", "乙", "丙"], "answers": [0, 2]},
    "judge": {"answer": True},
    "fill": {"blanks": [["一"], ["二"]], "any_order": False},
    "short": {"reference": "要点", "key_points": []},
}


def _markup(html) -> str:
    """Markup with insignificant whitespace removed (a macro leaves spaces where `checked` is not)."""
    return re.sub(r"\s+", " ", re.sub(r"\s+>", ">", str(html))).replace("> <", "><").strip()


@pytest.mark.parametrize("code", list(WIDGET_SPECS))
def test_preview_widget_is_the_one_members_answer(app, code):
    """The bank's answer widget renders exactly what the quiz-taking screen shows for an
    unanswered question (quizzes/_widgets.html), so the preview is what a member sees."""
    from types import SimpleNamespace

    from flask import render_template

    from learnapp.question_bank.types import TYPES

    qtype = TYPES[code]
    widget = qtype.widget_question(
        "题干 <b>", WIDGET_SPECS[code], field="q1", option_values=["v1", "v2", "v3"]
    )
    with app.test_request_context():
        taking = app.jinja_env.get_template("quizzes/_widgets.html").module.widget
        member = taking(SimpleNamespace(widget=widget, state={}))
        preview = render_template(qtype.widget_template, question=widget)
    assert "题干 &lt;b&gt;" in preview
    assert _markup(preview) == _markup(member)


def test_preview_shows_the_taking_screens_frame_and_points(client, auth, bank_world):
    auth.login("reviewer")
    html = client.get(f"/bank/questions/{bank_world['question'].id}/preview").get_data(as_text=True)
    frame = html.split('data-testid="member-preview"')[0].rsplit("<section", 1)[1]
    assert 'class="card mb-3 quiz-slot"' in frame
    assert "Question 1 of 1 · 2 points" in html


@pytest.mark.parametrize(("points", "label"), [("1", "1 point"), ("1.5", "1.5 points")])
def test_the_preview_says_point_for_exactly_one(client, auth, session, bank_world, points, label):
    question = make_question(
        session, bank_world["bank"], bank_world["editor"], stem="一分题", points=Decimal(points)
    )
    session.commit()
    for username in ("editor", "reviewer"):
        auth.login(username)
        html = client.get(f"/bank/questions/{question.id}/preview").get_data(as_text=True)
        assert f"Question 1 of 1 · {label}<" in html
        auth.logout()
    auth.login("mema")
    assert client.get(f"/bank/questions/{question.id}/preview").status_code == 403


def test_bulk_actions_from_the_list(client, auth, session, bank_world):
    bank = bank_world["bank"]
    draft = make_question(session, bank, bank_world["editor"], stem="草稿")
    session.commit()
    auth.login("editor")
    ids = [str(draft.id), str(bank_world["question"].id)]
    response = auth.post(
        f"/bank/{bank.id}/bulk", {"action": "submit", "ids": ids}, follow_redirects=True
    )
    assert "1 sent to review, 1 skipped" in response.get_data(as_text=True)
    auth.post(f"/bank/{bank.id}/bulk", {"action": "tag", "target": "第一批", "ids": ids})
    auth.post(f"/bank/{bank.id}/bulk", {"action": "move", "target": "党史 > 党的创立", "ids": ids})
    session.expire_all()
    assert [t.name for t in session.get(Question, draft.id).tags] == ["第一批", "组织"]
    assert session.get(Question, draft.id).knowledge_point.full_name == "党史 › 党的创立"


def test_bulk_ignores_ids_of_another_bank(client, auth, session, bank_world):
    other_unit = make_unit(session, name="别的党委")
    other = make_bank(session, unit=other_unit, name="别的题库")
    foreign = make_question(session, other, bank_world["editor"], stem="别处的题")
    session.commit()
    auth.login("editor")
    response = auth.post(
        f"/bank/{bank_world['bank'].id}/bulk",
        {"action": "retire", "ids": [str(foreign.id)]},
        follow_redirects=True,
    )
    assert "Tick at least one question" in response.get_data(as_text=True)
    session.refresh(foreign)
    assert foreign.status == QuestionStatus.DRAFT


def test_bulk_is_refused_to_reviewers(client, auth, bank_world):
    auth.login("reviewer")
    response = auth.post(f"/bank/{bank_world['bank'].id}/bulk", {"action": "retire", "ids": ["1"]})
    assert response.status_code == 403


def test_list_filters_and_searches_chinese(client, auth, session, bank_world):
    bank = bank_world["bank"]
    make_question(
        session,
        bank,
        bank_world["editor"],
        stem="中国共产党的最高理想和最终目标是实现共产主义",
        difficulty=4,
    )
    session.commit()
    auth.login("editor")
    html = client.get(f"/bank/{bank.id}/?q=最终目标").get_data(as_text=True)
    assert "最高理想" in html and "党的最高领导机关" not in html
    html = client.get(f"/bank/{bank.id}/?difficulty=4&type=single").get_data(as_text=True)
    assert "最高理想" in html and "党的最高领导机关" not in html
    assert client.get(f"/bank/{bank.id}/?difficulty=abc").status_code == 400


def test_a_long_list_links_the_first_last_and_nearby_pages(
    client, auth, session, bank_world, monkeypatch
):
    from learnapp.question_bank.queries import questions as question_list

    monkeypatch.setattr(question_list, "PAGE_SIZE", 1)
    for number in range(11):
        make_question(session, bank_world["bank"], bank_world["editor"], stem=f"第{number}题")
    session.commit()
    auth.login("editor")
    html = client.get(f"/bank/{bank_world['bank'].id}/?page=6").get_data(as_text=True)
    nav = html[html.index('<ul class="pagination') : html.index("</ul>", html.index("pagination"))]
    assert re.findall(r'class="page-link"[^>]*>([^<]+)<', nav) == [
        "1",
        "…",
        "4",
        "5",
        "6",
        "7",
        "8",
        "…",
        "12",
    ]
    assert '<li class="page-item active"><a class="page-link" href="/bank/' in nav
    assert "page=6" in nav.split("page-item active")[1].split("</li>")[0]


@pytest.mark.parametrize(
    "query", ["%", "_", "\\", "'", "' OR 1=1 --", "x" * 5000, "<script>alert(1)</script>"]
)
def test_tricky_searches_are_answered_safely(client, auth, bank_world, query):
    auth.login("editor")
    response = client.get(f"/bank/{bank_world['bank'].id}/", query_string={"q": query})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "No questions match." in html


def test_superseding_a_source_from_the_screen(client, auth, session, bank_world):
    question = make_question(
        session,
        bank_world["bank"],
        bank_world["editor"],
        stem="已启用",
        status=QuestionStatus.ACTIVE,
    )
    session.commit()
    source_id = question.current_version.source_id
    auth.login("editor")
    assert "《中国共产党章程》" in client.get("/bank/sources").get_data(as_text=True)
    response = auth.post(f"/bank/sources/{source_id}/supersede", follow_redirects=True)
    assert "2 questions flagged" in response.get_data(as_text=True)
    session.refresh(question)
    assert question.status == QuestionStatus.IN_REVIEW


def test_source_counts_cover_only_the_banks_in_reach(client, auth, session, bank_world):
    world = bank_world["world"]
    branch_bank = make_bank(session, unit=world.branch_b, name="支部题库")
    for stem in ("支部一", "支部二"):
        make_question(session, branch_bank, bank_world["branch_editor"], stem=stem)
    session.commit()

    def count(login):
        auth.login(login)
        html = client.get("/bank/sources").get_data(as_text=True)
        auth.logout()
        row = html.split("《中国共产党章程》</td>")[1].split("</tr>")[0]
        return int(re.findall(r'<td class="text-end">(\d+)</td>', row)[0])

    # The root bank (and its question) is out of the branch editor's reach.
    assert count("beditor") == 2
    assert count("admin") == 3


def test_detail_shows_versions_and_old_versions_stay_readable(client, auth, session, bank_world):
    from learnapp.question_bank.services import mark_used

    question = bank_world["question"]
    mark_used(session, [question.current_version_id], question.created_at)
    session.commit()
    auth.login("editor")
    revision = _opened_at(client, f"/bank/questions/{question.id}/edit")
    auth.post(
        f"/bank/questions/{question.id}/edit", _single_form(stem="第二版题干", revision=revision)
    )
    html = client.get(f"/bank/questions/{question.id}").get_data(as_text=True)
    assert "第二版题干" in html and "Version 2" in html and "Version 1" in html
    old = client.get(f"/bank/questions/{question.id}?version=1").get_data(as_text=True)
    assert "党的最高领导机关是什么？" in old and "earlier version" in old


def test_admin_creates_a_bank_and_switches_the_review_rule(client, auth, session, bank_world):
    from learnapp.question_bank.models import QuestionBank

    world = bank_world["world"]
    auth.login("admin")
    response = auth.post(
        "/bank/new",
        {"name": "支部题库", "unit_id": str(world.branch_a.id), "two_person_review": "y"},
    )
    assert response.status_code == 302
    bank = session.query(QuestionBank).filter_by(name="支部题库").one()
    auth.post(f"/bank/{bank.id}/settings", {})
    session.rollback()  # end the read snapshot taken before the request committed
    session.refresh(bank)
    assert bank.two_person_review is False


def test_knowledge_points_screen_renames_and_removes(client, auth, session, bank_world):
    bank = bank_world["bank"]
    stray = make_question(
        session, bank, bank_world["editor"], stem="错放", knowledge_point=["党张"]
    )
    session.commit()
    typo_id = stray.knowledge_point_id
    auth.login("reviewer")
    html = client.get(f"/bank/{bank.id}/knowledge-points").get_data(as_text=True)
    assert "第三章 党的中央组织" in html and "党张" in html
    assert "kp-rename" not in html  # reviewers read the tree only
    auth.logout()

    auth.login("editor")
    html = client.get(f"/bank/{bank.id}/knowledge-points").get_data(as_text=True)
    assert html.count('data-testid="kp-delete"') == 0  # every node holds a question
    auth.post(f"/bank/{bank.id}/bulk", {"action": "move", "target": "党章", "ids": [str(stray.id)]})
    html = client.get(f"/bank/{bank.id}/knowledge-points").get_data(as_text=True)
    assert html.count('data-testid="kp-delete"') == 1
    response = auth.post(f"/bank/knowledge-points/{typo_id}/delete", {}, follow_redirects=True)
    assert "党张 removed." in response.get_data(as_text=True)

    chapter = bank_world["question"].knowledge_point
    response = auth.post(
        f"/bank/knowledge-points/{chapter.id}/rename",
        {"name": "第三章 党的中央组织（2022）"},
        follow_redirects=True,
    )
    assert "is now 党章 › 第三章 党的中央组织（2022）" in response.get_data(as_text=True)
    response = auth.post(
        f"/bank/knowledge-points/{chapter.id}/rename", {"name": ""}, follow_redirects=True
    )
    assert "Enter a name without" in response.get_data(as_text=True)
    parent = chapter.parent_id
    response = auth.post(f"/bank/knowledge-points/{parent}/delete", {}, follow_redirects=True)
    assert "Remove or rename the knowledge points under it first." in response.get_data(
        as_text=True
    )
    session.expire_all()
    assert session.get(Question, bank_world["question"].id).knowledge_point.full_name == (
        "党章 › 第三章 党的中央组织（2022）"
    )


def _fill_form(**overrides):
    data = {
        "stem": "党的最高领导机关，是党的____和它所产生的____。",
        "blanks-0": "全国代表大会",
        "blanks-1": "中央委员会",
        "points": "2",
        "difficulty": "2",
        "audience": "all",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"stem": "党的最高领导机关是什么？"}, "Mark each blank in the stem with ____"),
        ({"blanks-1": ""}, "has 2 blanks (____) but answers are given for only 1:"),
        (
            {"stem": "党的最高领导机关，是党的____。", "blanks-1": "中央委员会"},
            "has only 1 blank (____) but answers are given for 2: remove the extra answers",
        ),
    ],
)
def test_fill_blanks_must_match_the_answers(client, auth, session, bank_world, overrides, message):
    auth.login("editor")
    response = auth.post(
        f"/bank/{bank_world['bank'].id}/questions/new/fill", _fill_form(**overrides)
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    # On the question-text field, not as a stray alert.
    stem_field = html[html.index('name="stem"') : html.index("data-blanks-editor")]
    assert message in stem_field and "invalid-feedback" in stem_field
    assert session.query(Question).filter_by(type="fill").count() == 0


def test_fill_with_matching_blanks_is_saved_and_its_edit_checked(client, auth, session, bank_world):
    auth.login("editor")
    response = auth.post(f"/bank/{bank_world['bank'].id}/questions/new/fill", _fill_form())
    assert response.status_code == 302
    question = session.query(Question).filter_by(type="fill").one()
    revision = _opened_at(client, f"/bank/questions/{question.id}/edit")
    response = auth.post(
        f"/bank/questions/{question.id}/edit",
        _fill_form(stem="党的最高领导机关是党的____。", revision=revision),
    )
    assert response.status_code == 400
    assert "answers are given for 2" in response.get_data(as_text=True)
    session.refresh(question)
    assert question.stem.count("____") == 2


def _bad_fill(session, bank, author, status):
    """A 填空 question stored before the rule (as the old form let through)."""
    question = make_question(session, bank, author, stem="二空一答____、____", status=status)
    question.type = "fill"
    question.current_version.spec = {"blanks": [["甲"]], "any_order": False}
    question.current_version.stem = "二空一答____、____"
    session.flush()
    return question


def test_incomplete_fill_cannot_be_submitted_or_approved(client, auth, session, bank_world):
    bank = bank_world["bank"]
    draft = _bad_fill(session, bank, bank_world["editor"], QuestionStatus.DRAFT)
    waiting = _bad_fill(session, bank, bank_world["editor"], QuestionStatus.IN_REVIEW)
    session.commit()
    auth.login("editor")
    response = auth.post(f"/bank/questions/{draft.id}/submit", follow_redirects=True)
    assert "Edit the question first" in response.get_data(as_text=True)
    response = auth.post(
        f"/bank/{bank.id}/bulk", {"action": "submit", "ids": [str(draft.id)]}, follow_redirects=True
    )
    assert "0 sent to review, 1 skipped" in response.get_data(as_text=True)
    auth.logout()
    auth.login("reviewer")
    response = auth.post(
        f"/bank/questions/{waiting.id}/approve",
        {"revision": str(waiting.revision)},
        follow_redirects=True,
    )
    assert "has 2 blanks (____) but answers are given for only 1" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Question, draft.id).status == QuestionStatus.DRAFT
    assert session.get(Question, waiting.id).status == QuestionStatus.IN_REVIEW


def test_partial_credit_is_typed_as_a_percentage(client, auth, session, bank_world):
    auth.login("editor")
    form = _single_form(
        **{"options-3": "第四项", "answer": "", "answers": ["A", "B"], "partial_credit": "40"}
    )
    response = auth.post(f"/bank/{bank_world['bank'].id}/questions/new/multiple", form)
    assert response.status_code == 302
    question = session.query(Question).filter_by(type="multiple").one()
    assert question.current_version.spec["partial_credit"] == 0.4
    page = auth.client.get(f"/bank/questions/{question.id}/edit").get_data(as_text=True)
    assert re.search(r'name="partial_credit"[^>]*value="40"', page)
    form["partial_credit"] = "140"
    response = auth.post(f"/bank/{bank_world['bank'].id}/questions/new/multiple", form)
    assert response.status_code == 400
    assert "Enter a percentage from 0 to 100." in response.get_data(as_text=True)


def test_question_form_offers_the_banks_knowledge_points(client, auth, bank_world):
    auth.login("editor")
    question = bank_world["question"]
    html = auth.client.get(f"/bank/questions/{question.id}/edit").get_data(as_text=True)
    assert 'list="kp-list"' in html
    datalist = html[html.index('<datalist id="kp-list"') :]
    datalist = datalist[: datalist.index("</datalist>")]
    assert '<option value="党章">' in datalist
    assert '<option value="党章 / 第三章 党的中央组织">' in datalist
    # The edit form shows the path with /, the separator the help and the list page name.
    assert re.search(r'name="knowledge_point"[^>]*value="党章 / 第三章 党的中央组织"', html)
    assert "such as 党章/第一章 党员" in html


def test_reviewer_sends_back_from_the_queue_and_the_author_is_told(
    client, auth, session, bank_world
):
    from learnapp.notifications.models import Notification

    bank, question = bank_world["bank"], bank_world["question"]
    auth.login("reviewer")
    queue = auth.client.get(f"/bank/{bank.id}/review").get_data(as_text=True)
    assert 'data-testid="queue-reject"' in queue
    response = auth.post(
        f"/bank/questions/{question.id}/reject", {"reason": "出处条款有误", "back": "queue"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/bank/{bank.id}/review")
    session.expire_all()
    assert session.get(Question, question.id).status == QuestionStatus.DRAFT
    notice = session.query(Notification).filter_by(user_id=bank_world["editor"].id).one()
    assert notice.kind == "question_rejected"
    assert notice.params["reason"] == "出处条款有误"
    assert notice.link == f"/bank/questions/{question.id}"
    assert session.query(Notification).filter_by(user_id=bank_world["reviewer"].id).count() == 0


def test_reviewers_find_the_review_queue_from_the_menu_and_home(client, auth, bank_world):
    bank = bank_world["bank"]
    auth.login("reviewer")
    home = auth.client.get("/").get_data(as_text=True)
    assert 'data-testid="inbox-bank-review"' in home
    assert f"/bank/{bank.id}/review" in home
    assert 'data-nav="inbox"' in home
    inbox = auth.client.get("/inbox").get_data(as_text=True)
    assert "Questions waiting for review in 测试题库" in inbox
    auth.logout()
    # The author cannot approve their own question (two-person review): nothing to do.
    auth.login("editor")
    assert 'data-testid="inbox-bank-review"' not in auth.client.get("/").get_data(as_text=True)


def test_search_words_must_all_match_anywhere(client, auth, session, bank_world):
    bank = bank_world["bank"]
    make_question(session, bank, bank_world["editor"], stem="遵义会议是长征途中召开的")
    make_question(session, bank, bank_world["editor"], stem="遵义会议确立了正确路线")
    make_question(session, bank, bank_world["editor"], stem="红军长征胜利结束")
    session.commit()
    auth.login("editor")
    html = client.get(f"/bank/{bank.id}/?q=遵义会议 长征").get_data(as_text=True)
    assert "长征途中召开" in html
    assert "正确路线" not in html and "胜利结束" not in html
    # Full-width spaces separate words too, and order does not matter.
    html = client.get(f"/bank/{bank.id}/?q=长征\u3000遵义").get_data(as_text=True)
    assert "长征途中召开" in html and "正确路线" not in html
    # A word may match the knowledge point or a tag instead of the stem.
    html = client.get(f"/bank/{bank.id}/?q=遵义 组织").get_data(as_text=True)
    assert "长征途中召开" in html and "正确路线" in html and "胜利结束" not in html


def test_new_bank_form_asks_for_the_bank_name(client, auth, bank_world):
    auth.login("admin")
    html = auth.client.get("/bank/new").get_data(as_text=True)
    assert re.search(r'<label[^>]*for="name"[^>]*>Bank name</label>', html)


def test_the_fill_editor_offers_every_answer_box(client, auth, bank_world):
    """All MAX_BLANKS boxes are on the page (the script shows those in use and adds more), so a
    stem with five blanks can be saved, with or without the script."""
    auth.login("editor")
    html = client.get(f"/bank/{bank_world['bank'].id}/questions/new/fill").get_data(as_text=True)
    assert html.count("data-blank-row") == 10
    assert 'name="blanks-9"' in html and "data-add-option" in html


def test_a_fill_question_with_five_blanks_is_saved(client, auth, session, bank_world):
    auth.login("editor")
    answers = {f"blanks-{n}": f"答{n}" for n in range(5)}
    form = _fill_form(stem="五个空：____、____、____、____、____。", **answers)
    response = auth.post(f"/bank/{bank_world['bank'].id}/questions/new/fill", form)
    assert response.status_code == 302
    question = session.query(Question).filter_by(type="fill").one()
    assert question.current_version.spec["blanks"] == [[f"答{n}"] for n in range(5)]
    page = client.get(f"/bank/questions/{question.id}/edit").get_data(as_text=True)
    assert re.search(r'name="blanks-4"[^>]*value="答4"', page)


@pytest.mark.parametrize("target", ["批量标签,另一个", "批量标签，另一个", " 批量标签 ， 另一个 ,"])
def test_bulk_tag_splits_on_commas_like_the_tag_field(client, auth, session, bank_world, target):
    bank, question = bank_world["bank"], bank_world["question"]
    auth.login("editor")
    auth.post(f"/bank/{bank.id}/bulk", {"action": "tag", "target": target, "ids": [question.id]})
    reload(session)
    assert sorted(t.name for t in session.get(Question, question.id).tags) == [
        "另一个",
        "批量标签",
        "组织",
    ]


@pytest.mark.parametrize(
    "query",
    [
        {"status": "draft"},
        {"status": "in_review", "type": "single", "q": "党的 机关", "difficulty": "2"},
        {"tag": "1", "source": "1"},
    ],
)
def test_a_bulk_action_returns_to_the_same_filtered_list(client, auth, bank_world, query):
    bank = bank_world["bank"]
    auth.login("editor")
    html = client.get(f"/bank/{bank.id}/", query_string=query).get_data(as_text=True)
    action = re.search(r'<form method="post" action="([^"]+)" data-testid="bulk-form"', html)
    path, _, args = action.group(1).replace("&amp;", "&").partition("?")
    assert path == f"/bank/{bank.id}/bulk" and parse_qs(args) == {k: [v] for k, v in query.items()}
    ids = [str(bank_world["question"].id)]
    for action in ("retire", "unknown"):  # done, and refused as invalid
        response = auth.post(f"{path}?{args}", {"action": action, "ids": ids})
        back, _, back_args = response.headers["Location"].partition("?")
        assert back == f"/bank/{bank.id}/"
        assert parse_qs(back_args) == {k: [v] for k, v in query.items()}


def test_a_bulk_action_keeps_the_lists_page(client, auth, bank_world):
    bank = bank_world["bank"]
    auth.login("editor")
    response = auth.post(f"/bank/{bank.id}/bulk?status=draft&page=3", {"action": "submit"})
    assert parse_qs(response.headers["Location"].partition("?")[2]) == {
        "status": ["draft"],
        "page": ["3"],
    }


def test_the_key_shows_the_partial_credit_grading_uses(client, auth, session, bank_world):
    auth.login("editor")
    form = _single_form(answer="", answers=["A", "B"], partial_credit="33.5")
    assert (
        auth.post(f"/bank/{bank_world['bank'].id}/questions/new/multiple", form).status_code == 302
    )
    question = session.query(Question).filter_by(type="multiple").one()
    assert question.current_version.spec["partial_credit"] == 0.335
    html = client.get(f"/bank/questions/{question.id}").get_data(as_text=True)
    assert "earns 33.5% of the points" in html
    page = client.get(f"/bank/questions/{question.id}/edit").get_data(as_text=True)
    assert re.search(r'name="partial_credit"[^>]*value="33.5"', page)


def test_the_review_queue_names_the_versions_editor_beside_the_author(
    client, auth, session, bank_world
):

    # A demo-like question without an author, edited by the editor after approval.
    question = make_question(
        session, bank_world["bank"], None, stem="无作者的题", status=QuestionStatus.ACTIVE
    )
    session.commit()
    auth.login("editor")
    path = f"/bank/questions/{question.id}/edit"
    revision = _opened_at(client, path)
    form = _single_form(stem="无作者的题", explanation="编辑补充的解析", revision=revision)
    assert auth.post(path, form).status_code == 302
    auth.logout()
    editor_name = bank_world["editor"].display_name
    auth.login("reviewer")
    queue = client.get(f"/bank/{bank_world['bank'].id}/review").get_data(as_text=True)
    item = queue[queue.index("无作者的题") :]
    people = item[item.index('data-testid="queue-people"') : item.index("</span>")]
    assert "Author: —" in people and f"Version 2 by {editor_name}" in people
    # The flag the edit raised, in the reader's language.
    assert "Edited after approval." in item[: item.index("</form>")]
    html = client.get(f"/bank/questions/{question.id}").get_data(as_text=True)
    assert f'data-testid="version-editor">{editor_name}<' in html


def test_the_review_queue_names_a_first_versions_editor_only_when_not_the_author(
    client, auth, session, bank_world
):
    make_question(
        session,
        bank_world["bank"],
        bank_world["editor"],
        status=QuestionStatus.IN_REVIEW,
        stem="作者自己写的题",
    )
    session.commit()
    auth.login("reviewer")
    queue = client.get(f"/bank/{bank_world['bank'].id}/review").get_data(as_text=True)
    item = queue[queue.index("作者自己写的题") :]
    people = item[item.index('data-testid="queue-people"') : item.index("</span>")]
    assert f"Author: {bank_world['editor'].display_name}" in people
    assert "Version" not in people
