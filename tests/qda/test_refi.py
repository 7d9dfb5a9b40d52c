"""REFI-QDA: every export validates against the standard's XSD (lxml), positions select exactly
the coded text in the exported source file (Chinese, a character beyond the BMP, a carriage
return), a code book round-trips into another project, a .qdpx made by another tool imports,
withdrawn interviews are never exported, the CLI and the web pages, and crafted files."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from cbpar.db import db
from cbpar.interviews import services as interview_services
from cbpar.interviews.models import Interview
from cbpar.projects.models import Project
from cbpar.qda import refi, services
from cbpar.qda.models import Code
from tests.helpers import as_user, csrf_token_from, fresh_app, run, seed
from tests.qda.conftest import CHINESE, PASSAGE
from tests.qda.test_coding import post_coding

HERE = Path(__file__).parent / "refi"
NS = {"q": refi.PROJECT_NS}


def schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(HERE / name)))


def valid(data: bytes, name: str) -> etree._Element:
    root = etree.fromstring(data)
    checker = schema(name)
    assert checker.validate(root), checker.error_log.last_error
    return root


def qde_and_files(data: bytes) -> tuple[etree._Element, dict[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    return valid(files.pop("project.qde"), "Project.xsd"), files


def export(app, src, username="coordinator") -> bytes:
    c = as_user(app, username)
    response = c.get("/projects/p1/qda/export.qdpx")
    assert response.status_code == 200, response.status_code
    assert "attachment" in response.headers["Content-Disposition"]
    return response.data


def code_some(app, src) -> None:
    fw = as_user(app, "field_worker")
    start = CHINESE.index(PASSAGE)
    post_coding(fw, "interview", src.family, start, start + len(PASSAGE), [src.codes["distance"]])
    astral = CHINESE.index("𠮷")
    post_coding(fw, "interview", src.family, astral, astral + 3, [src.codes["grandparent care"]])
    after_cr = CHINESE.index("孩子")
    post_coding(fw, "interview", src.family, after_cr - 2, after_cr + 2, [src.codes["distance"]])
    post_coding(fw, "memo", src.community_memo, 0, 9, [src.codes["access to childcare"]], "n")


def test_the_project_export_validates_and_positions_select_the_coded_text(app, client, sources):
    code_some(app, sources)
    root, files = qde_and_files(export(app, sources))
    selections = root.findall(".//q:PlainTextSelection", NS)
    assert len(selections) == 4
    for selection in selections:
        source = selection.getparent()
        path = source.get("plainTextPath").removeprefix("internal://")
        text = files[f"Sources/{path}"].decode("utf-8")
        start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
        assert (
            text[start:end] == selection.get("name")[: end - start]
            or len(selection.get("name")) == 60
        )
    family = next(
        s for s in root.findall(".//q:TextSource", NS) if s.get("name").startswith("interview")
        and len(s.findall("q:PlainTextSelection", NS)) == 3
    )  # fmt: skip
    text = files[f"Sources/{family.get('plainTextPath').removeprefix('internal://')}"].decode()
    assert text == CHINESE  # carriage return and all
    coded = sorted(
        text[int(s.get("startPosition")) : int(s.get("endPosition"))]
        for s in family.findall("q:PlainTextSelection", NS)
    )
    assert PASSAGE in coded and "𠮷奶奶" in coded and "\r\n孩子" in coded
    # Every coding points at a code of the code book, and every user is declared.
    guids = {c.get("guid") for c in root.findall(".//q:CodeBook//q:Code", NS)}
    assert {r.get("targetGUID") for r in root.findall(".//q:CodeRef", NS)} <= guids
    users = {u.get("guid") for u in root.findall(".//q:User", NS)}
    assert {s.get("creatingUser") for s in selections} <= users
    assert root.find(".//q:Code[@name='grandparent care']", NS).getparent().get("name") == (
        "access to childcare"
    )


def test_withdrawn_interviews_and_unseen_sources_are_never_exported(app, client, sources):
    code_some(app, sources)

    def withdraw(project):
        interview = db.session.get(Interview, sources.family)
        interview_services.withdraw(interview, interview.interviewer)

    with app.test_request_context():
        seed(app, withdraw)
    root, files = qde_and_files(export(app, sources))
    assert not any("幼儿园太远" in f.decode() for f in files.values())
    assert len(root.findall(".//q:PlainTextSelection", NS)) == 1
    assert not any("Private" in f.decode() for f in files.values())  # the coordinator's view
    assert as_user(app, "field_worker").get("/projects/p1/qda/export.qdpx").status_code == 403


def test_the_code_book_round_trips_into_another_project(app, client, sources, make_project, team):
    c = as_user(app, "coordinator")
    data = c.get("/projects/p1/qda/export.qdc").data
    valid(data, "Codebook.xsd")
    other = make_project("p2", members={team["users"][r]: r for r in team["users"]})
    with app.test_request_context():
        project = db.session.get(Project, other.id)
        result = refi.import_codebook(project, data, None)
        assert (result.created, result.problems) == (3, [])
        db.session.commit()

    def book(project_id):
        with app.app_context():
            codes = list(db.session.scalars(select(Code).where(Code.project_id == project_id)))
            names = {c.id: c.name for c in codes}
            return {c.name: (c.color, c.definition, names.get(c.parent_id), c.guid) for c in codes}

    first, second = book(sources.project_id), book(other.id)
    assert {k: v[:3] for k, v in first.items()} == {k: v[:3] for k, v in second.items()}
    exported_again = as_user(app, "coordinator").get("/projects/p2/qda/export.qdc").data
    assert exported_again.replace(b"p2", b"p1") == data.replace(b"p2", b"p1")  # same GUIDs


OTHER_TOOL = """<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="Left-behind children study" origin="QualCoder 3.5"
  creatingUserGUID="{8F5C1D2E-0B3A-4C6D-9E7F-1A2B3C4D5E6F}" creationDateTime="2024-03-01T10:00:00Z">
  <Users><User guid="{8F5C1D2E-0B3A-4C6D-9E7F-1A2B3C4D5E6F}" name="Li Wei"/></Users>
  <CodeBook><Codes>
    <Code guid="1f0e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b" name="照料" isCodable="true" color="#F80">
      <Description>谁照顾孩子</Description>
      <Code guid="2f0e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b" name="祖父母" isCodable="true"
        color="#00aa55"/>
      <Code guid="3f0e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b" name="distance" isCodable="true"/>
    </Code>
    <Code guid="4f0e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b" name="Schooling" isCodable="false"/>
  </Codes></CodeBook>
  <Sources>
    <TextSource guid="5f0e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b" name="Interview 1"
      plainTextPath="internal://5f0e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b.txt">
      <PlainTextSelection guid="6f0e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
        startPosition="0" endPosition="4">
        <Coding guid="7f0e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b">
          <CodeRef targetGUID="2f0e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"/>
        </Coding>
      </PlainTextSelection>
    </TextSource>
  </Sources>
