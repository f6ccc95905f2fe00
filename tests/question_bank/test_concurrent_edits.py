"""Two people, or one person in two tabs, on one question: a save or an approval from a page
opened before another change is refused, keeping what was typed, instead of silently undoing
that change; the refusal blames nobody."""

import re

import pytest

from learnapp.errors import DomainError
from learnapp.orgs.models import Role
from learnapp.question_bank import services
from learnapp.question_bank.models import Question, QuestionStatus
from learnapp.web import LANG_COOKIE
from tests.conftest import reload
from tests.factories import FIXED_NOW, make_user
from tests.question_bank.factories import make_bank, make_question, single_draft
from tests.world import build_world


@pytest.fixture
def world(session):
    world = build_world(session)
    editor = make_user(session, username="editor", roles=((Role.BANK_EDITOR, world.root),))
    reviewer = make_user(session, username="reviewer", roles=((Role.REVIEWER, world.root),))
    bank = make_bank(session, unit=world.root)
    # Like the demo questions: no author; the editor's edit makes version 2.
    question = make_question(session, bank, None, status=QuestionStatus.ACTIVE)
    session.commit()
    return {"editor": editor, "reviewer": reviewer, "bank": bank, "question": question}


# The services


def test_an_edit_from_a_stale_revision_is_refused_and_changes_nothing(ctx, session, world):
    question, editor = world["question"], world["editor"]
    opened = question.revision
    services.update_question(
        session,
        editor,
        question,
        single_draft(explanation="编辑改的解析"),
        FIXED_NOW,
        revision=opened,
    )
    assert question.revision == opened + 1
    with pytest.raises(DomainError) as error:
        services.update_question(
            session,
            editor,
            question,
            single_draft(tags=["管理员标签"]),
            FIXED_NOW,
            revision=opened,
        )
    assert error.value.field == "revision"
    assert question.current_version.explanation == "编辑改的解析"
    assert [tag.name for tag in question.tags] == ["组织"]
    assert question.revision == opened + 1


def test_every_change_to_a_question_counts_a_revision(ctx, session, world):
    question, editor, bank = world["question"], world["editor"], world["bank"]
    seen = [question.revision]

    def changed():
        session.flush()
        assert question.revision == seen[-1] + 1
        seen.append(question.revision)

    services.update_question(session, editor, question, single_draft(stem="改"), FIXED_NOW)
    changed()
    services.bulk_tag(session, editor, bank, [question], ["新标签"], FIXED_NOW)
    changed()
    services.bulk_move(session, editor, bank, [question], ["党史"], FIXED_NOW)
    changed()
    services.reject_question(session, world["reviewer"], question, "再改改", FIXED_NOW)
    changed()
    services.update_question(session, editor, question, single_draft(stem="再改"), FIXED_NOW)
    changed()
    services.approve_question(session, world["reviewer"], question, FIXED_NOW)
    changed()
    services.supersede_source(session, editor, question.current_version.source, FIXED_NOW)
    changed()
    services.retire_question(session, editor, question, FIXED_NOW)
    changed()
    services.reopen_question(session, editor, question, FIXED_NOW)
    changed()


def test_approving_a_question_changed_since_it_was_read_is_refused(ctx, session, world):
    question, editor, reviewer = world["question"], world["editor"], world["reviewer"]
    services.update_question(session, editor, question, single_draft(stem="改"), FIXED_NOW)
    session.flush()
    read = question.revision
    services.update_question(session, editor, question, single_draft(stem="又改"), FIXED_NOW)
    with pytest.raises(DomainError) as error:
        services.approve_question(session, reviewer, question, FIXED_NOW, revision=read)
    assert error.value.field == "revision"
    assert question.status == QuestionStatus.IN_REVIEW
    services.approve_question(session, reviewer, question, FIXED_NOW, revision=question.revision)
    assert question.status == QuestionStatus.ACTIVE


# The screens


@pytest.fixture
def english(client):
    client.set_cookie(LANG_COOKIE, "en")


def _form(html: str) -> dict:
    """The question form's fields as the browser would post them back unchanged."""
    start = html.index('data-testid="question-form"')
    html = html[start : html.index("</form>", start)]
    data = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag).group(1)
        value = re.search(r'value="([^"]*)"', tag)
        if 'type="radio"' in tag or 'type="checkbox"' in tag:
            if "checked" in tag:
                data[name] = value.group(1)
        elif name != "csrf_token":
            data[name] = value.group(1) if value else ""
    # A browser drops the newline that opens a textarea's content.
    for name, text in re.findall(
        r'<textarea[^>]*name="([^"]+)"[^>]*>(?:\r?\n)?(.*?)</textarea>', html, re.S
    ):
        data[name] = text
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r"<option[^>]*\bselected\b[^>]*>", body).group(0)
        data[name] = re.search(r'value="([^"]*)"', chosen).group(1)
    return data


