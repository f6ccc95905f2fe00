"""A file part sent where a form expects text: the field reads it as not sent, so the request
gets the field's usual message (400) and nothing is stored, on every form of the platform."""

import importlib
import io
import pkgutil
import re

import pytest
import sqlalchemy as sa
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import FieldList, StringField
from wtforms.validators import DataRequired

import learnapp
from learnapp.assessments.models import AssessmentPeriod, PointItem, SelfAppraisal, Step
from learnapp.discussions.models import Thread
from learnapp.forms import AppForm
from learnapp.orglife.models import StudyClaim
from learnapp.orgs.models import Role
from learnapp.question_bank.models import Question
from tests.assessments.helpers import assessment_world, new_period
from tests.conftest import reload
from tests.discussions.factories import make_branch_board
from tests.factories import make_user
from tests.orglife.factories import PDF
from tests.question_bank.factories import make_bank

# A field's message, or the form's own (an option of a question, for instance).
ERRORS = re.compile(r'<div class="(?:invalid-feedback[^"]*|alert alert-danger)"[^>]*>(.*?)</div>')


class _Upload(AppForm):
    title = StringField(validators=[DataRequired()])
    lines = FieldList(StringField(), min_entries=1)
    attachment = FileField()


def _part(data: bytes = b"not text") -> FileStorage:
    return FileStorage(io.BytesIO(data), "x.txt", content_type="text/plain")


def test_only_file_fields_receive_file_parts(app):
    data = {"title": _part(), "lines-0": _part(), "attachment": _part(PDF)}
    with app.test_request_context("/", method="POST", data=data):
        form = _Upload(meta={"csrf": False})
        assert not form.validate()
        assert form.title.data is None and list(form.errors) == ["title"]
        assert [line.data for line in form.lines] == [None]
        assert form.attachment.data.read() == PDF


def test_text_sent_beside_a_file_of_the_same_name_is_kept(app):
    data = {"title": ["会议纪要", _part()], "lines-0": "第一条"}
    with app.test_request_context("/", method="POST", data=data):
        form = _Upload(meta={"csrf": False})
        assert form.validate()
        assert (form.title.data, form.lines[0].data) == ("会议纪要", "第一条")


def test_every_form_of_the_platform_derives_from_the_shared_base():
    for module in pkgutil.walk_packages(learnapp.__path__, "learnapp."):
        importlib.import_module(module.name)
    found, pending = [], list(FlaskForm.__subclasses__())
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        if form.__module__.startswith("learnapp."):
            found.append(form)
    assert len(found) > 50
    assert [f"{f.__module__}.{f.__qualname__}" for f in found if not issubclass(f, AppForm)] == []


@pytest.fixture
def places(app, session):
    with app.test_request_context():
        world, extras = assessment_world(session)
        period = new_period(session, world, to=Step.SELF_APPRAISAL)
        board = make_branch_board(session, world.branch_a)
        make_user(session, username="editor", roles=((Role.BANK_EDITOR, world.root),))
        bank = make_bank(session, unit=world.root)
        session.commit()
        return {
            "period": period.id,
            "member": extras[0].id,
            "branch": world.branch_a.id,
            "board": board.id,
            "bank": bank.id,
        }


POINT = {"kind": "bonus", "points": "2", "reason": "志愿服务", "evidence": "社区证明"}
PERIOD = {
    "year": "2025",
    "self_opens_on": "2026-03-11",
    "peer_opens_on": "2026-03-20",
    "ballot_opens_on": "2026-04-01",
    "ballot_closes_on": "2026-04-10",
}
QUESTION = {
    "stem": "党的根本组织原则是什么？",
    "options-0": "民主集中制",
    "options-1": "集体领导",
    "answer": "A",
    "points": "2",
    "difficulty": "3",
    "knowledge_point": "党章",
    "source_document": "《中国共产党章程》第十条",
    "source_version": "2022-10-22",
    "audience": "all",
}
# What each form stores, who posts it, where, and a valid submission (a function: an upload is
# read once).
FORMS = {
    "points": (
        PointItem,
        "ext0",
        "/assessments/periods/{period}/points",
        lambda ids: {**POINT, "member_id": str(ids["member"])},
    ),
    "self": (
        SelfAppraisal,
        "ext0",
        "/assessments/periods/{period}/self",
        lambda ids: {"text": "对照检查"},
    ),
    "period": (
        AssessmentPeriod,
        "seca",
        "/assessments/units/{branch}/periods/new",
        lambda ids: {**PERIOD},
    ),
    "thread": (
        Thread,
        "ext0",
        "/boards/{board}/threads/new",
        lambda ids: {"title": "体会", "body": "学习"},
    ),
    "question": (Question, "editor", "/bank/{bank}/questions/new/single", lambda ids: {**QUESTION}),
    "claim": (
        StudyClaim,
        "mema",
        "/orglife/claims/new",
        lambda ids: {
            "category": "external",
            "hours": "3",
            "studied_on": "2026-03-01",
            "description": "区委党校培训",
            "evidence": (io.BytesIO(PDF), "证书.pdf"),
        },
    ),
}
CASES = [
    ("points", "evidence"),
    ("self", "text"),
    ("period", "year"),
    ("thread", "title"),
    ("question", "stem"),
    ("question", "options-0"),
    ("claim", "description"),
    ("claim", "studied_on"),
]


@pytest.mark.parametrize(("form", "field"), CASES)
def test_a_text_field_sent_as_a_file_is_refused_like_a_missing_one(
    session, auth, places, form, field
):
    model, username, path, valid = FORMS[form]
    path = path.format(**places)
    reload(session)
    before = session.scalar(sa.select(sa.func.count()).select_from(model))
    auth.login(username)
    without = {name: value for name, value in valid(places).items() if name != field}
    missing = auth.post(path, without, content_type="multipart/form-data")
    as_file = {**valid(places), field: (io.BytesIO(b"<p>text</p>"), "text.txt")}
    sent = auth.post(path, as_file, content_type="multipart/form-data")

    assert (missing.status_code, sent.status_code) == (400, 400)
    errors = ERRORS.findall(sent.get_data(as_text=True))
    assert errors and errors == ERRORS.findall(missing.get_data(as_text=True))
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(model)) == before


@pytest.mark.parametrize("form", FORMS)
def test_the_same_submissions_in_text_are_stored(session, auth, places, form):
    model, username, path, valid = FORMS[form]
    reload(session)
    before = session.scalar(sa.select(sa.func.count()).select_from(model))
    auth.login(username)
    response = auth.post(path.format(**places), valid(places), content_type="multipart/form-data")
    assert response.status_code == 302
    reload(session)
    assert session.scalar(sa.select(sa.func.count()).select_from(model)) == before + 1