</Project>
"""


def qdpx(qde: str, extra: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", qde.encode("utf-8"))
        archive.writestr("Sources/5f0e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b.txt", "奶奶照顾孩子。")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def test_a_code_book_from_another_tools_qdpx_is_imported_on_the_page(app, client, sources):
    valid(OTHER_TOOL.encode(), "Project.xsd")  # a file the standard accepts
    c = as_user(app, "researcher")
    page = c.get("/projects/p1/qda").get_data(as_text=True)
    response = c.post(
        "/projects/p1/qda/import",
        data={
            "csrf_token": csrf_token_from(page),
            "file": (io.BytesIO(qdpx(OTHER_TOOL)), "x.qdpx"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    with app.app_context():
        codes = {c.name: c for c in db.session.scalars(select(Code))}
        assert codes["祖父母"].parent_id == codes["照料"].id
        assert codes["照料"].color == "#ff8800" and codes["照料"].definition == "谁照顾孩子"
        assert codes["祖父母"].guid == "2f0e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
        assert codes["distance"].parent_id is None  # already in the code book: left as it was
        assert "Schooling" in codes


# The shape ATLAS.ti (Win 23.4) gives a .qdc: an older schemaLocation, upper-case GUIDs, colours
# as #RRGGBB, and code groups as <Sets> of <MemberCode>s (the names and texts here are ours).
ATLAS_TI_SHAPED = """<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="urn:QDA-XML:codebook:0:4 Codebook.xsd" origin="ATLAS.ti Win 23.4.0"
  xmlns="urn:QDA-XML:codebook:1.0">
  <Codes>
    <Code guid="0A1B2C3D-4E5F-4061-8273-9A8B7C6D5E4F" name="路途远" color="#46AA00"
      isCodable="true">
      <Description>去幼儿园的路太远</Description>
      <Code guid="1A1B2C3D-4E5F-4061-8273-9A8B7C6D5E4F" name="冬天" isCodable="true" />
    </Code>
  </Codes>
  <Sets>
    <Set name="access" guid="2A1B2C3D-4E5F-4061-8273-9A8B7C6D5E4F">
      <Description>group of codes</Description>
      <MemberCode guid="0A1B2C3D-4E5F-4061-8273-9A8B7C6D5E4F" />
    </Set>
  </Sets>
