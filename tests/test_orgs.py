import io
import re
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from learnapp.accounts.models import User
from learnapp.accounts.services.users import create_user
from learnapp.audit.models import AuditEntry
from learnapp.errors import DomainError
from learnapp.orgs.imports import example_unit_name
from learnapp.orgs.models import (
    MemberCategory,
    MemberTransfer,
    Role,
    RoleAssignment,
    Unit,
    UnitKind,
)
from learnapp.orgs.queries import party_members_in, sizing_warnings
from learnapp.orgs.roles import grant_role
from learnapp.orgs.services import create_unit, move_member
from tests.conftest import reload
from tests.factories import make_unit, make_user
from tests.world import build_world

HEADER = "姓名,用户名,所在组织,党员类别,手机号,流动党员,离退休,年老体弱\n"


def _count(session, model) -> int:
    reload(session)
    return session.scalar(sa.select(sa.func.count()).select_from(model))


# --- services -------------------------------------------------------------------------------


def test_units_nest_as_the_domain_says(ctx, session, clock):
    world = build_world(session)
    group = create_unit(
        session,
        world.admin,
        name="新党小组",
        kind=UnitKind.GROUP,
        parent=world.branch_b,
        now=clock(),
    )
    assert group.path == f"{world.branch_b.path}{group.id}/"
    with pytest.raises(DomainError) as refused:
        create_unit(
            session,
            world.admin,
            name="错层",
            kind=UnitKind.BRANCH,
            parent=world.group_a,
            now=clock(),
        )
    assert refused.value.field == "kind"


def test_secretary_cannot_add_units_outside_their_subtree(ctx, session, clock):
    world = build_world(session)
    with pytest.raises(DomainError):
        create_unit(
            session,
            world.secretary_a,
            name="越权",
            kind=UnitKind.GROUP,
            parent=world.branch_b,
            now=clock(),
        )
    with pytest.raises(DomainError):
        create_unit(
            session,
            world.secretary_a,
            name="顶层",
            kind=UnitKind.COMMITTEE,
            parent=None,
            now=clock(),
        )


def test_moving_a_member_keeps_history_and_is_audited(ctx, session, clock):
    world = build_world(session)
    move_member(
        session,
        world.general_secretary,
        world.member_a,
        world.branch_b,
        reason="工作调动",
        now=clock(),
    )
    transfer = session.scalar(sa.select(MemberTransfer))
    assert (transfer.from_unit_id, transfer.to_unit_id) == (world.group_a.id, world.branch_b.id)
    assert world.member_a.unit_id == world.branch_b.id
    assert session.scalar(sa.select(AuditEntry.action)) == "member.moved"


def test_a_secretary_cannot_pull_a_member_in_from_another_branch(ctx, session, clock):
    world = build_world(session)
    with pytest.raises(DomainError):
        move_member(
            session, world.secretary_a, world.member_b, world.branch_a, reason="调动", now=clock()
        )
    with pytest.raises(DomainError):
        move_member(
            session, world.secretary_a, world.member_a, world.branch_b, reason="调动", now=clock()
        )


def test_a_move_without_a_reason_is_refused_and_moves_nobody(ctx, session, clock):
    world = build_world(session)
    with pytest.raises(DomainError) as refused:
        move_member(
            session,
            world.general_secretary,
            world.member_a,
            world.branch_b,
            reason="  ",
            now=clock(),
        )
    assert refused.value.field == "reason"
    assert world.member_a.unit_id == world.group_a.id
    assert session.scalar(sa.select(sa.func.count()).select_from(MemberTransfer)) == 0


def test_only_admins_grant_roles(ctx, session, clock):
    world = build_world(session)
    with pytest.raises(DomainError):
        grant_role(session, world.secretary_a, world.secretary_a, world.root, Role.ADMIN, clock())
    grant_role(session, world.admin, world.member_b, world.branch_b, Role.SECRETARY, clock())
    assert session.scalar(sa.select(sa.func.count()).select_from(RoleAssignment)) == 4


