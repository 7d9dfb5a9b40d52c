"""Issue 11, finding 4: decompression bombs and lying zips, in project archives and XLSX files.

A refusal names the entry; nothing is written (rows in every table, files in uploads).
"""

from __future__ import annotations

import io
import os
import zipfile

import pytest

from cbpar.transfer import reading, safezip
from tests.helpers import (
    counts,
    declare_size,
    demo_instance,
    entries,
    export,
    fresh_app,
    pack,
    run,
    write,
)

MiB = 1024 * 1024
BOMB_NAME = "attachments/" + "ab" * 16 + ".png"


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    folder = tmp_path_factory.mktemp("limits")
    app = demo_instance(folder / "app")
    return app, export(app, "demo", folder / "demo.zip"), folder


def _refused(app, tmp_path, data, *words):
    before = counts(app)
    result = run(app, "import", "project", write(tmp_path, data), "--slug", "bombed")
    assert result.exit_code != 0
    assert "Refused" in result.output
    for word in words:
        assert word in result.output
    assert counts(app) == before, "a refused archive changed the instance"
    return result.output


def test_a_bomb_entry_is_refused_before_anything_is_written(instance, tmp_path):
    app, data, _folder = instance
    files = entries(data)
    files[BOMB_NAME] = b"\x89PNG\r\n\x1a\n" + bytes(20 * MiB)  # 20 MB that zip to ~20 KB
    bomb = pack(files)
    assert len(bomb) < len(data) + 100_000
    _refused(app, tmp_path, bomb, BOMB_NAME)


def test_a_bomb_inside_a_table_is_refused(instance, tmp_path):
    app, data, _folder = instance
    files = entries(data)
    files["tables/memo/00002.jsonl"] = b" " * (20 * MiB) + b"\n"
    _refused(app, tmp_path, pack(files), "tables/memo/00002.jsonl")


def test_a_declared_size_that_lies_is_refused(instance, tmp_path):
    app, data, _folder = instance
    files = entries(data)
    # Incompressible bytes, so the ratio check cannot be what stops it: only the real count.
    name = "tables/memo/00002.jsonl"
    files[name] = os.urandom(3 * MiB).hex().encode()[: 3 * MiB]
    lying = declare_size(pack(files), name, 1000)
    info = zipfile.ZipFile(io.BytesIO(lying)).getinfo(name)
    assert info.file_size == 1000  # what the zip says
    _refused(app, tmp_path, lying, name)


def test_entry_and_total_limits_come_from_the_configuration(instance, tmp_path):
    _app, data, folder = instance
    (folder / "small-total").mkdir()
    (folder / "tiny-entry").mkdir()
    small = fresh_app(folder / "small-total", MAX_ARCHIVE_BYTES=64 * 1024)
    output = _refused(small, tmp_path, data)
    assert "in all" in output
    tiny = fresh_app(folder / "tiny-entry", MAX_ATTACHMENT_BYTES=32)
    output = _refused(tiny, tmp_path, data)
    assert "per entry" in output


def _xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["village", "lat", "lon"])
    sheet.append(["Shuanghe", 42.36, 119.83])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_files_pass_the_same_checks():
    good = _xlsx()
    assert reading.read(good, "f.xlsx").rows  # an ordinary workbook still reads

    files = entries(good)
    files["xl/media/image1.png"] = bytes(20 * MiB)
    with pytest.raises(reading.ReadError) as refused:
        reading.read(pack(files), "f.xlsx")
    assert "refused" in str(refused.value) and "xl/media/image1.png" in str(refused.value)

    files = entries(good)
    name = "xl/worksheets/sheet1.xml"
    lying = declare_size(pack(files), name, 10)
    with pytest.raises(reading.ReadError) as refused:
        reading.read(lying, "f.xlsx")
    assert "refused" in str(refused.value) and name in str(refused.value)


def test_safezip_counts_real_bytes_even_when_the_directory_is_believed():
    limits = safezip.Limits(entry_bytes=10 * MiB, total_bytes=10 * MiB)
    data = pack({"a.txt": os.urandom(200_000)})
    lying = declare_size(data, "a.txt", 100)
    archive = zipfile.ZipFile(io.BytesIO(lying))
    safezip.check_declared(archive, limits)  # the directory alone looks fine
    with pytest.raises(safezip.ZipLimitError):
        safezip.Meter(limits).read(archive, archive.getinfo("a.txt"))