</CodeBook>
"""


def test_a_code_book_shaped_as_atlas_ti_exports_it_is_imported(app, client, sources):
    valid(ATLAS_TI_SHAPED.encode(), "Codebook.xsd")
    c = as_user(app, "researcher")
    page = c.get("/projects/p1/qda").get_data(as_text=True)
    response = c.post(
        "/projects/p1/qda/import",
        data={
            "csrf_token": csrf_token_from(page),
            "file": (io.BytesIO(ATLAS_TI_SHAPED.encode()), "atlas.qdc"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    with app.app_context():
        codes = {c.name: c for c in db.session.scalars(select(Code))}
        assert codes["冬天"].parent_id == codes["路途远"].id
        assert codes["路途远"].definition == "去幼儿园的路太远"
        assert codes["路途远"].color.lower() == "#46aa00"


@pytest.mark.parametrize(
    "data",
    [
        b"not xml at all",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="1f0e2d3c-4b5a-6978-'
        b'8a9b-0c1d2e3f4a5b" name="&e;" isCodable="true"/></Codes></CodeBook>',
        b'<CodeBook xmlns="urn:other"><Codes><Code name="x"/></Codes></CodeBook>',
        b"PK\x03\x04 broken zip",
    ],
)
def test_crafted_files_are_refused_and_never_read_local_files(app, client, sources, data):
    with app.test_request_context():
        try:
            rows = refi.codebook_rows(data)
        except refi.RefiError:
            return
        assert all("root:" not in row["name"] for row in rows)


def test_a_zip_bomb_is_refused(app, client, sources):
    bomb = qdpx(OTHER_TOOL.replace("</Project>", "<!--" + "x" * 5_000_000 + "--></Project>"))
    with pytest.raises(refi.RefiError):
        refi.codebook_rows(bomb)


def test_the_cli_exports_and_imports(tmp_path):
    app = fresh_app(tmp_path, demo=True)
    project_file = tmp_path / "demo.qdpx"
    result = run(app, "qda", "export", "demo", "-o", str(project_file))
    assert result.exit_code == 0, result.output
    root, files = qde_and_files(project_file.read_bytes())
    assert len(root.findall(".//q:PlainTextSelection", NS)) >= 10
    for selection in root.findall(".//q:PlainTextSelection", NS):
        path = selection.getparent().get("plainTextPath").removeprefix("internal://")
        text = files[f"Sources/{path}"].decode("utf-8")
        passage = text[int(selection.get("startPosition")) : int(selection.get("endPosition"))]
        assert passage.startswith(selection.get("name")[:20])
    from cbpar.memos.demo import WITHDRAWN_NOTES

    assert files and not any(WITHDRAWN_NOTES[:30] in f.decode() for f in files.values())
    book = tmp_path / "demo.qdc"
    assert run(app, "qda", "export", "demo", "--codebook", "-o", str(book)).exit_code == 0
    valid(book.read_bytes(), "Codebook.xsd")
    other = tmp_path / "other.qdpx"
    other.write_bytes(qdpx(OTHER_TOOL))
    result = run(app, "qda", "import-codebook", "demo", str(other))
    assert result.exit_code == 0 and "3 codes added, 1 already there" in result.output
    with app.app_context():
        project = db.session.scalar(select(Project).where(Project.slug == "demo"))
        assert "祖父母" in {c.name for c in services.all_codes(project)}
    assert run(app, "qda", "export", "nope", "-o", str(book)).exit_code != 0
