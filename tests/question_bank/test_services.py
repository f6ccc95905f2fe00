"""Question bank services: versions, review workflow, sources, bulk actions, usage."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from learnapp.audit.models import AuditEntry
from learnapp.errors import DomainError
from learnapp.orgs.models import Role
from learnapp.question_bank import queries, services
from learnapp.question_bank.models import (
    KnowledgePoint,
    Question,
    QuestionStatus,
    QuestionVersion,
    ReviewFlag,
    SourceDocument,
)
from learnapp.question_bank.queries import QuestionFilters
from learnapp.question_bank.queries import questions as question_list
from tests.conftest import DB_KIND
from tests.factories import FIXED_NOW, make_unit, make_user
from tests.question_bank.factories import make_bank, make_question, single_draft

pytestmark = pytest.mark.usefixtures("ctx")


@pytest.fixture
def people(session):
    root = make_unit(session, name="党委")
    editor = make_user(session, roles=((Role.BANK_EDITOR, root),))
    other_editor = make_user(session, roles=((Role.BANK_EDITOR, root),))
    reviewer = make_user(session, roles=((Role.REVIEWER, root),))
    editor_reviewer = make_user(session, roles=((Role.BANK_EDITOR, root), (Role.REVIEWER, root)))
    admin = make_user(session, roles=((Role.ADMIN, root),))
    return {
        "root": root,
        "editor": editor,
        "other_editor": other_editor,
        "reviewer": reviewer,
        "editor_reviewer": editor_reviewer,
        "admin": admin,
    }


def _actions(session, action):
    return session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)).all()


def test_add_question_stores_version_one_with_metadata(session, people):
    bank = make_bank(session)
    question = make_question(session, bank, people["editor"])
    version = question.current_version
    assert (version.number, version.points, version.difficulty) == (1, Decimal("2"), 2)
    assert question.status == QuestionStatus.DRAFT
    assert question.knowledge_point.full_name == "党章 › 第三章 党的中央组织"
    assert question.knowledge_point.parent.name == "党章"
    assert [t.name for t in question.tags] == ["组织"]
    assert version.source.name == "《中国共产党章程》" and version.source.version == "2022-10-22"
    assert question.stem_key == "党的最高领导机关是什么"
    assert _actions(session, "question.created")


def test_knowledge_points_and_tags_are_reused(session, people):
    bank = make_bank(session)
    first = make_question(session, bank, people["editor"])
    second = make_question(session, bank, people["editor"], stem="另一题")
    assert first.knowledge_point_id == second.knowledge_point_id
    assert first.tags[0].id == second.tags[0].id
    assert session.scalar(sa.select(sa.func.count()).select_from(KnowledgePoint)) == 2
    assert session.scalar(sa.select(sa.func.count()).select_from(SourceDocument)) == 1


def test_invalid_spec_is_refused_with_the_types_reason(session, people):
    bank = make_bank(session)
    bad = single_draft(spec={"options": ["甲", "乙"], "answer": 5})
    with pytest.raises(DomainError) as error:
        services.add_question(session, people["editor"], bank, bad, FIXED_NOW)
    assert error.value.field == "spec"
    assert "one of the options" in error.value.message


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"stem": "   "}, "stem"),
        ({"stem": "长" * 2001}, "stem"),
        ({"type": "essay"}, "type"),
        ({"points": Decimal("0")}, "points"),
        ({"points": Decimal("101")}, "points"),
        ({"points": Decimal("NaN")}, "points"),
        ({"points": Decimal("1.005")}, "points"),
        ({"difficulty": 6}, "difficulty"),
        ({"difficulty": 0}, "difficulty"),
        ({"tags": [f"t{n}" for n in range(11)]}, "tags"),
        ({"knowledge_point": list("abcdefg")}, "knowledge_point"),
    ],
)
def test_bad_drafts_are_refused(session, people, overrides, field):
    bank = make_bank(session)
    with pytest.raises(DomainError) as error:
        services.add_question(session, people["editor"], bank, single_draft(**overrides), FIXED_NOW)
    assert error.value.field == field


def test_editing_an_unused_version_changes_it_in_place(session, people):
    bank = make_bank(session)
    question = make_question(session, bank, people["editor"])
    version = services.update_question(
        session, people["editor"], question, single_draft(stem="改过的题干"), FIXED_NOW
    )
    assert version.number == 1 and version.stem == "改过的题干"
    assert question.stem == "改过的题干"
    assert len(queries.versions_of(session, question)) == 1


def test_editing_after_use_creates_a_new_version_and_keeps_the_old(session, people):
    bank = make_bank(session)
    question = make_question(session, bank, people["editor"])
    old_id = question.current_version_id
    services.mark_used(session, [old_id], FIXED_NOW)
    version = services.update_question(
        session, people["editor"], question, single_draft(stem="新版题干"), FIXED_NOW
    )
    assert version.number == 2 and question.current_version_id == version.id
    old = session.get(QuestionVersion, old_id)
    session.refresh(old)
    assert old.stem == "党的最高领导机关是什么？" and old.used_at is not None
    assert [v.number for v in queries.versions_of(session, question)] == [2, 1]


def test_saving_unchanged_content_makes_no_version(session, people):
    bank = make_bank(session)
    question = make_question(session, bank, people["editor"])
    services.mark_used(session, [question.current_version_id], FIXED_NOW)
    version = services.update_question(
        session, people["editor"], question, single_draft(), FIXED_NOW
    )
    assert version.number == 1


def test_editing_an_active_question_sends_it_back_to_review(session, people):
    bank = make_bank(session)
    question = make_question(session, bank, people["editor"], status=QuestionStatus.ACTIVE)
    services.update_question(
        session, people["editor"], question, single_draft(stem="改"), FIXED_NOW
    )
    assert question.status == QuestionStatus.IN_REVIEW
    assert question.status_reason_code == ReviewFlag.EDITED_AFTER_APPROVAL
    assert str(question.status_reason_text) == "Edited after approval."


def test_review_flags_are_worded_in_the_readers_language(app, session, people):
    """A platform flag is stored as a code and worded when shown; a reason stored as text before
    codes existed shows as it was written."""
    from flask_babel import force_locale

    bank = make_bank(session)
    edited = make_question(session, bank, people["editor"], status=QuestionStatus.ACTIVE)
    with force_locale("zh_Hans"):
        services.update_question(
            session, people["editor"], edited, single_draft(stem="改"), FIXED_NOW
        )
    assert edited.status_reason == ""
    assert str(edited.status_reason_text) == "Edited after approval."
    with force_locale("zh_Hans"):
        assert str(edited.status_reason_text) == "审核通过后又经修改。"
    legacy = make_question(session, bank, people["editor"], stem="旧题")
    legacy.status_reason = "审核通过后又经修改。"
    assert legacy.status_reason_text == "审核通过后又经修改。"


def test_type_cannot_change_on_edit(session, people):
    bank = make_bank(session)
    question = make_question(session, bank, people["editor"])
    judge = single_draft(type="judge", spec={"answer": True})
    with pytest.raises(DomainError):
        services.update_question(session, people["editor"], question, judge, FIXED_NOW)


def test_mark_used_counts_every_use_and_keeps_the_first_time(session, people, clock):
    bank = make_bank(session)
    question = make_question(session, bank, people["editor"])
    vid = question.current_version_id
    services.mark_used(session, [vid, vid], FIXED_NOW)
    clock.advance(days=1)
    services.mark_used(session, [vid], clock())
    version = session.get(QuestionVersion, vid)
    assert version.use_count == 2 and version.used_at == FIXED_NOW
    assert queries.usage_counts(session, [question.id]) == {question.id: 2}


def test_status_workflow_draft_review_active_retired(session, people):
    bank = make_bank(session)
    question = make_question(session, bank, people["editor"])
    services.submit_for_review(session, people["editor"], question, FIXED_NOW)
    assert question.status == QuestionStatus.IN_REVIEW
    services.approve_question(session, people["reviewer"], question, FIXED_NOW)
    assert question.status == QuestionStatus.ACTIVE
    assert question.reviewer_id == people["reviewer"].id
    services.retire_question(session, people["editor"], question, FIXED_NOW)
    assert question.status == QuestionStatus.RETIRED
    services.reopen_question(session, people["editor"], question, FIXED_NOW)
    assert question.status == QuestionStatus.DRAFT
    assert len(_actions(session, "question.approved")) == 1


def test_the_reviewer_is_named_only_for_the_version_they_reviewed(session, people):
    bank = make_bank(session)
    question = make_question(session, bank, people["editor"], status=QuestionStatus.IN_REVIEW)
    first = question.current_version
    assert question.reviewer_of(first) is None
    services.approve_question(session, people["reviewer"], question, FIXED_NOW)
    assert question.reviewer_of(first) == people["reviewer"]
    # An edit after approval is a version nobody has reviewed yet.
    second = services.update_question(
        session, people["editor"], question, single_draft(stem="改过的题干"), FIXED_NOW
    )
    assert question.status == QuestionStatus.IN_REVIEW and second.number == 2
    assert question.reviewer_of(second) is None
    assert question.reviewer_of(first) == people["reviewer"]
    services.approve_question(session, people["editor_reviewer"], question, FIXED_NOW)
    session.expire(question)  # the reviewer as a new page reads it
    assert question.reviewer_of(second) == people["editor_reviewer"]
    assert question.reviewer_of(first) is None


def test_a_version_changed_in_place_after_it_was_sent_back_has_no_reviewer(session, people):
    bank = make_bank(session)
    question = make_question(session, bank, people["editor"], status=QuestionStatus.IN_REVIEW)
    version = question.current_version
    services.reject_question(session, people["reviewer"], question, "出处有误", FIXED_NOW)
    assert question.reviewer_of(version) == people["reviewer"]
    services.update_question(
        session, people["editor"], question, single_draft(source_document="第十条"), FIXED_NOW
    )
    assert question.current_version is version and question.reviewer_of(version) is None
    # Saving without a change leaves the review where it was.
    services.submit_for_review(session, people["editor"], question, FIXED_NOW)
    services.reject_question(session, people["reviewer"], question, "仍有误", FIXED_NOW)
    services.update_question(
        session, people["editor"], question, single_draft(source_document="第十条"), FIXED_NOW
    )
    assert question.reviewer_of(version) == people["reviewer"]


def test_questions_stored_active_name_their_importer_as_the_reviewer_of_version_one(
    session, people
):
    bank = make_bank(session)
    one = make_question(session, bank, people["editor"], status=QuestionStatus.ACTIVE)
    [many_id] = services.add_questions(
        session,
        people["editor"],
        bank,
        [single_draft(stem="批量")],
        FIXED_NOW,
        QuestionStatus.ACTIVE,
    )
    [draft_id] = services.add_questions(
        session, people["editor"], bank, [single_draft(stem="草稿")], FIXED_NOW
    )
    session.expire_all()
    many, draft = session.get(Question, many_id), session.get(Question, draft_id)
    assert one.reviewer_of(one.current_version) == people["editor"]
    assert many.reviewer_of(many.current_version) == people["editor"]
    assert draft.reviewed_version_id is None


@pytest.mark.parametrize("status", [QuestionStatus.DRAFT, QuestionStatus.ACTIVE])
def test_only_questions_in_review_can_be_approved(session, people, status):
    bank = make_bank(session)
    question = make_question(session, bank, people["editor"], status=status)
    with pytest.raises(DomainError):
        services.approve_question(session, people["reviewer"], question, FIXED_NOW)


def test_illegal_transitions_are_refused(session, people):
    bank = make_bank(session)
    question = make_question(session, bank, people["editor"], status=QuestionStatus.ACTIVE)
    with pytest.raises(DomainError):
        services.submit_for_review(session, people["editor"], question, FIXED_NOW)
    with pytest.raises(DomainError):
        services.reopen_question(session, people["editor"], question, FIXED_NOW)


def test_rejection_needs_a_reason_and_returns_to_draft(session, people):
    bank = make_bank(session)
    question = make_question(session, bank, people["editor"], status=QuestionStatus.IN_REVIEW)
    with pytest.raises(DomainError):
        services.reject_question(session, people["reviewer"], question, "  ", FIXED_NOW)
    services.reject_question(session, people["reviewer"], question, "选项C有歧义", FIXED_NOW)
    assert question.status == QuestionStatus.DRAFT and question.status_reason == "选项C有歧义"


def test_two_person_review_refuses_the_author(session, people):
    bank = make_bank(session, two_person_review=True)
    question = make_question(
        session, bank, people["editor_reviewer"], status=QuestionStatus.IN_REVIEW
    )
    with pytest.raises(DomainError):
        services.approve_question(session, people["editor_reviewer"], question, FIXED_NOW)
    services.approve_question(session, people["reviewer"], question, FIXED_NOW)
    assert question.status == QuestionStatus.ACTIVE


def test_two_person_review_refuses_the_author_of_the_current_version(session, people):
    bank = make_bank(session, two_person_review=True)
    question = make_question(session, bank, people["editor"], status=QuestionStatus.DRAFT)
    services.update_question(
        session, people["editor_reviewer"], question, single_draft(stem="改写"), FIXED_NOW
    )
    services.submit_for_review(session, people["editor"], question, FIXED_NOW)
    with pytest.raises(DomainError):
        services.approve_question(session, people["editor_reviewer"], question, FIXED_NOW)


def test_without_two_person_review_an_author_may_approve(session, people):
    bank = make_bank(session, two_person_review=False)
    question = make_question(session, bank, people["admin"], status=QuestionStatus.IN_REVIEW)
    services.approve_question(session, people["admin"], question, FIXED_NOW)
    assert question.status == QuestionStatus.ACTIVE


def test_an_editor_without_reviewer_role_cannot_approve(session, people):
    bank = make_bank(session)
    question = make_question(session, bank, people["editor"], status=QuestionStatus.IN_REVIEW)
    with pytest.raises(DomainError):
        services.approve_question(session, people["other_editor"], question, FIXED_NOW)


def test_review_rule_is_switched_by_admins_only(session, people):
    bank = make_bank(session)
    with pytest.raises(DomainError):
        services.set_two_person_review(session, people["editor"], bank, False, FIXED_NOW)
    services.set_two_person_review(session, people["admin"], bank, False, FIXED_NOW)
    assert bank.two_person_review is False


def test_superseded_source_flags_every_question_citing_it(session, people):
    bank = make_bank(session)
    active = make_question(session, bank, people["editor"], status=QuestionStatus.ACTIVE)
    draft = make_question(session, bank, people["editor"], stem="草稿题")
    retired = make_question(session, bank, people["editor"], stem="停用题")
    services.retire_question(session, people["editor"], retired, FIXED_NOW)
    other = make_question(
        session,
        bank,
        people["editor"],
        stem="另一版本",
        source_version="2017-10-24",
        status=QuestionStatus.ACTIVE,
    )
    document = active.current_version.source
    flagged = services.supersede_source(session, people["editor"], document, FIXED_NOW)
    assert flagged == 2
    assert active.status == QuestionStatus.IN_REVIEW
    assert active.status_reason_code == ReviewFlag.SOURCE_SUPERSEDED
    assert str(active.status_reason_text) == (
        "Source superseded: 《中国共产党章程》 2022-10-22. Check the question against the new "
        "version."
    )
    assert draft.status == QuestionStatus.DRAFT and draft.status_reason_text
    assert retired.status == QuestionStatus.RETIRED and not retired.status_reason_text
    assert other.status == QuestionStatus.ACTIVE
    assert document.is_superseded and document.superseded_at == FIXED_NOW
    assert len(_actions(session, "question.flagged")) == 2
    assert _actions(session, "source.superseded")[0].after["flagged"] == 2
    with pytest.raises(DomainError):
        services.supersede_source(session, people["editor"], document, FIXED_NOW)


def test_only_an_editor_reaching_every_citing_bank_may_supersede(session, people):
    branch = make_unit(session, parent=people["root"], name="支部")
    other = make_unit(session, parent=people["root"], name="另一支部")
    branch_editor = make_user(session, roles=((Role.BANK_EDITOR, branch),))
    own = make_bank(session, unit=branch, name="支部题库")
    foreign = make_bank(session, unit=other, name="别的支部题库")
    mine = make_question(session, own, branch_editor, status=QuestionStatus.ACTIVE)
    make_question(session, foreign, people["editor"], stem="别处的题")
    document = mine.current_version.source
    with pytest.raises(DomainError, match="outside your reach"):
        services.supersede_source(session, branch_editor, document, FIXED_NOW)
    assert not document.is_superseded and mine.status == QuestionStatus.ACTIVE
    assert services.supersede_source(session, people["editor"], document, FIXED_NOW) == 2


def test_add_questions_stores_what_add_question_stores(session, people):
    bank = make_bank(session)
    one = make_question(session, bank, people["editor"], stem="逐题添加", tags=["甲", "乙"])
    [many_id] = services.add_questions(
        session,
        people["editor"],
        bank,
        [single_draft(stem="批量添加", tags=["甲", "乙"])],
        FIXED_NOW,
        QuestionStatus.ACTIVE,
    )
    session.expire_all()
    many = session.get(type(one), many_id)

    def shape(question):
        version = question.current_version
        return (
            question.type,
            question.knowledge_point_id,
            question.author_id,
            question.difficulty,
            [tag.name for tag in question.tags],
            version.number,
            version.spec,
            version.points,
            version.source_id,
            version.source_document,
            version.explanation,
            version.created_by_id,
        )

    assert shape(many) == shape(one)
    assert many.stem_key == "批量添加" and many.current_version.question_id == many.id
    assert many.status == QuestionStatus.ACTIVE and many.reviewer_id == people["editor"].id


def test_add_questions_refuses_a_bad_draft_with_the_types_reason(session, people):
    bank = make_bank(session)
    bad = single_draft(spec={"options": ["a", "b"], "answer": 5})
    with pytest.raises(DomainError, match="one of the options"):
        services.add_questions(session, None, bank, [single_draft(), bad], FIXED_NOW)


def test_bulk_actions_skip_what_cannot_move(session, people):
    bank = make_bank(session)
    draft = make_question(session, bank, people["editor"])
    active = make_question(session, bank, people["editor"], stem="二", status=QuestionStatus.ACTIVE)
    assert services.bulk_submit(session, people["editor"], [draft, active], FIXED_NOW) == (1, 1)
    assert (
        services.bulk_move(
            session, people["editor"], bank, [draft, active], ["党史", "新民主主义革命"], FIXED_NOW
        )
        == 2
    )
    assert active.knowledge_point.full_name == "党史 › 新民主主义革命"
    assert (
        services.bulk_tag(session, people["editor"], bank, [draft, active], ["重点"], FIXED_NOW)
        == 2
    )
    assert services.bulk_tag(session, people["editor"], bank, [draft], ["重点"], FIXED_NOW) == 0
    assert services.bulk_retire(session, people["editor"], [draft, active], FIXED_NOW) == (2, 0)


def test_bulk_actions_ignore_questions_of_another_bank(session, people):
    bank, other = make_bank(session), make_bank(session, name="别的")
    foreign = make_question(session, other, people["editor"])
    assert services.bulk_tag(session, people["editor"], bank, [foreign], ["x"], FIXED_NOW) == 0


def test_bulk_tag_adds_several_tags_within_the_limit(session, people):
    bank = make_bank(session)
    tagged = make_question(session, bank, people["editor"])
    full = make_question(
        session, bank, people["editor"], stem="满", tags=[f"标签{n}" for n in range(9)]
    )
    done = services.bulk_tag(
        session, people["editor"], bank, [tagged, full], ["批量标签", "另一个"], FIXED_NOW
    )
    assert done == 2
    assert sorted(tag.name for tag in tagged.tags) == ["另一个", "批量标签", "组织"]
    # One place left: the first tag takes it.
    assert len(full.tags) == 10 and "批量标签" in [tag.name for tag in full.tags]
    assert _actions(session, "question.bulk_tagged")[0].after["tags"] == ["批量标签", "另一个"]
    with pytest.raises(DomainError):
        services.bulk_tag(session, people["editor"], bank, [tagged], [], FIXED_NOW)


def test_default_bank_is_created_once_and_owned_by_the_root(session, people):
    first = services.default_bank(session, FIXED_NOW)
    assert services.default_bank(session, FIXED_NOW).id == first.id
    assert first.unit_id == people["root"].id and first.is_default


def test_to_draft_round_trips(session, people):
    bank = make_bank(session)
    question = make_question(session, bank, people["editor"])
    draft = services.to_draft(question.current_version)
    original = single_draft()
    assert (draft.type, draft.stem, draft.spec, draft.points) == (
        "single",
        original.stem,
        original.spec,
        Decimal("2"),
    )
    assert draft.knowledge_point == original.knowledge_point and draft.tags == ["组织"]
    assert (draft.source_document, draft.source_version) == (
        original.source_document,
        original.source_version,
    )


def test_stem_index_and_export_versions(session, people):
    bank = make_bank(session)
    first = make_question(session, bank, people["editor"])
    second = make_question(
        session,
        bank,
        people["editor"],
        stem="入党誓词是什么？",
        type="short",
        spec={"reference": "誓词"},
    )
    assert queries.stem_index(session, bank) == {
        "党的最高领导机关是什么": first.id,
        "入党誓词是什么": second.id,
    }
    versions = queries.export_versions(session, bank, QuestionFilters(type="short"))
    assert [v.question_id for v in versions] == [second.id]
    assert len(queries.export_versions(session, bank, None)) == 2


def test_filters_narrow_the_list(session, people):
    bank = make_bank(session)
    a = make_question(session, bank, people["editor"], difficulty=1)
    b = make_question(
        session, bank, people["editor"], stem="二", knowledge_point=["党史"], tags=["史"]
    )
    c = make_question(session, bank, people["editor"], stem="三", source_version="2017-10-24")

    def ids(**kwargs):
        return {
            q.id for q in queries.questions_page(session, bank, QuestionFilters(**kwargs)).questions
        }

    assert ids(difficulty=1) == {a.id}
    parent = a.knowledge_point.parent
    assert ids(knowledge_point_id=parent.id) == {a.id, c.id}
    assert ids(tag_id=b.tags[0].id) == {b.id}
    assert ids(source_id=c.current_version.source_id) == {c.id}
    assert ids(status=QuestionStatus.ACTIVE) == set()
    assert ids(type="single") == {a.id, b.id, c.id}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("最高领导", {"stem"}),
        ("领导机关", {"stem"}),
        ("党史", {"kp"}),
        ("重点", {"tag"}),
        ("%", {"percent"}),
        ("_", {"underscore"}),
        ("\\", {"backslash"}),
        ("'", {"quote"}),
        ("' OR 1=1 --", set()),
        ('"; DROP TABLE questions; --', set()),
        ("1 UNION SELECT password FROM users", set()),
        ("不存在的词", set()),
    ],
)
def test_search_is_a_literal_substring_match(session, people, query, expected):
    bank = make_bank(session)
    made = {
        "stem": make_question(session, bank, people["editor"], knowledge_point=[], tags=[]),
        "kp": make_question(
            session, bank, people["editor"], stem="一", knowledge_point=["党史"], tags=[]
        ),
        "tag": make_question(
            session, bank, people["editor"], stem="二", knowledge_point=[], tags=["重点"]
        ),
        "percent": make_question(
            session, bank, people["editor"], stem="比例为100%", knowledge_point=[], tags=[]
        ),
        "underscore": make_question(
            session, bank, people["editor"], stem="填空____题", knowledge_point=[], tags=[]
        ),
        "backslash": make_question(
            session, bank, people["editor"], stem="路径a\\b", knowledge_point=[], tags=[]
        ),
        "quote": make_question(
            session, bank, people["editor"], stem="It's 党课", knowledge_point=[], tags=[]
        ),
    }
    found = {
        q.id for q in queries.questions_page(session, bank, QuestionFilters(search=query)).questions
    }
    assert found == {made[name].id for name in expected}


def test_search_is_capped_at_100_characters(session, people):
    bank = make_bank(session)
    question = make_question(session, bank, people["editor"], stem="甲" * 150)
    page = queries.questions_page(session, bank, QuestionFilters(search="甲" * 100 + "乙" * 4900))
    assert [q.id for q in page.questions] == [question.id]


@pytest.mark.parametrize("fetch_all", [1, 500])
def test_list_pages_and_counts_agree_on_both_paths(session, people, monkeypatch, fetch_all):
    monkeypatch.setattr(question_list, "PAGE_SIZE", 2)
    monkeypatch.setattr(question_list, "FETCH_ALL_IDS", fetch_all)
    bank = make_bank(session)
    made = [make_question(session, bank, people["editor"], stem=f"题{n}") for n in range(5)]
    services.submit_for_review(session, people["editor"], made[0], FIXED_NOW)
    page = queries.questions_page(session, bank, QuestionFilters(search="题"), page=2)
    assert [q.id for q in page.questions] == [made[2].id, made[1].id]
    assert (page.total, page.pages) == (5, 3)
    assert page.status_counts[QuestionStatus.DRAFT] == 4
    assert page.status_counts[QuestionStatus.IN_REVIEW] == 1
    review = queries.questions_page(
        session, bank, QuestionFilters(status=QuestionStatus.IN_REVIEW), page=9
    )
    assert ([q.id for q in review.questions], review.total, review.page) == ([made[0].id], 1, 1)
    assert review.status_counts[QuestionStatus.DRAFT] == 4


@pytest.mark.parametrize(
    ("kwargs", "narrowed"),
    [
        ({}, False),
        ({"status": QuestionStatus.ACTIVE}, False),
        ({"search": "   "}, False),
        ({"search": "党"}, True),
        ({"type": "single"}, True),
        ({"difficulty": 3}, True),
        ({"knowledge_point_id": 1}, True),
        ({"tag_id": 1}, True),
        ({"source_id": 1}, True),
        ({"ids": [1]}, True),
    ],
)
def test_only_filters_other_than_the_status_narrow_the_list(kwargs, narrowed):
    assert question_list._narrowed(QuestionFilters(**kwargs)) is narrowed


def test_the_whole_bank_is_counted_and_paged_like_a_search_matching_everything(
    session, people, monkeypatch
):
    monkeypatch.setattr(question_list, "PAGE_SIZE", 2)
    monkeypatch.setattr(question_list, "FETCH_ALL_IDS", 1)
    bank = make_bank(session)
    make_question(session, make_bank(session, name="别的题库"), people["editor"], stem="题外")
    made = [make_question(session, bank, people["editor"], stem=f"题{n}") for n in range(5)]
    for question in made[:3]:
        services.submit_for_review(session, people["editor"], question, FIXED_NOW)
    for status in (None, QuestionStatus.DRAFT, QuestionStatus.IN_REVIEW, QuestionStatus.ACTIVE):
        for number in (1, 2, 3):
            whole = queries.questions_page(session, bank, QuestionFilters(status=status), number)
            searched = queries.questions_page(
                session, bank, QuestionFilters(status=status, search="题"), number
            )
            assert whole.questions == searched.questions
            assert (whole.total, whole.page, whole.pages) == (
                searched.total,
                searched.page,
                searched.pages,
            )
            assert whole.status_counts == searched.status_counts
    whole = queries.questions_page(session, bank, QuestionFilters(), page=1)
    assert [q.id for q in whole.questions] == [made[4].id, made[3].id]
    assert (whole.total, whole.pages) == (5, 3)
    assert list(whole.status_counts.items()) == [
        (QuestionStatus.DRAFT, 2),
        (QuestionStatus.IN_REVIEW, 3),
        (QuestionStatus.ACTIVE, 0),
        (QuestionStatus.RETIRED, 0),
    ]
    review = queries.questions_page(session, bank, QuestionFilters(status=QuestionStatus.IN_REVIEW))
    assert [q.id for q in review.questions] == [made[2].id, made[1].id]
    assert review.usage == {made[2].id: 0, made[1].id: 0}


@pytest.mark.skipif(DB_KIND != "sqlite", reason="SQLite's query planner, without statistics")
def test_sqlite_counts_a_bank_on_the_index_and_pages_it_in_id_order(session, people):
    bank = make_bank(session)

    def plan(query) -> str:
        compiled = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        rows = session.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}")).all()
        return " | ".join(row[-1] for row in rows)

    counts = sa.select(Question.status, sa.func.count()).where(Question.bank_id == bank.id)
    assert "COVERING INDEX ix_questions_status_bank_id" in plan(counts.group_by(Question.status))
    newest = sa.select(Question.id).where(Question.bank_id == bank.id).order_by(Question.id.desc())
    assert plan(newest.limit(30)) == "SCAN questions"
    one_status = newest.where(Question.status == QuestionStatus.ACTIVE).limit(30)
    assert "TEMP B-TREE" not in plan(one_status)


def test_renaming_a_knowledge_point_renames_its_subtree_and_is_audited(session, people):
    bank = make_bank(session)
    question = make_question(session, bank, knowledge_point=["党章", "第一章 党员", "义务"])
    make_question(session, bank, stem="另一题", knowledge_point=["党章", "第一张 党员"])
    chapter = question.knowledge_point.parent
    services.rename_knowledge_point(
        session, people["editor"], chapter, " 第一章　党员们 ", FIXED_NOW
    )
    assert chapter.full_name == "党章 › 第一章　党员们"
    assert question.knowledge_point.full_name == "党章 › 第一章　党员们 › 义务"
    assert _actions(session, "knowledge_point.renamed")[0].before == {
        "full_name": "党章 › 第一章 党员"
    }
    # New imports find the renamed node by its new path, not the old one.
    again = make_question(session, bank, stem="第三题", knowledge_point=["党章", "第一章　党员们"])
    assert again.knowledge_point_id == chapter.id
    typo = session.scalar(sa.select(KnowledgePoint).where(KnowledgePoint.name == "第一张 党员"))
    with pytest.raises(DomainError, match="already exists"):
        services.rename_knowledge_point(
            session, people["editor"], typo, "第一章　党员们", FIXED_NOW
        )
    for bad in ("", "  ", "党章/第一章", "a › b", "a > b"):
        with pytest.raises(DomainError, match="without"):
            services.rename_knowledge_point(session, people["editor"], typo, bad, FIXED_NOW)
    assert typo.name == "第一张 党员"


def test_a_knowledge_point_is_removed_only_when_nothing_refers_to_it(session, people):
    from learnapp.quizzes.models import Composition, QuizRule
    from tests.quizzes.helpers import make_paper, make_quiz

    bank = make_bank(session)
    question = make_question(session, bank, knowledge_point=["党章", "第一张"])
    typo = question.knowledge_point
    parent = typo.parent
    with pytest.raises(DomainError, match="under it"):
        services.delete_knowledge_point(session, people["editor"], parent, FIXED_NOW)
    with pytest.raises(DomainError, match="Questions still belong"):
        services.delete_knowledge_point(session, people["editor"], typo, FIXED_NOW)
    services.bulk_move(session, people["editor"], bank, [question], ["党章", "第一章"], FIXED_NOW)

    quiz = make_quiz(
        session, people["root"], make_paper(session), publish=False, composition=Composition.RANDOM
    )
    rule = QuizRule(
        quiz_id=quiz.id, position=99, bank_id=bank.id, knowledge_point_id=typo.id, count=1, points=1
    )
    session.add(rule)
    session.flush()
    with pytest.raises(DomainError, match="A quiz draws"):
        services.delete_knowledge_point(session, people["editor"], typo, FIXED_NOW)
    assert session.get(KnowledgePoint, typo.id) is not None  # the savepoint kept the rest
    session.delete(rule)
    session.flush()

    typo_id = typo.id
    services.delete_knowledge_point(session, people["editor"], typo, FIXED_NOW)
    session.flush()
    assert session.get(KnowledgePoint, typo_id) is None
    assert _actions(session, "knowledge_point.deleted")[0].before == {"full_name": "党章 › 第一张"}
    counts = queries.knowledge_point_counts(session, bank)
    assert counts == {parent.id: 1, question.knowledge_point_id: 1}


def test_knowledge_points_come_in_tree_order_reading_chinese_numbers(session):
    bank = make_bank(session)
    for path in (
        ["党章", "第十一章 党徽党旗"],
        ["党章", "第三章 党的中央组织"],
        ["条例"],
        ["党章", "总纲"],
        ["党章", "第一章 党员", "第10节"],
        ["党章", "第一章 党员", "第2节"],
        ["党章", "第二十三章"],
    ):
        services.add_question(
            session, None, bank, single_draft(stem="/".join(path), knowledge_point=path), FIXED_NOW
        )
    assert [point.full_name for point in queries.knowledge_points(session, bank)] == [
        "党章",
        "党章 › 总纲",
        "党章 › 第一章 党员",
        "党章 › 第一章 党员 › 第2节",
        "党章 › 第一章 党员 › 第10节",
        "党章 › 第三章 党的中央组织",
        "党章 › 第十一章 党徽党旗",
        "党章 › 第二十三章",
        "条例",
    ]


@pytest.mark.parametrize(
    ("stem", "blanks"),
    [
        ("党的最高领导机关是什么？", [["全国代表大会"]]),
        ("党的____和____", [["全国代表大会"]]),
        ("党的____", [["全国代表大会"], ["中央委员会"]]),
    ],
)
def test_a_fill_stem_marks_one_blank_per_answer_everywhere(session, people, stem, blanks):
    bank = make_bank(session)
    draft = single_draft(stem=stem, type="fill", spec={"blanks": blanks, "any_order": False})
    for attempt in (
        lambda: services.check_draft(draft),
        lambda: services.add_question(session, people["editor"], bank, draft, FIXED_NOW),
        lambda: services.add_questions(session, people["editor"], bank, [draft], FIXED_NOW),
    ):
        with pytest.raises(DomainError) as refused:
            attempt()
        assert refused.value.field == "stem"
    good = single_draft(stem="党的____和____", type="fill", spec={"blanks": [["甲"], ["乙"]]})
    question = services.add_question(session, people["editor"], bank, good, FIXED_NOW)
    with pytest.raises(DomainError):
        services.update_question(session, people["editor"], question, draft, FIXED_NOW)


def test_search_terms_split_on_any_space_and_drop_repeats():
    assert queries.search_terms(" 遵义会议\u3000长征  遵义会议 ") == ["遵义会议", "长征"]
    assert queries.search_terms("") == []
    assert len(queries.search_terms(" ".join(str(n) for n in range(20)))) == queries.MAX_TERMS
