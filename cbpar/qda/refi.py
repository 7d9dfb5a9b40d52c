"""REFI-QDA exchange (the standard of Atlas.ti, MAXQDA, NVivo, QualCoder, Taguette): export a
project (.qdpx: project.qde plus each source as plain text) or its code book (.qdc); import a
code book from either.

Positions in a .qdpx are the coding's offsets: Unicode code points of the source's stored text,
which is written unchanged (UTF-8) as the source's plain-text file, so startPosition and
endPosition select exactly the coded passage there, Chinese included. Only sources the
exporting member may see are written: never a withdrawn interview. GUIDs are stable (derived
from the record), so exporting twice gives the same identifiers; a code keeps the GUID it was
imported with.
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from flask_babel import gettext as _
from lxml import etree
from sqlalchemy import select

from cbpar.auth.models import User
from cbpar.db import db
from cbpar.qda import services, sources
from cbpar.qda.models import Code, Coding

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
ORIGIN = "CBPAR Workspace"
NAMESPACE = uuid.UUID("6f1c2a9e-3a55-4c1e-9d7b-2f9a8c1e4b10")  # for stable GUIDs
MAX_QDE = 200 * 1024 * 1024  # the project.qde inside an imported .qdpx (ours: ~480 bytes a coding)
MAX_RATIO = 200  # uncompressed / compressed, beyond which an entry is refused (a "zip bomb")
GUID = re.compile(
    r"\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?"
)
COLOR = re.compile(r"#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")


class RefiError(ValueError):
    """A file that is not a REFI-QDA code book or project (the message is for the user)."""


@lru_cache(maxsize=256)
def _base(kind: str, project_id: int) -> int:
    return uuid.uuid5(NAMESPACE, f"{kind}:{project_id}").int


def stable_guid(kind: str, project_id: int, record_id: int) -> str:
    """The same GUID for the same record every time, different for every record: a UUID
    derived from the kind and project, with the record's id mixed into its low 64 bits (a
    .qdpx holds hundreds of thousands; uuid5 for each would take seconds)."""
    value = f"{_base(kind, project_id) ^ (record_id & 0xFFFFFFFFFFFFFFFF):032x}"
    return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"


def code_guid(code: Code) -> str:
    return (
        code.guid
        if code.guid and GUID.fullmatch(code.guid)
        else stable_guid("code", code.project_id, code.id)
    )


def _stamp(value: datetime | None) -> str:
    return (value or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _codes_element(namespace: str, project: Any) -> etree._Element:
    codes = services.all_codes(project)
    known = {c.id for c in codes}
    children: dict[int | None, list[Code]] = {}
    for code in codes:
        children.setdefault(code.parent_id if code.parent_id in known else None, []).append(code)
    root = etree.Element(f"{{{namespace}}}Codes")

    def add(parent: etree._Element, code: Code) -> None:
        element = etree.SubElement(
            parent,
            f"{{{namespace}}}Code",
            guid=code_guid(code),
            name=code.name,
            isCodable="true",
            color=code.color,
        )
        text = code.definition
        if code.example:
            text = f"{text}\n\n{_('Example')}: {code.example}" if text else code.example
        if text:
            etree.SubElement(element, f"{{{namespace}}}Description").text = text
        for child in children.get(code.id, []):
            add(element, child)

    for code in children.get(None, []):
        add(root, code)
    return root


def export_codebook(project: Any) -> bytes:
    """The code book as a REFI-QDA .qdc file."""
    book = etree.Element(f"{{{CODEBOOK_NS}}}CodeBook", nsmap={None: CODEBOOK_NS}, origin=ORIGIN)
    codes = _codes_element(CODEBOOK_NS, project)
    if len(codes):
        book.append(codes)
    else:
        raise RefiError(_("The code book is empty: there is nothing to export."))
    return etree.tostring(book, xml_declaration=True, encoding="utf-8", pretty_print=True)


def export_project(project: Any, membership: Any) -> bytes:
    """A REFI-QDA project (.qdpx) of what this member may see: users, the code book, every
    source with text, and the codings (blind ones left out) with their positions."""
    ns = PROJECT_NS
    visible = list(db.session.execute(sources.visible_rows(project, membership)))
    found = sources.texts(project, {(row.kind, row.id) for row in visible})
    codings = db.session.execute(
        select(
            Coding.id, Coding.source_type, Coding.source_id, Coding.start, Coding.end,
            Coding.text, Coding.note, Coding.coder_id, Coding.code_id, Coding.created_at,
        )
        .where(Coding.project_id == project.id, Coding.blind.is_(False))
        .order_by(Coding.source_type, Coding.source_id, Coding.start, Coding.id)
    ).all()  # fmt: skip
    code_guids = {code.id: code_guid(code) for code in services.all_codes(project)}
    by_source: dict[tuple[str, int], list[Any]] = {}
    for row in codings:
        if (row.source_type, row.source_id) in found:
            by_source.setdefault((row.source_type, row.source_id), []).append(row)
    user_ids = {row.coder_id for rows in by_source.values() for row in rows if row.coder_id}
    user_guids = {user_id: stable_guid("user", project.id, user_id) for user_id in user_ids}
    users = list(db.session.scalars(select(User).where(User.id.in_(user_ids)))) if user_ids else []
    root = etree.Element(
        f"{{{ns}}}Project",
        nsmap={None: ns},
        name=project.name,
        origin=ORIGIN,
        creationDateTime=_stamp(None),
    )
    if users:
        users_element = etree.SubElement(root, f"{{{ns}}}Users")
        for user in users:
            etree.SubElement(
                users_element,
                f"{{{ns}}}User",
                guid=user_guids[user.id],
                name=user.name,
                id=user.username,
            )
    codes = _codes_element(ns, project)
    if len(codes):
        etree.SubElement(root, f"{{{ns}}}CodeBook").append(codes)
    files: dict[str, bytes] = {}
    sources_element = etree.SubElement(root, f"{{{ns}}}Sources")
    for key in sorted(found):
        source = found[key]
        if not source.text:
            continue
        guid = stable_guid(source.kind, project.id, source.id)
        text_source = etree.SubElement(
            sources_element,
            f"{{{ns}}}TextSource",
            guid=guid,
            name=f"{source.shown_kind} {source.id}: {source.title}"[:250],
            plainTextPath=f"internal://{guid}.txt",
        )
        files[f"Sources/{guid}.txt"] = source.text.encode("utf-8")
        for row in by_source.get(key, []):
            selection = etree.SubElement(
                text_source,
                f"{{{ns}}}PlainTextSelection",
                guid=stable_guid("selection", project.id, row.id),
                name=row.text[:60],
                startPosition=str(row.start),
                endPosition=str(row.end),
                creationDateTime=row.created_at.isoformat(timespec="seconds"),
            )
            if row.coder_id:
                selection.set("creatingUser", user_guids[row.coder_id])
            if row.note:
                etree.SubElement(selection, f"{{{ns}}}Description").text = row.note
            coding = etree.SubElement(
                selection, f"{{{ns}}}Coding", guid=stable_guid("coding", project.id, row.id)
            )
            if row.coder_id:
                coding.set("creatingUser", user_guids[row.coder_id])
            etree.SubElement(coding, f"{{{ns}}}CodeRef", targetGUID=code_guids[row.code_id])
    if not len(sources_element):
        root.remove(sources_element)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "project.qde",
            etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True),
        )
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


# --- import ------------------------------------------------------------------------------------


def _parse(data: bytes) -> etree._Element:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, dtd_validation=False, load_dtd=False,
        huge_tree=False, remove_comments=True,
    )  # fmt: skip
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        raise RefiError(_("This file is not a REFI-QDA code book or project.")) from None


def _qde_of(data: bytes) -> bytes:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise RefiError(_("This file is not a REFI-QDA project (.qdpx).")) from None
    with archive:
        entry = next(
            (i for i in archive.infolist() if i.filename.lower().endswith("project.qde")), None
        )
        if entry is None:
            raise RefiError(_("This .qdpx has no project.qde inside."))
        if entry.file_size > MAX_QDE or entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
            raise RefiError(_("The project.qde inside this file is too large."))
        with archive.open(entry) as stream:
            body = stream.read(MAX_QDE + 1)
        if len(body) > MAX_QDE:
            raise RefiError(_("The project.qde inside this file is too large."))
        return body


def _color(value: str | None) -> str:
    if not value or not COLOR.fullmatch(value.strip()):
        return ""
    value = value.strip()
    if len(value) == 4:
        value = "#" + "".join(ch * 2 for ch in value[1:])
    return value.lower()


def codebook_rows(data: bytes) -> list[dict[str, str]]:
    """The codes of a .qdc, a .qdpx, or a project.qde, as rows of name, definition, parent,
    color, guid (parents before their children)."""
    if data[:2] == b"PK":
        data = _qde_of(data)
    root = _parse(data)
    namespace = etree.QName(root).namespace
    if namespace not in (PROJECT_NS, CODEBOOK_NS) or etree.QName(root).localname not in (
        "Project",
        "CodeBook",
    ):
        raise RefiError(_("This file is not a REFI-QDA code book or project."))
    tag = f"{{{namespace}}}"
    book = root if etree.QName(root).localname == "CodeBook" else root.find(f"{tag}CodeBook")
    codes = book.find(f"{tag}Codes") if book is not None else None
    rows: list[dict[str, str]] = []

    def walk(element: etree._Element, parent: str) -> None:
        for code in element.findall(f"{tag}Code"):
            name = (code.get("name") or "").strip()[:120]
            if not name:
                continue
            description = code.find(f"{tag}Description")
            guid = code.get("guid") or ""
            rows.append(
                {
                    "name": name,
                    "definition": (description.text or "").strip()
                    if description is not None
                    else "",
                    "parent": parent,
                    "color": _color(code.get("color")),
                    "guid": guid.strip("{}").lower() if GUID.fullmatch(guid) else "",
                }
            )
            walk(code, name)

    if codes is not None:
        walk(codes, "")
    if not rows:
        raise RefiError(_("This file has no codes in it."))
    return rows


def import_codebook(project: Any, data: bytes, by: Any) -> services.ImportResult:
    return services.import_rows(project, codebook_rows(data), by)