def test_the_second_of_two_concurrent_saves_is_refused_and_keeps_what_was_typed(
    client, auth, session, world, english
):
    question = world["question"]
    path = f"/bank/questions/{question.id}/edit"
    auth.login("admin")
    admins_form = _form(client.get(path).get_data(as_text=True))
    auth.logout()

    auth.login("editor")
    editors_form = _form(client.get(path).get_data(as_text=True))
    editors_form["explanation"] = "编辑补充的解析"
    assert auth.post(path, editors_form).status_code == 302
    auth.logout()

    auth.login("admin")
    admins_form["tags"] = "组织, 管理员标签"
    response = auth.post(path, admins_form)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert 'data-testid="edit-conflict"' in html
    assert f'href="/bank/questions/{question.id}"' in html
    assert re.search(r'name="tags"[^>]*value="组织, 管理员标签"', html)
    reload(session)
    stored = session.get(Question, question.id)
    assert stored.current_version.explanation == "编辑补充的解析"
    assert [tag.name for tag in stored.tags] == ["组织"]

    # Having compared, the admin saves again on purpose: the form now carries the current
    # revision, and the admin's copy (with the old explanation) replaces the question.
    again = _form(html)
    assert again["revision"] == str(stored.revision)
    again["explanation"] = "编辑补充的解析"
    assert auth.post(path, again).status_code == 302
    reload(session)
    stored = session.get(Question, question.id)
    assert stored.current_version.explanation == "编辑补充的解析"
    assert sorted(tag.name for tag in stored.tags) == ["管理员标签", "组织"]


def test_the_same_editors_second_tab_is_refused_without_naming_someone_else(
    client, auth, session, world
):
    question = world["question"]
    path = f"/bank/questions/{question.id}/edit"
    auth.login("editor")
    first_tab = _form(client.get(path).get_data(as_text=True))
    second_tab = _form(client.get(path).get_data(as_text=True))
    first_tab["explanation"] = "第一个标签页的解析"
    assert auth.post(path, first_tab).status_code == 302
    second_tab["explanation"] = "第二个标签页的解析"
    response = auth.post(path, second_tab)
    assert response.status_code == 409
    conflict = re.search(
        r'data-testid="edit-conflict">([^<]+)<', response.get_data(as_text=True)
    ).group(1)
    assert conflict.strip() == (
        "本题在您打开之后已被修改，因此您的修改没有保存。您填写的内容仍保留在下方表单中："
        "请先与当前的试题对照，再次保存即以您的内容替换当前试题。"
    )
    assert "其他人" not in conflict


@pytest.mark.parametrize("revision", [None, "", "abc", "-1", "1" * 20])
def test_a_save_without_a_readable_revision_counts_as_stale(
    client, auth, session, world, english, revision
):
    question = world["question"]
    path = f"/bank/questions/{question.id}/edit"
    auth.login("editor")
    form = _form(client.get(path).get_data(as_text=True))
    form.pop("revision")
    if revision is not None:
        form["revision"] = revision
    form["stem"] = "不应保存"
    response = auth.post(path, form)
    assert response.status_code == 409
    assert 'data-testid="edit-conflict"' in response.get_data(as_text=True)
    reload(session)
    assert session.get(Question, question.id).stem != "不应保存"


def test_a_bulk_action_after_the_form_was_opened_is_not_undone(
    client, auth, session, world, english
):
    question, bank = world["question"], world["bank"]
    path = f"/bank/questions/{question.id}/edit"
    auth.login("editor")
    form = _form(client.get(path).get_data(as_text=True))
    auth.post(f"/bank/{bank.id}/bulk", {"action": "tag", "target": "批量", "ids": [question.id]})
    form["stem"] = "改过的题干"
    assert auth.post(path, form).status_code == 409
    reload(session)
    stored = session.get(Question, question.id)
    assert sorted(tag.name for tag in stored.tags) == ["批量", "组织"]
    assert stored.stem != "改过的题干"


def test_approving_from_a_stale_queue_is_refused(client, auth, session, world, english):
    question = world["question"]
    # The editor's edit sends the active question to review.
    auth.login("editor")
    path = f"/bank/questions/{question.id}/edit"
    form = _form(client.get(path).get_data(as_text=True))
    form["stem"] = "第一次修改"
    assert auth.post(path, form).status_code == 302
    auth.logout()

    auth.login("reviewer")
    queue = client.get(f"/bank/{world['bank'].id}/review").get_data(as_text=True)
    read = re.search(r'name="revision" value="(\d+)"', queue).group(1)
    auth.logout()

    auth.login("editor")
    form = _form(client.get(path).get_data(as_text=True))
    form["stem"] = "审核员没看过的修改"
    assert auth.post(path, form).status_code == 302
    auth.logout()

    auth.login("reviewer")
    response = auth.post(
        f"/bank/questions/{question.id}/approve", {"revision": read}, follow_redirects=True
    )
    assert "changed after you opened it" in response.get_data(as_text=True)
    reload(session)
    assert session.get(Question, question.id).status == QuestionStatus.IN_REVIEW