def test_sizing_warnings_warn_and_never_refuse(ctx, session):
    world = build_world(session)
    warnings = [str(w) for w in sizing_warnings(session, world.branch_b)]
    assert any("3" in w for w in warnings)
    for number in range(8):
        make_user(session, unit=world.branch_b, username=f"extra{number}")
    warnings = [str(w) for w in sizing_warnings(session, world.branch_b)]
    assert any("支委会" in w for w in warnings)


def test_party_members_in_a_unit_are_its_subtrees_active_party_members_by_name(ctx, session):
    committee = make_unit(session, kind=UnitKind.COMMITTEE)
    branch = make_unit(session, parent=committee)
    group = make_unit(session, parent=branch, kind=UnitKind.GROUP)
    other = make_unit(session, parent=committee)
    third = make_user(session, unit=branch, display_name="党员3")
    first = make_user(
        session, unit=group, display_name="党员1", category=MemberCategory.PROBATIONARY
    )
    second = make_user(session, unit=branch, display_name="党员2")
    make_user(session, unit=branch, display_name="党员4", category=MemberCategory.CANDIDATE)
    make_user(session, unit=group, display_name="党员5", is_active=False)
    make_user(session, unit=other, display_name="党员6")
    make_user(session, unit=committee, display_name="党员7")
    assert list(session.scalars(party_members_in(branch))) == [first, second, third]
    assert list(session.scalars(party_members_in(group))) == [first]


# --- views: scope ---------------------------------------------------------------------------


def test_secretary_sees_their_branch_and_gets_404_elsewhere(auth, session):
    world = build_world(session)
    auth.login("seca")
    assert auth.client.get(f"/units/{world.branch_a.id}").status_code == 200
    assert auth.client.get(f"/members/{world.member_a.id}").status_code == 200
    for path in (
        f"/units/{world.branch_b.id}",
        f"/units/{world.general.id}",
        f"/members/{world.member_b.id}",
        f"/members/{world.member_b.id}/edit",
        f"/units/{world.branch_b.id}/import",
        f"/units/new?parent={world.branch_b.id}",
    ):
        assert auth.client.get(path).status_code == 404, path


def test_unit_tree_lists_only_the_secretarys_subtree(auth, session):
    world = build_world(session)
    auth.login("seca")
    page = auth.client.get("/units").get_data(as_text=True)
    assert world.branch_a.name in page
    assert world.group_a.name in page
    assert world.branch_b.name not in page


def test_member_list_masks_phone_numbers(auth, session):
    world = build_world(session)
    auth.login("seca")
    page = auth.client.get(f"/units/{world.branch_a.id}").get_data(as_text=True)
    assert "138****5678" in page
    assert "13812345678" not in page


def test_the_breadcrumb_links_only_the_units_the_viewer_manages(auth, session):
    world = build_world(session)
    auth.login("seca")
    page = auth.client.get(f"/units/{world.group_a.id}").get_data(as_text=True)
    crumbs = page[page.index('<ol class="breadcrumb">') : page.index("</ol>")]
    # The whole chain shows, top first; the units above the branch are text, not dead links.
    assert crumbs.index(world.root.name) < crumbs.index(world.general.name)
    assert crumbs.index(world.general.name) < crumbs.index(world.branch_a.name)
    assert f'href="/units/{world.root.id}"' not in crumbs
    assert f'href="/units/{world.general.id}"' not in crumbs
    assert f'href="/units/{world.branch_a.id}"' in crumbs
    auth.logout()
    auth.login("gsec")
    page = auth.client.get(f"/units/{world.branch_a.id}").get_data(as_text=True)
    crumbs = page[page.index('<ol class="breadcrumb">') : page.index("</ol>")]
    assert f'href="/units/{world.general.id}"' in crumbs
    assert f'href="/units/{world.root.id}"' not in crumbs and world.root.name in crumbs


