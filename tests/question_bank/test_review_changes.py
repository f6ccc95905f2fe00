"""Review pages offer only usable actions and show what an edit changed; empty exports are
explained; the template's 参考答案 column."""

import pytest
from flask_babel import force_locale

from learnapp.question_bank import formats, services
from learnapp.question_bank.changes import inline_diff, version_changes
from learnapp.question_bank.formats import csv as csv_format
from learnapp.question_bank.models import QuestionStatus
from learnapp.question_bank.queries import versions_of
from learnapp.web import LANG_COOKIE
from tests.factories import FIXED_NOW
from tests.question_bank.factories import make_bank, make_question, single_draft
from tests.question_bank.import_helpers import (
    HEADER,
    csv_text,
    messages,
    row,
    template_examples,
    xlsx_bytes,
)
from tests.question_bank.test_views import bank_world  # noqa: F401 (a fixture)


@pytest.fixture
def english(client):
    client.set_cookie(LANG_COOKIE, "en")


def _edited_after_approval(session, bank, author):
    question = make_question(session, bank, author, status=QuestionStatus.ACTIVE)
    services.update_question(
        session,
        author,
        question,
        single_draft(
            stem="党的最高领导机关是党的全国代表大会和它所产生的<中央委员会>。",
            spec={"options": ["党的全国代表大会", "中央委员会", "中央政治局"], "answer": 0},
            explanation="见党章第十条。",
            difficulty=4,
        ),
        FIXED_NOW,
    )
    return question


# Approve only for those who may (two-person rule)


def test_may_approve_follows_the_two_person_rule(session, ctx, bank_world):  # noqa: F811
    world, reviewer = bank_world["world"], bank_world["reviewer"]
    own = make_question(session, bank_world["bank"], world.admin, status=QuestionStatus.IN_REVIEW)
    assert not services.may_approve(world.admin, own)
    assert services.may_approve(reviewer, own)
    assert not services.may_approve(bank_world["editor"], bank_world["question"])
    draft = make_question(session, bank_world["bank"], bank_world["editor"])
    assert not services.may_approve(reviewer, draft)
    lenient = make_bank(session, unit=world.root, two_person_review=False)
    mine = make_question(session, lenient, world.admin, status=QuestionStatus.IN_REVIEW)
    assert services.may_approve(world.admin, mine)


def test_the_author_sees_no_approve_button_on_their_question(
    client,
    auth,
    session,
    english,
    bank_world,  # noqa: F811
):
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
    page = client.get(f"/bank/questions/{question.id}").get_data(as_text=True)
    assert 'data-testid="approve"' not in page
    assert 'data-testid="reject"' in page  # sending back stays possible
    queue = client.get(f"/bank/{bank_world['bank'].id}/review").get_data(as_text=True)
    assert f"/bank/questions/{question.id}/approve" not in queue
    auth.logout()
    auth.login("reviewer")
    page = client.get(f"/bank/questions/{question.id}").get_data(as_text=True)
    assert 'data-testid="approve"' in page
    queue = client.get(f"/bank/{bank_world['bank'].id}/review").get_data(as_text=True)
    assert f"/bank/questions/{question.id}/approve" in queue
    auth.logout()
    auth.login("editor")
    page = client.get(f"/bank/questions/{question.id}").get_data(as_text=True)
    assert 'data-testid="approve"' not in page and 'data-testid="reject"' not in page


# What an edit changed


def test_editing_an_approved_question_keeps_the_approved_version(session, ctx, bank_world):  # noqa: F811
    question = _edited_after_approval(session, bank_world["bank"], bank_world["editor"])
    first, second = sorted(versions_of(session, question), key=lambda v: v.number)
    assert (first.number, second.number) == (1, 2)
    assert first.stem == "党的最高领导机关是什么？"
    assert question.status == QuestionStatus.IN_REVIEW
    services.update_question(
        session, bank_world["editor"], question, single_draft(stem="再改一次"), FIXED_NOW
    )
    assert len(versions_of(session, question)) == 2  # a version in review is still edited in place


def test_version_changes_lists_changed_fields_only(session, ctx, bank_world):  # noqa: F811
    question = _edited_after_approval(session, bank_world["bank"], bank_world["editor"])
    first, second = sorted(versions_of(session, question), key=lambda v: v.number)
    changes = {c.label: c for c in version_changes("single", first, second)}
    assert set(changes) == {"Question text", "Options", "Explanation (解析)", "Difficulty"}
    assert str(changes["Difficulty"].html) == "<del>2</del><ins>4</ins>"
    stem = str(changes["Question text"].html)
    assert "&lt;中央委员会&gt;" in stem and "<中央" not in stem
    assert "<ins>" in stem and "<del>" in stem
    assert version_changes("single", second, second) == []


def test_inline_diff_escapes_both_sides():
    html = str(inline_diff("<b>旧</b>", "<i>新</i>"))
    assert "<b>" not in html and "<i>" not in html
    assert html.count("<del>") >= 1 and html.count("<ins>") >= 1


def test_the_reviewer_sees_the_changes_on_the_question_page(
    client,
    auth,
    session,
    english,
    bank_world,  # noqa: F811
):
    question = _edited_after_approval(session, bank_world["bank"], bank_world["editor"])
    session.commit()
    auth.login("reviewer")
    page = client.get(f"/bank/questions/{question.id}").get_data(as_text=True)
    assert 'data-testid="version-changes"' in page
    assert "<ins>4</ins>" in page and "&lt;中央委员会&gt;" in page
    older = client.get(f"/bank/questions/{question.id}?version=1").get_data(as_text=True)
    assert 'data-testid="version-changes"' not in older
    new = bank_world["question"]  # in review, never approved: nothing to compare
    page = client.get(f"/bank/questions/{new.id}").get_data(as_text=True)
    assert 'data-testid="version-changes"' not in page


