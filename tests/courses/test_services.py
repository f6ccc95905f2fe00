"""Course rules: states, audience visibility, 学时 suggestion, lesson numbers and versions."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from learnapp.courses.models import Course, CourseState, LessonKind
from learnapp.courses.queries import (
    course_outline,
    lesson_body_html,
    visible_courses,
    visible_lesson,
)
from learnapp.courses.services import (
    add_lesson,
    add_module,
    change_course_state,
    create_course,
    delete_course,
    move_lesson,
    suggest_nominal_hours,
    update_course,
    update_lesson,
)
from learnapp.errors import DomainError
from learnapp.hours.rules import DEFAULT_RULES, Rules
from learnapp.hours.services import add_rule_set
from learnapp.orgs.models import MemberCategory
from tests.courses.factories import make_course, make_lesson, make_module
from tests.factories import FIXED_NOW, make_user
from tests.world import build_world


@pytest.fixture
def world(session, ctx):
    return build_world(session)


def _course_with_lesson(session, world, **fields):
    course = make_course(session, owner_unit=world.root, **fields)
    lesson = make_lesson(session, module=make_module(session, course=course))
    return course, lesson


@pytest.mark.parametrize(
    ("minutes", "hours"),
    [(1, "0.25"), (14, "0.25"), (15, "0.50"), (29, "0.50"), (30, "1.00"), (95, "1.00")],
)
def test_nominal_hours_follow_the_length_bands(minutes, hours):
    assert suggest_nominal_hours(minutes * 60, Rules.from_json({})) == Decimal(hours)


def test_a_new_rule_set_version_changes_the_suggested_hours(session, world):
    bands = {**DEFAULT_RULES, "lesson_bands": [[2400, "2"], [600, "0.75"], [0, "0.1"]]}
    add_rule_set(
        session,
        world.admin,
        version="2026-1",
        effective_from=FIXED_NOW.date(),
        source="某单位学时折算办法（2026年）第三条",
        rules=Rules.from_json(bands),
        now=FIXED_NOW,
    )
    module = make_module(session, course=make_course(session, owner_unit=world.root))
    lesson = add_lesson(
        session,
        world.admin,
        module,
        title="节",
        kind=LessonKind.TEXT,
        length_seconds=20 * 60,
        body_source="正文",
        now=FIXED_NOW,
    )
    assert lesson.nominal_hours == Decimal("0.75")


def test_lesson_without_hours_gets_the_suggestion_and_keeps_an_edit(session, world):
    course = make_course(session, owner_unit=world.root, state=CourseState.DRAFT)
    module = make_module(session, course=course)
    lesson = add_lesson(
        session,
        world.admin,
        module,
        title="节",
        kind=LessonKind.TEXT,
        length_seconds=20 * 60,
        body_source="正文",
        now=FIXED_NOW,
    )
    assert lesson.nominal_hours == Decimal("0.50")
    assert lesson.required_share == Decimal("0.80")
    edited = add_lesson(
        session,
        world.admin,
        module,
        title="节",
        kind=LessonKind.TEXT,
        length_seconds=20 * 60,
        nominal_hours=Decimal("0.75"),
        now=FIXED_NOW,
    )
    assert edited.nominal_hours == Decimal("0.75")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("nominal_hours", Decimal("-1")),
        ("nominal_hours", Decimal("0")),
        ("nominal_hours", Decimal("8.01")),
        ("nominal_hours", Decimal("99999999999999999999")),
        ("nominal_hours", Decimal("NaN")),
        ("nominal_hours", Decimal("0.333")),
        ("required_share", Decimal("0")),
        ("required_share", Decimal("-0.5")),
        ("required_share", Decimal("1.01")),
        ("required_share", Decimal("Infinity")),
        ("length_seconds", 0),
        ("length_seconds", -60),
        ("length_seconds", 10**12),
    ],
)
def test_lesson_numbers_out_of_range_are_refused(session, world, field, value):
    module = make_module(session, course=make_course(session, owner_unit=world.root))
    values = {"length_seconds": 600, "required_share": Decimal("0.8"), "nominal_hours": None}
    values[field] = value
    with pytest.raises(DomainError):
        add_lesson(
            session, world.admin, module, title="节", kind=LessonKind.TEXT, now=FIXED_NOW, **values
        )


def test_required_share_of_one_is_allowed(session, world):
    module = make_module(session, course=make_course(session, owner_unit=world.root))
    lesson = add_lesson(
        session,
        world.admin,
        module,
        title="节",
        kind=LessonKind.TEXT,
        length_seconds=60,
        required_share=Decimal("1"),
        now=FIXED_NOW,
    )
    assert lesson.required_share == Decimal("1.00")


def test_state_transitions_refuse_illegal_moves(session, world):
    course, _lesson = _course_with_lesson(session, world, state=CourseState.DRAFT)
    change_course_state(session, world.admin, course, CourseState.PUBLISHED, FIXED_NOW)
    assert course.state == CourseState.PUBLISHED
    with pytest.raises(DomainError):
        change_course_state(session, world.admin, course, CourseState.PUBLISHED, FIXED_NOW)
    change_course_state(session, world.admin, course, CourseState.ARCHIVED, FIXED_NOW)
    with pytest.raises(DomainError):
        # An archived course goes back through draft before it is shown again.
        change_course_state(session, world.admin, course, CourseState.PUBLISHED, FIXED_NOW)
    change_course_state(session, world.admin, course, CourseState.DRAFT, FIXED_NOW)
    session.expire_all()
    assert course.state == CourseState.DRAFT


def test_a_state_change_from_a_stale_page_is_refused_without_blaming_anyone(session, world):
    course, _lesson = _course_with_lesson(session, world, state=CourseState.DRAFT)
    # Archived meanwhile (another tab, or another author): this page still shows a draft.
    session.execute(
        sa.update(Course)
        .where(Course.id == course.id)
        .values(state=CourseState.ARCHIVED)
        .execution_options(synchronize_session=False)
    )
    with pytest.raises(DomainError) as refused:
        change_course_state(session, world.admin, course, CourseState.PUBLISHED, FIXED_NOW)
    assert str(refused.value.message) == "该课程刚刚已被修改，请查看其当前状态后重试。"
    assert course.state == CourseState.ARCHIVED


def test_empty_course_and_video_without_file_cannot_be_published(session, world):
    empty = make_course(session, owner_unit=world.root, state=CourseState.DRAFT)
    with pytest.raises(DomainError):
        change_course_state(session, world.admin, empty, CourseState.PUBLISHED, FIXED_NOW)
    course = make_course(session, owner_unit=world.root, state=CourseState.DRAFT)
    make_lesson(
        session, module=make_module(session, course=course), kind=LessonKind.VIDEO, title="视频课"
    )
    with pytest.raises(DomainError, match="视频课"):
        change_course_state(session, world.admin, course, CourseState.PUBLISHED, FIXED_NOW)


def test_course_with_unstudied_lessons_can_be_deleted(session, world):
    course, _lesson = _course_with_lesson(session, world)
    delete_course(session, world.admin, course, FIXED_NOW)
    assert session.get(type(course), course.id) is None
    empty = make_course(session, owner_unit=world.root)
    make_module(session, course=empty)
    delete_course(session, world.admin, empty, FIXED_NOW)
    assert session.get(type(empty), empty.id) is None


def test_audience_whole_organisation_and_subtree(session, world):
    everyone = make_course(session, owner_unit=world.root, title="全体")
    branch_a = make_course(
        session, owner_unit=world.root, audience_units=[world.branch_a], title="甲"
    )
    general = make_course(
        session, owner_unit=world.root, audience_units=[world.general], title="总支"
    )
    make_course(session, owner_unit=world.root, state=CourseState.DRAFT, title="草稿")
    make_course(session, owner_unit=world.root, state=CourseState.ARCHIVED, title="归档")
    # member_a sits in group_a, below branch_a: the branch's course covers the group.
    assert {c.id for c in visible_courses(session, world.member_a)} == {
        everyone.id,
        branch_a.id,
        general.id,
    }
    assert {c.id for c in visible_courses(session, world.member_b)} == {everyone.id, general.id}
    outsider = make_user(session, unit=None)
    assert [c.id for c in visible_courses(session, outsider)] == [everyone.id]


def test_audience_categories(session, world):
    party = make_course(
        session,
        owner_unit=world.root,
        categories=[MemberCategory.FULL, MemberCategory.PROBATIONARY],
    )
    activists = make_course(session, owner_unit=world.root, categories=[MemberCategory.ACTIVIST])
    masses = make_user(session, unit=world.branch_b, category=MemberCategory.MASSES)
    assert [c.id for c in visible_courses(session, world.member_a)] == [party.id]
    assert visible_courses(session, masses) == []
    world.member_b.category = MemberCategory.ACTIVIST
    assert [c.id for c in visible_courses(session, world.member_b)] == [activists.id]


def test_required_courses_come_first(session, world):
    elective = make_course(session, owner_unit=world.root, is_required=False)
    required = make_course(session, owner_unit=world.root, is_required=True)
    assert [c.id for c in visible_courses(session, world.member_a)] == [required.id, elective.id]


def test_visible_lesson_only_in_published_audience(session, world):
    _course, lesson = _course_with_lesson(session, world, audience_units=[world.branch_a])
    assert visible_lesson(session, world.member_a, lesson.id) == lesson
    assert visible_lesson(session, world.member_b, lesson.id) is None
    _draft, draft_lesson = _course_with_lesson(session, world, state=CourseState.DRAFT)
    assert visible_lesson(session, world.member_a, draft_lesson.id) is None
    assert visible_lesson(session, world.member_a, 999_999) is None


def test_secretary_course_audience_stays_in_their_unit(session, world):
    course = create_course(
        session, world.secretary_a, title="支部课程", owner_unit=world.branch_a, now=FIXED_NOW
    )
    assert [u.id for u in course.audience_units] == [world.branch_a.id]
    with pytest.raises(DomainError):
        create_course(
            session,
            world.secretary_a,
            title="越权",
            owner_unit=world.branch_a,
            audience_units=[world.branch_b],
            now=FIXED_NOW,
        )
    with pytest.raises(DomainError):
        create_course(
            session, world.secretary_a, title="越权", owner_unit=world.branch_b, now=FIXED_NOW
        )
    with pytest.raises(DomainError):
        update_course(
            session,
            world.secretary_a,
            make_course(session, owner_unit=world.branch_b),
            title="x",
            summary="",
            is_required=False,
            audience_units=[],
            audience_categories=[],
            now=FIXED_NOW,
        )


def test_admin_course_without_units_is_for_everyone(session, world):
    course = create_course(
        session, world.admin, title="全体课程", owner_unit=world.root, now=FIXED_NOW
    )
    assert course.audience_units == []
    assert course.state == CourseState.DRAFT


@pytest.mark.parametrize("title", ["", "   ", "长" * 201])
def test_bad_titles_are_refused(session, world, title):
    with pytest.raises(DomainError):
        create_course(session, world.admin, title=title, owner_unit=world.root, now=FIXED_NOW)


def test_duplicate_and_malformed_slugs_are_refused(session, world):
    create_course(
        session, world.admin, title="甲", owner_unit=world.root, slug="same", now=FIXED_NOW
    )
    with pytest.raises(DomainError) as clash:
        create_course(
            session, world.admin, title="乙", owner_unit=world.root, slug="same", now=FIXED_NOW
        )
    assert clash.value.field == "slug"
    with pytest.raises(DomainError):
        create_course(
            session, world.admin, title="丙", owner_unit=world.root, slug="../etc", now=FIXED_NOW
        )


def test_changed_body_makes_a_new_version_and_old_ones_stay(session, world):
    _course, lesson = _course_with_lesson(session, world)
    first = lesson.current_version
    values = {
        "title": lesson.title,
        "kind": lesson.kind,
        "length_seconds": 600,
        "required_share": Decimal("0.8"),
        "nominal_hours": Decimal("0.25"),
        "sources": [],
    }
    assert update_lesson(
        session, world.admin, lesson, body_source="新的正文", now=FIXED_NOW, **values
    )
    second = lesson.current_version
    assert second.number == first.number + 1
    assert "新的正文" in lesson_body_html(session, lesson)
    assert first.body_source == "正文"
    # Saving the same content again changes nothing.
    assert not update_lesson(
        session, world.admin, lesson, body_source="新的正文", now=FIXED_NOW, **values
    )
    assert lesson.current_version.id == second.id


def test_script_in_body_is_made_inert(session, world):
    module = make_module(session, course=make_course(session, owner_unit=world.root))
    lesson = add_lesson(
        session,
        world.admin,
        module,
        title="<script>alert(1)</script>",
        kind=LessonKind.TEXT,
        length_seconds=60,
        body_source="<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))",
        now=FIXED_NOW,
    )
    html = lesson_body_html(session, lesson)
    assert "<script" not in html
    assert "onerror" not in html
    assert "javascript:" not in html
    # The title is stored as typed; templates escape it.
    assert lesson.title == "<script>alert(1)</script>"


def test_outline_and_reordering(session, world):
    course = make_course(session, owner_unit=world.root)
    first = add_module(session, world.admin, course, title="第一章", now=FIXED_NOW)
    second = add_module(session, world.admin, course, title="第二章", now=FIXED_NOW)
    a = make_lesson(session, module=first, title="甲")
    b = make_lesson(session, module=first, title="乙")
    assert move_lesson(session, world.admin, b, -1, FIXED_NOW)
    assert not move_lesson(session, world.admin, b, -1, FIXED_NOW)
    session.expire_all()
    outline = course_outline(session, course)
    assert [m.id for m, _ in outline] == [first.id, second.id]
    assert [lesson.id for lesson in outline[0][1]] == [b.id, a.id]


def test_lesson_moves_only_within_its_course(session, world):
    _course, lesson = _course_with_lesson(session, world)
    other = make_module(session, course=make_course(session, owner_unit=world.root))
    with pytest.raises(DomainError):
        update_lesson(
            session,
            world.admin,
            lesson,
            title="x",
            kind=LessonKind.TEXT,
            length_seconds=60,
            required_share=Decimal("0.8"),
            nominal_hours=None,
            body_source="",
            sources=[],
            module=other,
            now=FIXED_NOW,
        )


def test_authoring_summary_counts_only_courses_in_scope(session, world):
    from learnapp.courses.queries import authoring_summary

    make_course(session, owner_unit=world.branch_a, state=CourseState.DRAFT)
    make_course(session, owner_unit=world.branch_a)
    make_course(session, owner_unit=world.branch_b)
    make_course(session, owner_unit=world.root, state=CourseState.ARCHIVED)
    summary = authoring_summary(session, world.secretary_a)
    assert summary == {CourseState.DRAFT: 1, CourseState.PUBLISHED: 1, CourseState.ARCHIVED: 0}
    assert authoring_summary(session, world.admin)[CourseState.PUBLISHED] == 2
    assert sum(authoring_summary(session, world.member_a).values()) == 0


def _edit_numbers(session, world, lesson, *, length_seconds, nominal_hours):
    update_lesson(
        session,
        world.admin,
        lesson,
        title=lesson.title,
        kind=lesson.kind,
        length_seconds=length_seconds,
        required_share=lesson.required_share,
        nominal_hours=nominal_hours,
        body_source="正文",
        sources=[],
        now=FIXED_NOW,
    )


def test_hours_at_the_suggestion_follow_a_new_length(session, world):
    course = make_course(session, owner_unit=world.root, state=CourseState.DRAFT)
    lesson = add_lesson(
        session,
        world.admin,
        make_module(session, course=course),
        title="节",
        kind=LessonKind.TEXT,
        length_seconds=20 * 60,
        now=FIXED_NOW,
    )
    assert lesson.nominal_hours == Decimal("0.50")
    # The edit form sends back the stored 0.50 with the new length: the author took the
    # suggestion, so the hours follow the length.
    _edit_numbers(session, world, lesson, length_seconds=45 * 60, nominal_hours=Decimal("0.50"))
    assert lesson.nominal_hours == Decimal("1.00")
    # Left empty: the new length's suggestion too.
    _edit_numbers(session, world, lesson, length_seconds=10 * 60, nominal_hours=None)
    assert lesson.nominal_hours == Decimal("0.25")


def test_hours_the_author_chose_stay_when_the_length_changes(session, world):
    course = make_course(session, owner_unit=world.root, state=CourseState.DRAFT)
    lesson = add_lesson(
        session,
        world.admin,
        make_module(session, course=course),
        title="节",
        kind=LessonKind.TEXT,
        length_seconds=20 * 60,
        nominal_hours=Decimal("0.75"),
        now=FIXED_NOW,
    )
    _edit_numbers(session, world, lesson, length_seconds=45 * 60, nominal_hours=Decimal("0.75"))
    assert lesson.nominal_hours == Decimal("0.75")
    # A new value typed with the new length wins over the suggestion.
    _edit_numbers(session, world, lesson, length_seconds=50 * 60, nominal_hours=Decimal("0.50"))
    assert lesson.nominal_hours == Decimal("0.50")