def test_the_member_list_shows_each_members_user_name(auth, session):
    world = build_world(session)
    auth.login("seca")
    page = auth.client.get(f"/units/{world.branch_a.id}").get_data(as_text=True)
    names = re.findall(r'data-testid="member-username"><code[^>]*>([^<]+)<', page)
    assert world.member_a.username in names and world.secretary_a.username in names


def test_a_general_secretary_moves_a_member_through_the_form(auth, session):
    world = build_world(session)
    auth.login("gsec")
    response = auth.post(
        f"/members/{world.member_a.id}/move", {"unit_id": world.branch_b.id, "reason": "调动"}
    )
    assert response.status_code == 302
    reload(session)
    assert session.get(User, world.member_a.id).unit_id == world.branch_b.id
    detail = auth.client.get(f"/members/{world.member_a.id}").get_data(as_text=True)
    assert "调动" in detail


def test_move_form_offers_no_unit_outside_scope(auth, session):
    world = build_world(session)
    auth.login("seca")
    response = auth.post(
        f"/members/{world.member_a.id}/move", {"unit_id": world.branch_b.id, "reason": ""}
    )
    assert response.status_code == 400
    reload(session)
    assert session.get(User, world.member_a.id).unit_id == world.group_a.id


def _field_tag(page: str, name: str) -> str:
    return re.search(rf'<(?:input|select)\b[^>]*\bname="{name}"[^>]*>', page).group(0)


def test_the_move_form_starts_on_a_placeholder_and_picks_nothing_by_itself(auth, session):
    world = build_world(session)
    auth.login("gsec")
    page = auth.client.get(f"/members/{world.member_a.id}/move").get_data(as_text=True)
    picker = page[page.index('name="unit_id"') : page.index("</select>")]
    options = re.findall(r"<option[^>]*>", picker)
    assert 'value=""' in options[0] and "selected" in options[0]
    assert not any("selected" in option for option in options[1:])
    assert f'value="{world.branch_b.id}"' in picker