# Exports that would be empty


def test_export_refusal_reasons(ctx):
    judge = single_draft(stem="判断题")
    judge.type, judge.spec = "judge", {"answer": True}
    assert "nothing to export" in formats.export_refusal("aiken", 0, formats.export("aiken", []))
    result = formats.export("aiken", [judge, judge])
    refusal = formats.export_refusal("aiken", 2, result)
    assert "single-choice questions only" in refusal and "True/false 2" in refusal
    assert formats.export_refusal("csv", 2, formats.export("csv", [judge, judge])) is None


def test_empty_export_is_refused_on_the_page_with_the_input_kept(
    client,
    auth,
    session,
    english,
    bank_world,  # noqa: F811
):
    bank = bank_world["bank"]
    judge = single_draft(stem="预备党员的预备期为一年。")
    judge.type, judge.spec = "judge", {"answer": True}
    services.add_question(session, None, bank, judge, FIXED_NOW, QuestionStatus.ACTIVE)
    session.commit()
    auth.login("reviewer")
    url = f"/bank/{bank.id}/export?download=1&format=aiken&type=judge&status=&difficulty=0"
    response = client.get(url + "&kp=0&tag=0&source=0")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "attachment" not in response.headers.get(
        "Content-Disposition", ""
    )
    assert "single-choice questions only" in page
    assert '<option selected value="aiken">' in page and '<option selected value="judge">' in page
    response = client.get(
        f"/bank/{bank.id}/export?download=1&format=csv&type=fill&kp=0&tag=0&source=0"
    )
    assert response.status_code == 400
    assert "No question matches these filters" in response.get_data(as_text=True)
    ok = client.get(f"/bank/{bank.id}/export?download=1&format=csv&type=judge&kp=0&tag=0&source=0")
    assert ok.status_code == 200 and ok.headers["X-Questions-Exported"] == "1"


def test_an_empty_export_is_refused_for_members(client, auth, bank_world):  # noqa: F811
    auth.login("mema")
    url = f"/bank/{bank_world['bank'].id}/export?download=1&format=aiken&type=judge"
    assert client.get(url).status_code == 403


# The 参考答案 column


def _short(**cells):
    return row("简答", "简述党员的义务。", (), **cells)


def test_short_answer_reads_its_reference_answer_column(ctx):
    result = csv_format.parse(
        csv_text(
            [_short(answer="学习;;服务", 参考答案="党员应当认真学习……\n全心全意为人民服务。")]
        ).encode()
    )
    (parsed,) = result.questions
    assert parsed.draft.spec == {
        "reference": "党员应当认真学习……\n全心全意为人民服务。",
        "key_points": ["学习", "服务"],
    }


def test_an_empty_reference_answer_falls_back_to_the_key_points(ctx):
    (parsed,) = csv_format.parse(csv_text([_short(answer="学习;;服务")]).encode()).questions
    assert parsed.draft.spec == {"reference": "学习\n服务", "key_points": ["学习", "服务"]}


def test_an_old_template_without_the_column_still_imports(ctx):
    old_header = [name for name in HEADER if name != "参考答案"]
    cells = dict(zip(HEADER, _short(answer="学习;;服务"), strict=True))
    del cells["参考答案"]
    result = csv_format.parse(csv_text([list(cells.values())], header=old_header).encode())
    assert result.errors == []
    assert result.questions[0].draft.spec["reference"] == "学习\n服务"


def test_a_reference_answer_alone_is_enough_for_a_short_answer(ctx):
    (parsed,) = csv_format.parse(
        csv_text([_short(answer="", 参考答案="完整的参考答案")]).encode()
    ).questions
    assert parsed.draft.spec == {"reference": "完整的参考答案", "key_points": []}


def test_a_short_answer_with_neither_is_a_row_error(ctx):
    result = csv_format.parse(csv_text([_short(answer="")]).encode())
    assert result.questions == []
    assert [(p.line, p.column) for p in result.errors] == [(2, "答案")]
    assert "参考答案" in messages(result.errors)[0]


def test_a_reference_answer_on_another_type_is_ignored_with_a_warning(ctx):
    result = csv_format.parse(csv_text([row(参考答案="多余")]).encode())
    assert result.errors == [] and len(result.questions) == 1
    assert [p.column for p in result.warnings] == ["参考答案"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_reference_and_key_points_round_trip_apart(ctx, fmt):
    draft = single_draft(stem="简述党员的义务。")
    draft.type = "short"
    draft.spec = {"reference": "完整答案第一段\n第二段", "key_points": ["学习", "服务"]}
    (back,) = formats.parse(fmt, formats.export(fmt, [draft]).data).questions
    assert back.draft.spec == draft.spec
    draft.spec = {"reference": "学习\n服务", "key_points": ["学习", "服务"]}
    exported = formats.export("csv", [draft]).data.decode("utf-8-sig")
    assert "学习\n服务" not in exported  # the reference is rebuilt from the key points


def test_the_template_has_the_reference_column_and_imports_its_examples(ctx):
    result = formats.parse("xlsx", template_examples())
    short = [q.draft for q in result.questions if q.draft.type == "short"]
    assert result.errors == [] and len(short) == 1
    assert short[0].spec["reference"].startswith("例如")
    assert len(short[0].spec["key_points"]) == 2
    with force_locale("en"):
        assert xlsx_bytes([_short(answer="a")])  # the helper writes the new header
