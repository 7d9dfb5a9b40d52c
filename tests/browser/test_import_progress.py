"""A field worker imports 2,500 households from the web page and watches the progress bar."""

from __future__ import annotations

import json

from tests.browser.conftest import log_in
from tests.helpers import csv_bytes, household_row

ROWS = 2500

# Keep what the progress box shows in sessionStorage: the page moves to the summary at the end.
WATCH = """() => {
  const box = document.getElementById("import-progress");
  const seen = [];
  new MutationObserver(() => {
    seen.push({visible: !box.hidden, text: box.querySelector("[data-import-text]").textContent});
    sessionStorage.setItem("import-progress", JSON.stringify(seen));
  }).observe(box, {attributes: true, childList: true, subtree: true, characterData: true});
}"""


def test_web_import_shows_progress_then_the_summary(page):
    log_in(page, "fieldworker")
    page.goto("/projects/demo/transfer")
    rows = [household_row(village="SH", lat="42.3631", lon="119.8351") for _ in range(ROWS)]
    page.get_by_label("Households file").set_input_files(
        {"name": "survey.csv", "mimeType": "text/csv", "buffer": csv_bytes(rows)}
    )
    page.locator("form", has=page.get_by_label("Households file")).get_by_role(
        "button", name="Upload and choose columns"
    ).click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Choose columns").is_visible()
    page.get_by_role("button", name="Check the rows").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Validation report").is_visible()
    assert page.locator("#import-progress").is_hidden()

    page.evaluate(WATCH)
    page.get_by_role("button", name=f"Import all {ROWS} rows").click()
    page.get_by_role("heading", name="Imported").wait_for()
    assert "/import/households/done/" in page.url
    assert page.get_by_role("status").inner_text().startswith(f"{ROWS} created, 0 updated")

    seen = json.loads(page.evaluate("sessionStorage.getItem('import-progress')") or "[]")
    texts = [s["text"] for s in seen if s["visible"]]
    assert texts, "the progress box never appeared"
    assert "Checking rows: 1,000 of 2,500" in texts
    assert f"Writing rows: {ROWS:,} of {ROWS:,}" in texts
    assert page.js_errors == []