def test_confirming_a_move_without_a_unit_or_reason_is_refused_and_moves_nobody(auth, session):
    world = build_world(session)
    auth.login("gsec")
    response = auth.post(f"/members/{world.member_a.id}/move", {"unit_id": "", "reason": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    # Both problems at once, each on its field.
    assert "is-invalid" in _field_tag(page, "unit_id")
    assert "is-invalid" in _field_tag(page, "reason")
    response = auth.post(
        f"/members/{world.member_a.id}/move", {"unit_id": world.branch_b.id, "reason": " "}
    )
    assert response.status_code == 400
    assert "is-invalid" in _field_tag(response.get_data(as_text=True), "reason")
    reload(session)
    assert session.get(User, world.member_a.id).unit_id == world.group_a.id
    assert _count(session, MemberTransfer) == 0
    assert _count(session, AuditEntry) == 0


def test_the_add_member_form_shows_every_field_error_at_once(auth, session):
    world = build_world(session)
    auth.login("seca")
    response = auth.post(
        f"/units/{world.branch_a.id}/members/new",
        {"username": "Zhang San", "display_name": "张三", "category": "full", "phone": "12345"},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "is-invalid" in _field_tag(page, "username")
    assert "is-invalid" in _field_tag(page, "phone")
    assert "只能使用小写字母" in page and "手机号码格式不正确" in page
    assert _count(session, User) == 5


def test_member_edit_refuses_formula_names(auth, session):
    world = build_world(session)
    auth.login("seca")
    response = auth.post(
        f"/members/{world.member_a.id}/edit",
        {"display_name": "=HYPERLINK(1)", "category": "full", "phone": ""},
    )
    assert response.status_code == 400
    assert _count(session, AuditEntry) == 0


def test_secretary_adds_a_party_group(auth, session):
    world = build_world(session)
    auth.login("seca")
    response = auth.post(
        f"/units/new?parent={world.branch_a.id}",
        {"name": "第二党小组", "kind": "group", "timezone": "Asia/Shanghai"},
    )
    assert response.status_code == 302
    reload(session)
    assert session.scalar(sa.select(Unit).where(Unit.name == "第二党小组")).parent_id == (
        world.branch_a.id
    )


# --- member import --------------------------------------------------------------------------


def _upload(auth, unit_id, content: bytes, name="members.csv"):
    return auth.post(
        f"/units/{unit_id}/import",
        {"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def _confirm(auth, unit_id, page_text):
    import re

    token = re.search(r'name="token" value="([^"]+)"', page_text).group(1)
    return auth.post(f"/units/{unit_id}/import/confirm", {"token": token})


@pytest.mark.parametrize(
    ("encoding", "bom"), [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gbk", b"")]
)
def test_member_import_reads_utf8_with_or_without_bom_and_gbk(auth, session, encoding, bom):
    world = build_world(session)
    auth.login("seca")
    content = bom + (
        HEADER + "张三,zhangsan,甲第一党小组,正式党员,13800000000,否,否,否\n"
        "李四,lisi,甲支部,入党积极分子,,是,,\n"
    ).encode(encoding)
    preview = _upload(auth, world.branch_a.id, content)
    assert preview.status_code == 200, preview.get_data(as_text=True)
    assert "张三" in preview.get_data(as_text=True)
    assert _count(session, User) == 5
    done = _confirm(auth, world.branch_a.id, preview.get_data(as_text=True))
    assert done.status_code == 302
    assert _count(session, User) == 7
    lisi = session.scalar(sa.select(User).where(User.username == "lisi"))
    assert lisi.unit_id == world.branch_a.id and lisi.is_mobile
    assert session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "members.imported"))


def test_member_import_lists_every_bad_row_and_stores_nothing(auth, session):
    world = build_world(session)
    auth.login("seca")
    content = (
        HEADER + "好人,goodone,甲支部,正式党员,,,,\n"
        "王五,wangwu,甲支部,党员,,,,\n"
        "赵六,mema,甲支部,正式党员,,,,\n"
        "孙七,sunqi,乙支部,正式党员,,,,\n"
        "=cmd|' /C calc'!A0,formula,甲支部,正式党员,,,,\n"
        "周八,sunqi2,甲支部,正式党员,,也许,,\n"
        "吴九,goodone,甲支部,正式党员,,,,\n"
    ).encode()
    response = _upload(auth, world.branch_a.id, content)
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'name="token"' not in text
    for row, column in [
        (3, "党员类别"),
        (4, "用户名"),
        (5, "所在组织"),
        (6, "姓名"),
        (7, "流动党员"),
        (8, "用户名"),
    ]:
        assert f"<td>{row}</td><td>{column}</td>" in text, (row, column)
    assert "<td>2</td>" not in text
    assert _count(session, User) == 5


def test_member_import_refuses_a_row_in_a_deactivated_unit(auth, session, clock):
    world = build_world(session)
    closed = make_unit(session, parent=world.branch_a, name="旧小组", kind=UnitKind.GROUP)
    closed.is_active = False
    session.commit()
    auth.login("seca")
    content = (HEADER + "张三,zhangsan,旧小组,正式党员,,,,\n").encode()
    response = _upload(auth, world.branch_a.id, content)
    assert response.status_code == 400
    assert "<td>2</td><td>所在组织</td>" in response.get_data(as_text=True)
    assert 'name="token"' not in response.get_data(as_text=True)
    assert _count(session, User) == 5


def test_no_account_is_created_in_a_deactivated_unit(session, clock):
    world = build_world(session)
    closed = make_unit(session, parent=world.branch_a, name="旧小组", kind=UnitKind.GROUP)
    closed.is_active = False
    session.commit()
    with pytest.raises(DomainError) as refused:
        create_user(
            session, world.admin, username="newbie", display_name="新人", now=clock(), unit=closed
        )
    assert refused.value.field == "unit_id"
    session.rollback()
    assert session.scalar(sa.select(User).where(User.username == "newbie")) is None


def test_member_import_refuses_files_that_are_not_tables(auth, session):
    world = build_world(session)
    auth.login("seca")
    for content, name in [
        (b"\x89PNG\r\n\x1a\n" + b"0" * 100, "members.xlsx"),
        (b"a,b\x00c\n", "members.csv"),
        (b"MZ", "members.exe"),
    ]:
        response = _upload(auth, world.branch_a.id, content, name)
        assert response.status_code == 400
        assert 'data-testid="file-error"' in response.get_data(as_text=True)


def test_member_import_names_the_line_of_a_stray_byte_in_a_utf8_file(auth, session):
    world = build_world(session)
    auth.login("seca")
    content = (
        HEADER + "张三,zhangsan,甲第一党小组,正式党员,,,,\n李四,lisi,甲支部,正式党员,,,,\n"
    ).encode() + b"Jos\xe9,jose,\xe7\x94\xb2\xe6\x94\xaf\xe9\x83\xa8,\n"
    response = _upload(auth, world.branch_a.id, content)
    assert response.status_code == 400
    message = re.search(r'data-testid="file-error">([^<]+)<', response.get_data(as_text=True))
    assert (
        message.group(1) == "文件编码既不是 UTF-8，也不是 GBK/GB18030（第 4 行出现首个无效字节）。"
    )
    assert _count(session, User) == 5


def test_member_import_accepts_the_downloaded_template_as_it_is(auth, session):
    world = build_world(session)
    auth.login("seca")
    template = auth.client.get(f"/units/{world.branch_a.id}/import/template.xlsx")
    assert template.status_code == 200
    disposition = template.headers["Content-Disposition"]
    assert 'filename="member-import-template.xlsx"' in disposition
    assert f"filename*=UTF-8''{quote('成员导入模板.xlsx')}" in disposition
    from openpyxl import load_workbook

    # The example row names a unit of the importer's own organisation.
    assert load_workbook(io.BytesIO(template.data)).worksheets[0]["C2"].value == "甲支部"
    preview = _upload(auth, world.branch_a.id, template.data, "成员.xlsx")
    assert preview.status_code == 200, preview.get_data(as_text=True)
    assert 'data-testid="import-warning"' not in preview.get_data(as_text=True)
    assert _confirm(auth, world.branch_a.id, preview.get_data(as_text=True)).status_code == 302
    member = session.scalar(sa.select(User).where(User.username == "zhangsan01"))
    assert member.unit_id == world.branch_a.id


def test_member_import_warns_of_members_on_a_sheet_it_does_not_read(auth, session):
    from openpyxl import Workbook

    world = build_world(session)
    workbook = Workbook()
    workbook.active.title = "甲支部"
    workbook.active.append(["姓名", "用户名", "所在组织", "党员类别"])
    workbook.active.append(["第一页", "page-one", "甲支部", "正式党员"])
    other = workbook.create_sheet("第二批")
    other.append(["姓名", "用户名", "所在组织", "党员类别"])
    other.append(["第二页", "page-two", "甲支部", "正式党员"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    auth.login("seca")
    preview = _upload(auth, world.branch_a.id, buffer.getvalue(), "成员.xlsx")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    warning = re.search(r'data-testid="import-warning">([^<]+)<', page).group(1)
    assert warning == (
        "只读取第一个工作表。以下工作表也有数据，但未被读取：第二批。请把所有行放在第一个工作表中。"
    )
    assert _confirm(auth, world.branch_a.id, page).status_code == 302
    session.rollback()
    names = set(session.scalars(sa.select(User.username).where(User.username.like("page-%"))))
    assert names == {"page-one"}


def test_the_template_example_names_a_unit_a_row_may_name(ctx, session):
    world = build_world(session)
    # A branch comes before the units below it.
    assert example_unit_name(session, world.branch_a) == "甲支部"
    assert example_unit_name(session, world.group_a) == "甲第一党小组"
    assert example_unit_name(session, world.general) in {"甲支部", "甲第一党小组", "乙支部"}
    # Neither a name two units share (the row would be ambiguous) nor a deactivated unit.
    make_unit(session, parent=world.branch_b, name="甲支部", kind=UnitKind.GROUP)
    world.group_a.is_active = False
    session.flush()
    assert example_unit_name(session, world.general) == "乙支部"
    # Nothing under the unit takes members: an example that reads as one.
    empty = make_unit(session, parent=world.root, name="空党总支", kind=UnitKind.GENERAL_BRANCH)
    placeholder = example_unit_name(session, empty)
    assert "示例" in placeholder
    assert not session.scalar(sa.select(Unit).where(Unit.name == placeholder))


def _xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    for row in [HEADER.strip().split(","), *rows]:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_formula_cell_in_an_xlsx_is_reported_as_a_formula_and_nothing_is_stored(auth, session):
    world = build_world(session)
    auth.login("seca")
    # openpyxl writes a text starting with = as a formula, with no cached value: before the
    # fix the name read as empty and was reported as missing.
    content = _xlsx(
        [
            ['=HYPERLINK("x")', "zhangsan", "甲支部", "正式党员", "", "否", "否", "否"],
            ["李四", "lisi", "甲支部", "正式党员", "=A1", "否", "否", "否"],
            ["王五", "wangwu", "甲支部", "正式党员", "+8613800000000", "否", "否", "否"],
        ]
    )
    response = _upload(auth, world.branch_a.id, content, "成员.xlsx")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    problems = re.findall(r"<tr><td>(\d+)</td><td>([^<]+)</td><td>([^<]+)</td></tr>", text)
    formula = "单元格内容不能以 =、+、- 或 @ 开头"
    assert [(row, column) for row, column, _ in problems] == [("2", "姓名"), ("3", "手机号")]
    assert all(formula in message for _, _, message in problems)
    assert 'name="token"' not in text
    assert _count(session, User) == 5


def test_the_member_count_of_a_unit_counts_disabled_accounts_apart(auth, session):
    world = build_world(session)
    make_user(session, unit=world.branch_a, username="gone", is_active=False)
    session.commit()
    auth.login("seca")
    page = auth.client.get(f"/units/{world.branch_a.id}").get_data(as_text=True)
    # 甲支部 and its group: seca, gsec and mema active, one disabled account listed too.
    assert re.search(r'data-testid="member-count">3<', page)
    assert re.search(r'data-testid="member-count-disabled">[^<]*1', page)
    stats = [int(n) for n in re.findall(r'<div class="stat">(\d+)</div>', page)]
    assert sum(stats) == 3
    assert "gone" in page  # still listed, marked disabled
    page = auth.client.get(f"/units/{world.branch_b.id}")
    assert page.status_code == 404
    auth.logout()
    auth.login("admin")
    page = auth.client.get(f"/units/{world.branch_b.id}").get_data(as_text=True)
    assert re.search(r'data-testid="member-count">1<', page)
    assert 'data-testid="member-count-disabled"' not in page


def test_confirming_a_second_preview_of_the_same_file_blames_nobody(auth, session):
    world = build_world(session)
    auth.login("seca")
    content = (HEADER + "张三,zhangsan,甲支部,正式党员,,,,\n").encode()
    # The same secretary previews the file in two tabs and confirms both.
    first = _upload(auth, world.branch_a.id, content).get_data(as_text=True)
    second = _upload(auth, world.branch_a.id, content).get_data(as_text=True)
    assert _confirm(auth, world.branch_a.id, first).status_code == 302
    refused = _confirm(auth, world.branch_a.id, second)
    assert refused.status_code == 302
    page = auth.client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "文件未能再次通过校验：校验之后数据已有变动。请重新上传。" in page
    assert _count(session, User) == 6


def test_import_confirm_token_belongs_to_its_uploader(app, auth, session):
    world = build_world(session)
    auth.login("seca")
    content = (HEADER + "张三,zhangsan,甲支部,正式党员,,,,\n").encode()
    preview = _upload(auth, world.branch_a.id, content).get_data(as_text=True)
    from tests.conftest import Auth

    other = Auth(app.test_client())
    other.login("admin")
    assert _confirm(other, world.branch_a.id, preview).status_code == 302
    assert session.scalar(sa.select(User).where(User.username == "zhangsan")) is None
