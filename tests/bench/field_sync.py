"""The field app's outbox (issue 17): sending 500 records made offline takes under 30 s
against the local server.

Chromium opens the field app as the demo field worker, 500 records are put in the outbox
(300 households, 100 facilities, 100 interviews; the page's own js/field/outbox.js, as if typed
offline) and the page's "Sync now" logic sends them through the JSON API, one at a time, with
the browser's session and CSRF token, as on a phone. The time is from the start of the sync to
an empty outbox; the server's counts are checked after (each record exactly once).

    .venv/bin/python -m tests.bench.field_sync [--records 500]

`make bench` runs it when Chromium is installed. The app is served by werkzeug (threaded) in a
process of its own, on a SQLite file with the demo project.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 30

# Three kinds of record, as the field app's forms make them.
FILL = """
async (n) => {
  const data = await (await fetch('/projects/demo/field/data.json')).json();
  const village = data.villages[0];
  const [lat, lon] = village.point;
  const tag = Math.random().toString(36).slice(2, 8);
  for (let i = 0; i < n; i++) {
    const kind = i % 5 === 3 ? 'facility' : i % 5 === 4 ? 'interview' : 'household';
    const body = kind === 'household' ? {
        village_id: String(village.id), field_ref: 'B' + tag + '-' + i,
        lat: String(lat + (i % 50) * 0.0002), lon: String(lon + Math.floor(i / 50) * 0.0002),
        location_accuracy_m: '9', members: '4', migrant_parents: 'unknown',
        caregiver: 'unknown', consent_on: '2026-11-01', consent_given_by: 'mother' }
      : kind === 'facility' ? {
        name: 'Bench site ' + tag + '-' + i, kind: 'kindergarten', status: 'operating',
        village_id: String(village.id), lat: String(lat), lon: String(lon) }
      : { kind: 'key_informant', held_on: '2026-11-01', interviewee_role: 'teacher',
          consent_method: 'verbal', consent_given_by: 'person',
          child_assent: 'not_applicable', consent_on: '2026-11-01', covers_notes: true,
          notes: 'Bench ' + tag + ' ' + i };
    const url = { household: '/api/v1/projects/demo/households',
                  facility: '/api/v1/projects/demo/facilities',
                  interview: '/api/v1/projects/demo/interviews' }[kind];
    await cbparOutbox.add({ project: 'demo', kind, url, body, label: String(i), files: [] });
  }
  return tag;
}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(folder: Path, port: int) -> None:
    from werkzeug.serving import make_server

    from cbpar import create_app, demo
    from cbpar.db import Base, db

    app = create_app(
        {
            "INSTANCE_PATH": str(folder / "instance"),
            "DATABASE_URL": f"sqlite:///{folder / 'field.sqlite3'}",
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
            "LOGIN_RATE_LIMIT_ENABLED": False,
        }
    )
    with app.app_context(), app.test_request_context():
        Base.metadata.create_all(db.engine)
        demo.load()
        db.session.commit()
    make_server("127.0.0.1", port, app, threaded=True).serve_forever()


def measure(base: str, records: int) -> tuple[float, dict[str, int]]:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=base, viewport={"width": 375, "height": 740})
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("Username").fill("fieldworker")
        page.get_by_label("Password", exact=True).fill("demo-password")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()
        page.goto("/projects/demo/field/")
        page.wait_for_selector("#field-app[data-ready='1']")
        tag = page.evaluate(FILL, records)
        page.evaluate("cbparFieldApp.refresh()")
        assert page.locator("#outbox-count").text_content() == str(records)
        start = time.perf_counter()
        result = page.evaluate("cbparFieldApp.sync()")
        seconds = time.perf_counter() - start
        assert result and not result["stopped"], result
        left = page.evaluate("cbparOutbox.count('demo')")
        households = page.request.get("/api/v1/projects/demo/households?per_page=500").json()
        refs = [h["field_ref"] for h in households["households"] if h["field_ref"]]
        facilities = page.request.get("/api/v1/projects/demo/facilities?per_page=500").json()
        interviews = page.request.get("/api/v1/projects/demo/interviews?per_page=500").json()
        counts = {
            "left in the outbox": left,
            "refused": result["refused"],
            "households": sum(1 for r in refs if r.startswith("B" + tag)),
            "facilities": sum(1 for f in facilities["facilities"] if tag in f["name"]),
            "interviews": sum(1 for i in interviews["interviews"] if tag in (i.get("notes") or "")),
        }
        browser.close()
    return seconds, counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=500)
    parser.add_argument("--serve", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(Path(args.serve[0]), int(args.serve[1]))
        return 0
    from tests.browser.conftest import CHROMIUM

    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        print("Chromium not found: field sync figures skipped")
        return 0
    with tempfile.TemporaryDirectory(prefix="cbpar-field-") as tmp:
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "tests.bench.field_sync", "--serve", tmp, str(port)],
            cwd=Path.cwd(),
        )
        try:
            for _ in range(300):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.2)
            seconds, counts = measure(f"http://127.0.0.1:{port}", args.records)
        finally:
            server.terminate()
            server.wait(timeout=10)
    print(f"Field app: syncing an outbox of {args.records} records (Chromium, local server)")
    print(f"  {'records on the server':<40} {counts}")
    expected = {
        "households": args.records - 2 * (args.records // 5),
        "facilities": args.records // 5,
        "interviews": args.records // 5,
    }
    exact = counts["left in the outbox"] == 0 and all(counts[k] == v for k, v in expected.items())
    print(f"  {'each record once':<40} {'PASS' if exact else 'FAIL'}")
    verdict = "PASS" if seconds < TARGET_S else "FAIL"
    print(f"  {'sync time':<40} {seconds:6.1f} s (target < {TARGET_S} s) {verdict}")
    return 0 if exact and seconds < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
