"""The import screens with questions the bank holds with other settings: the preview says what
differs, the editor ticks which to update, the result counts what was updated and kept."""

import io
import re

import pytest
import sqlalchemy as sa

from learnapp.orgs.models import Role
from learnapp.question_bank.models import Audience, Question, QuestionStatus
from learnapp.web import LANG_COOKIE
from tests.factories import make_user
from tests.question_bank.factories import make_bank, make_question
from tests.question_bank.import_helpers import row, xlsx_bytes
from tests.world import build_world

TOKEN = re.compile(r'name="token" value="([^"]+)"')
OPTIONS = ("党的全国代表大会和它所产生的中央委员会", "中央政治局", "中央书记处")


@pytest.fixture
def world(session):
    world = build_world(session)
    world.bank = make_bank(session, unit=world.root, two_person_review=False)
    world.first = make_question(session, world.bank, status=QuestionStatus.ACTIVE, stem="一题？")
    world.second = make_question(session, world.bank, status=QuestionStatus.ACTIVE, stem="二题？")
    make_user(session, username="editor", roles=((Role.BANK_EDITOR, world.root),))
    make_user(session, username="reviewer", roles=((Role.REVIEWER, world.root),))
    session.commit()
    return world


ROWS = [
    row(stem="一题？", options=OPTIONS, 学习对象="党员"),  # 2
    row(stem="二题？", options=OPTIONS, 学习对象="书记和支委委员", 难度="4"),  # 3
    row(stem="新的一题", options=("甲", "乙")),  # 4
]


def upload(auth, bank_id, rows=ROWS):
    return auth.post(
        f"/bank/{bank_id}/import",
        data={"file": (io.BytesIO(xlsx_bytes(rows)), "题库.xlsx"), "format": "auto"},
        content_type="multipart/form-data",
    )


def updated_rows(page: str) -> list[tuple[int, str]]:
    """The result page's list of updated questions: (id, status) per row."""
    return [
        (int(qid), status)
        for qid, status in re.findall(
            r'data-testid="updated-question">.*?/bank/questions/(\d+)".*?'
            r'<td class="text-nowrap">([^<]+)</td>',
            page,
            re.S,
        )
    ]


def audiences(session, world) -> list[Audience]:
    session.rollback()  # see what the requests committed
    session.expire_all()
    return [
        session.get(Question, q.id).current_version.audience for q in (world.first, world.second)
    ]


def test_the_preview_says_what_differs_and_offers_the_choice(client, auth, world):
    client.set_cookie(LANG_COOKIE, "en")
    auth.login("editor")
    response = upload(auth, world.bank.id)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "2 in the bank with other settings" in page and "1 question is ready" in page
    table = page[page.index('data-testid="conflict-table"') :]
    table = table[: table.index("</table>")]
    assert table.count('data-testid="conflict-row"') == 2
    assert "Audience: “Everyone” in the bank, “Party members” in the file" in table
    assert "Difficulty: “2” in the bank, “4” in the file" in table
    assert 'data-testid="whole-difference"' not in table  # short values are shown whole
    boxes = re.findall(r'form="import-confirm" name="update" value="(\d+)"', table)
    assert boxes == ["2", "3"] and 'name="update_all"' in page
    assert 'data-testid="import-duplicates"' not in page


def test_the_preview_in_chinese_names_the_setting_that_differs(client, auth, world):
    auth.login("editor")
    page = upload(auth, world.bank.id).get_data(as_text=True)
    assert "学习对象：题库中为“全体人员”，文件中为“党员”" in page


def test_the_ticked_questions_are_updated_and_the_others_kept(client, auth, session, world):
    client.set_cookie(LANG_COOKIE, "en")
    auth.login("editor")
    token = TOKEN.search(upload(auth, world.bank.id).get_data(as_text=True)).group(1)
    done = auth.post(
        f"/bank/{world.bank.id}/import/confirm", data={"token": token, "update": ["3", "x"]}
    )
    assert done.status_code == 302
    assert audiences(session, world) == [Audience.ALL, Audience.LEADERS]
    second = session.get(Question, world.second.id)
    assert second.current_version.difficulty == 4 and second.status == QuestionStatus.IN_REVIEW
    assert session.scalar(sa.select(sa.func.count()).select_from(Question)) == 3
    result = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "1 question imported" in result and "It is active and can be used" in result
    assert 'data-testid="imported-questions"' in result
    assert "1 question of the bank took the settings the file gives." in result
    assert "1 of them was active and went back to review" in result
    assert "1 question of the bank that the file gives other settings was kept" in result
    assert updated_rows(result) == [(world.second.id, "In review")]


def test_update_all_updates_every_conflict(client, auth, session, world):
    auth.login("editor")
    token = TOKEN.search(upload(auth, world.bank.id).get_data(as_text=True)).group(1)
    auth.post(f"/bank/{world.bank.id}/import/confirm", data={"token": token, "update_all": "1"})
    assert audiences(session, world) == [Audience.PARTY_MEMBERS, Audience.LEADERS]


def test_a_file_of_conflicts_only_can_still_be_confirmed(client, auth, session, world):
    client.set_cookie(LANG_COOKIE, "en")
    auth.login("editor")
    page = upload(auth, world.bank.id, ROWS[:1]).get_data(as_text=True)
    assert "Update the questions chosen" in page and "nothing to import" not in page
    token = TOKEN.search(page).group(1)
    auth.post(f"/bank/{world.bank.id}/import/confirm", data={"token": token, "update": "2"})
    assert audiences(session, world) == [Audience.PARTY_MEMBERS, Audience.ALL]


