"""The member import speaks the template's language: the preview is headed with the template's
column names, the problems name them too, and a file headed with the names the page once used
still reads. Odd files (merged header cells, a BOM with bare carriage returns) are read as meant
or refused with a message."""

import io
import re

import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from learnapp.accounts.models import User
from learnapp.orgs.imports import REQUIRED
from tests.conftest import reload
from tests.world import build_world

ROW = "张三,zhangsan,甲第一党小组,正式党员"


def upload(auth, unit_id, content: bytes, name="members.csv"):
    return auth.post(
        f"/units/{unit_id}/import",
        {"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def members(session) -> int:
    reload(session)
    return session.scalar(sa.select(sa.func.count()).select_from(User))


def headings(page: str, testid: str) -> list[str]:
    card = page.split(f'data-testid="{testid}"')[1]
    return re.findall(r"<th>([^<]+)</th>", card.split("</thead>")[0])


def test_the_preview_is_headed_with_the_templates_column_names(auth, session):
    world = build_world(session)
    auth.login("seca")
    template = auth.client.get(f"/units/{world.branch_a.id}/import/template.xlsx").data
    header = [cell.value for cell in load_workbook(io.BytesIO(template)).worksheets[0][1]]
    assert header[:4] == list(REQUIRED) == ["姓名", "用户名", "所在组织", "党员类别"]
    page = upload(auth, world.branch_a.id, template, "成员.xlsx").get_data(as_text=True)
    assert headings(page, "import-ready") == ["行号", "姓名", "用户名", "所在组织", "党员类别"]
    assert "所属组织" not in page and "人员类别" not in page


def test_problems_name_the_same_columns_as_the_preview(auth, session):
    world = build_world(session)
    auth.login("seca")
    content = "姓名,用户名,所在组织,党员类别\n张三,zhangsan,无此组织,党员\n".encode()
    page = upload(auth, world.branch_a.id, content).get_data(as_text=True)
    named = re.findall(r"<td>2</td><td>([^<]+)</td>", page)
    assert named == ["所在组织", "党员类别"]


def test_a_file_headed_as_the_page_once_was_still_imports(auth, session):
    world = build_world(session)
    auth.login("seca")
    content = f"姓名,用户名,所属组织,人员类别\n{ROW}\n".encode()
    preview = upload(auth, world.branch_a.id, content)
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200, page
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    done = auth.post(f"/units/{world.branch_a.id}/import/confirm", {"token": token})
    assert done.status_code == 302
    member = session.scalar(sa.select(User).where(User.username == "zhangsan"))
    assert member.unit_id == world.group_a.id


def test_a_column_given_under_both_names_is_refused(auth, session):
    world = build_world(session)
    auth.login("seca")
    before = members(session)
    content = f"姓名,用户名,所在组织,党员类别,所属组织\n{ROW},甲支部\n".encode()
    response = upload(auth, world.branch_a.id, content)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "所在组织、所属组织 这几列都是“所在组织”列：请只保留其中一列。" in page
    assert 'name="token"' not in page and members(session) == before


def test_a_csv_with_a_bom_and_bare_carriage_returns_reads_every_row(auth, session):
    world = build_world(session)
    auth.login("seca")
    content = (
        b"\xef\xbb\xbf"
        + f"姓名,用户名,所在组织,党员类别\r{ROW}\r李四,lisi,甲支部,预备党员\r".encode()
    )
    page = upload(auth, world.branch_a.id, content).get_data(as_text=True)
    assert "zhangsan" in page and "lisi" in page and 'name="token"' in page


def test_a_workbook_with_merged_header_cells_is_refused_with_a_message(auth, session):
    world = build_world(session)
    book = Workbook()
    book.active.append(["成员名单", "", "", ""])
    book.active.append(list(REQUIRED))
    book.active.append(ROW.split(","))
    book.active.merge_cells("A1:D1")
    buffer = io.BytesIO()
    book.save(buffer)
    auth.login("seca")
    before = members(session)
    response = upload(auth, world.branch_a.id, buffer.getvalue(), "成员.xlsx")
    message = re.search(r'data-testid="file-error">([^<]+)<', response.get_data(as_text=True))
    assert response.status_code == 400
    assert message.group(1) == (
        "第一个工作表中有合并单元格（A1:D1）：请取消合并，为每个单元格填上各自的内容后重新上传。"
    )
    assert members(session) == before
