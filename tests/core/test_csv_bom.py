"""Every CSV the product writes starts with a UTF-8 byte order mark, so Excel on Chinese
Windows opens Chinese text correctly: downloads and the CSV files inside zips alike."""

from __future__ import annotations

import io
import zipfile

from cbpar import csvout
from cbpar.security import Role
from cbpar.transfer import reading

BOM = b"\xef\xbb\xbf"
NOTE = "奶奶照顾三个孩子"


def test_every_document_starts_with_one_bom():
    body = csvout.to_csv(["村", "notes"], [["双河村", NOTE]])
    assert body.startswith("\ufeff") and not body.startswith("\ufeff\ufeff")
    writer = csvout.writer()
    writer.row(["a"])
    assert writer.getvalue() == "\ufeffa\r\n"
    with_bom = csvout.response(body, "x.csv").get_data()
    without = csvout.response("a,b\r\n", "x.csv").get_data()
    assert with_bom.startswith(BOM) and not with_bom.startswith(BOM * 2)
    assert without == BOM + b"a,b\r\n"
    assert csvout.response(b"a\r\n", "x.csv").get_data() == BOM + b"a\r\n"


def _csv_urls(app) -> list[str]:
    """GET routes of project p1 that answer CSV or a zip of CSV files (no other argument)."""
    urls = []
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        for rule in app.url_map.iter_rules():
            if "GET" not in (rule.methods or ()) or not rule.arguments <= {"slug", "fmt"}:
                continue
            if "fmt" not in rule.arguments and not rule.rule.endswith((".csv", ".zip")):
                continue
            values = {"slug": "p1", "fmt": "csv"}
            urls.append(adapter.build(rule.endpoint, {k: values[k] for k in rule.arguments}))
    return urls


def test_every_csv_download_and_every_csv_in_a_zip_starts_with_the_bom(
    client, team, login, add_household
):
    add_household(team["project"], notes=NOTE)
    login(team["users"][Role.COORDINATOR])
    seen_csv = seen_zipped = 0
    for url in _csv_urls(client.application):
        response = client.get(url, query_string={"kind": "kindergarten", "within_km": "50"})
        if response.status_code != 200:
            continue
        if response.mimetype == "text/csv":
            data = response.get_data()
            assert data.startswith(BOM) and not data.startswith(BOM * 2), url
            seen_csv += 1
        elif response.mimetype == "application/zip":
            with zipfile.ZipFile(io.BytesIO(response.get_data())) as archive:
                for name in archive.namelist():
                    if name.endswith(".csv"):
                        assert archive.read(name).startswith(BOM), (url, name)
                        seen_zipped += 1
    assert seen_csv >= 4 and seen_zipped >= 1, (seen_csv, seen_zipped)


def test_an_export_reads_back_through_the_import(client, team, login, add_household):
    add_household(team["project"], notes=NOTE)
    login(team["users"][Role.COORDINATOR])
    data = client.get("/projects/p1/households.csv").get_data()
    table = reading.read(data, "households.csv")
    assert table.columns[0] == "code" and table.encoding == "utf-8-sig"
    assert NOTE in [cell for _line, cells in table.rows for cell in cells]