def test_a_question_edited_after_the_preview_is_not_overwritten(client, auth, session, world):
    client.set_cookie(LANG_COOKIE, "en")
    auth.login("editor")
    token = TOKEN.search(upload(auth, world.bank.id).get_data(as_text=True)).group(1)
    question = session.get(Question, world.first.id)
    question.revision = Question.revision + 1
    session.commit()
    refused = auth.post(
        f"/bank/{world.bank.id}/import/confirm", data={"token": token, "update": "2"}
    )
    assert refused.status_code == 302 and refused.headers["Location"].endswith("/import")
    page = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert f"question #{world.first.id} changed after the file was checked".lower() in (
        page.lower()
    )
    assert audiences(session, world) == [Audience.ALL, Audience.ALL]
    assert session.scalar(sa.select(sa.func.count()).select_from(Question)) == 2


def test_a_reviewer_cannot_confirm_updates(client, auth, session, world):
    auth.login("editor")
    token = TOKEN.search(upload(auth, world.bank.id).get_data(as_text=True)).group(1)
    auth.logout()
    auth.login("reviewer")
    refused = auth.post(
        f"/bank/{world.bank.id}/import/confirm", data={"token": token, "update_all": "1"}
    )
    assert refused.status_code == 403
    assert audiences(session, world) == [Audience.ALL, Audience.ALL]


def test_update_all_leaves_out_a_conflict_the_preview_did_not_show(client, auth, session, world):
    auth.login("editor")
    same = [
        row(stem="一题？", options=OPTIONS, 学习对象="全体人员"),
        row(stem="二题？", options=OPTIONS, 学习对象="党员"),
    ]
    token = TOKEN.search(upload(auth, world.bank.id, same).get_data(as_text=True)).group(1)
    # After the preview, someone gives question one another audience: line 2 now differs.
    version = session.get(Question, world.first.id).current_version
    version.audience = Audience.LEADERS
    session.commit()
    auth.post(f"/bank/{world.bank.id}/import/confirm", data={"token": token, "update_all": "1"})
    assert audiences(session, world) == [Audience.LEADERS, Audience.PARTY_MEMBERS]


HEAD = "1949年10月1日，中华人民共和国中央人民政府成立，" * 3  # longer than the preview shows


def test_a_long_explanation_changed_at_its_end_shows_the_change(client, auth, session, world):
    make_question(
        session,
        world.bank,
        status=QuestionStatus.ACTIVE,
        stem="三题？",
        explanation=HEAD + "毛泽东宣告",
    )
    session.commit()
    auth.login("editor")
    changed = row(stem="三题？", options=OPTIONS, 解析=HEAD + "毛泽东主席宣告")
    page = upload(auth, world.bank.id, [changed]).get_data(as_text=True)
    tail = HEAD[-17:] + "毛泽东"
    assert f"解析：题库中为“…{tail}宣告”，文件中为“…{tail}主席宣告”" in page
    (whole,) = re.findall(r'data-testid="whole-difference">(.*?)</details>', page, re.S)
    assert "<ins>主席</ins>" in whole and HEAD in whole


def test_an_update_only_import_says_what_was_updated_not_imported(client, auth, session, world):
    client.set_cookie(LANG_COOKIE, "en")
    auth.login("editor")
    token = TOKEN.search(upload(auth, world.bank.id, ROWS[:2]).get_data(as_text=True)).group(1)
    done = auth.post(
        f"/bank/{world.bank.id}/import/confirm", data={"token": token, "update_all": "1"}
    )
    result = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Import finished" in result and "File: 题库.xlsx" in result
    assert "imported" not in result and "drafts" not in result and "It is active" not in result
    assert 'data-testid="imported-questions"' not in result
    assert "2 questions of the bank took the settings the file gives." in result
    assert "2 of them were active and went back to review" in result
    assert "anything but its knowledge point or tags changes" in result
    assert 'data-testid="import-kept"' not in result
    assert updated_rows(result) == [(world.first.id, "In review"), (world.second.id, "In review")]


def test_an_update_of_the_tags_alone_leaves_an_active_question_active(client, auth, session, world):
    auth.login("editor")
    tags = [row(stem="一题？", options=OPTIONS, 标签="新标签")]
    token = TOKEN.search(upload(auth, world.bank.id, tags).get_data(as_text=True)).group(1)
    done = auth.post(f"/bank/{world.bank.id}/import/confirm", data={"token": token, "update": "2"})
    session.expire_all()
    assert session.get(Question, world.first.id).status == QuestionStatus.ACTIVE
    result = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "导入完成" in result and "已导入" not in result
    assert "题库中有 1 道试题已改用文件中的设置。" in result
    assert 'data-testid="import-to-review"' not in result and "退回审核" not in result
    assert updated_rows(result) == [(world.first.id, "已启用")]


def test_a_draft_bank_says_the_imported_questions_are_drafts(client, auth, session, world):
    world.bank.two_person_review = True
    session.commit()
    client.set_cookie(LANG_COOKIE, "en")
    auth.login("editor")
    token = TOKEN.search(upload(auth, world.bank.id, ROWS[2:]).get_data(as_text=True)).group(1)
    done = auth.post(f"/bank/{world.bank.id}/import/confirm", data={"token": token})
    result = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "1 question imported" in result and "It is a draft: send it to review" in result
    assert f"/bank/{world.bank.id}/?status=draft" in result
    assert 'data-testid="import-updated"' not in result and updated_rows(result) == []
