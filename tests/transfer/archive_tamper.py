"""Helpers for the archive tests: a source instance, tampering a real export, counting rows."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from cbpar.attachments import services as attachments
from cbpar.db import Base, db
from cbpar.mapping.models import Household
from cbpar.projects.models import Project
from tests.conftest import fresh_app
from tests.transfer.helpers import run

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def demo_instance(path: Path):
    """An app of its own with the demo project (a household has a PNG attached)."""
    path.mkdir(parents=True, exist_ok=True)
    app = fresh_app(path)
    result = run(app, "demo")
    assert result.exit_code == 0, result.output
    with app.app_context():
        project = db.session.scalar(select(Project).where(Project.slug == "demo"))
        household = db.session.scalar(select(Household).where(Household.project_id == project.id))
        attachments.save(household, io.BytesIO(PNG), "map.png", None)
        db.session.commit()
    return app


def export(app, slug: str, path: Path) -> bytes:
    result = run(app, "export", "project", slug, "-o", str(path))
    assert result.exit_code == 0, result.output
    return path.read_bytes()


def entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def pack(files: dict[str, bytes], level: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", level) as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return buffer.getvalue()


def table_rows(files: dict[str, bytes], table: str) -> list[dict[str, Any]]:
    if f"tables/{table}.json" in files:  # format 1
        return json.loads(files[f"tables/{table}.json"])
    names = sorted(n for n in files if n.startswith(f"tables/{table}/"))
    return [json.loads(line) for n in names for line in files[n].decode().splitlines() if line]


def set_rows(files: dict[str, bytes], table: str, rows: list[dict[str, Any]]) -> None:
    if f"tables/{table}.json" in files:  # format 1
        files[f"tables/{table}.json"] = json.dumps(rows).encode()
        return
    for name in [n for n in files if n.startswith(f"tables/{table}/")]:
        del files[name]
    files[f"tables/{table}/00001.jsonl"] = "".join(
        json.dumps(r, ensure_ascii=False) + "\n" for r in rows
    ).encode()


def tamper(data: bytes, table: str, change: Callable[[list[dict[str, Any]]], None]) -> bytes:
    """The archive with `change` applied to one table's rows (in place)."""
    files = entries(data)
    rows = table_rows(files, table)
    change(rows)
    set_rows(files, table, rows)
    return pack(files)


def counts(app) -> dict[str, int]:
    """Rows in every table of the instance, and files in its uploads folder."""
    with app.app_context():
        out = {
            table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
        }
        uploads = Path(app.instance_path, "uploads")
        out["(files)"] = (
            sum(1 for p in uploads.rglob("*") if p.is_file()) if uploads.exists() else 0
        )
        return out


def write(tmp_path: Path, data: bytes, name: str = "crafted.zip") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def declare_size(data: bytes, name: str, size: int) -> bytes:
    """The zip with entry `name` declaring `size` bytes uncompressed (central directory and
    local header), whatever it really holds: a lie a crafted zip can tell."""
    out = bytearray(data)
    encoded = name.encode()
    at = 0
    while (at := out.find(b"PK\x01\x02", at)) != -1:
        length = int.from_bytes(out[at + 28 : at + 30], "little")
        if bytes(out[at + 46 : at + 46 + length]) == encoded:
            out[at + 24 : at + 28] = size.to_bytes(4, "little")
            local = int.from_bytes(out[at + 42 : at + 46], "little")
            out[local + 22 : local + 26] = size.to_bytes(4, "little")
            return bytes(out)
        at += 4
    raise KeyError(name)
