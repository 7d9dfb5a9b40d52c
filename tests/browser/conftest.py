"""Browser tests: the app on a live local server, driven by Debian's Chromium via Playwright.

They skip when Chromium is missing, except under CI=true, where they must run.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from cbpar import create_app
from cbpar.db import Base, db
from tests.helpers import config_for_tests

CHROMIUM = os.environ.get("CBPAR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PHONE = {"width": 375, "height": 740}


def _require_chromium() -> None:
    if Path(CHROMIUM).exists() or shutil.which(CHROMIUM):
        return
    message = f"Chromium not found at {CHROMIUM}: install Debian's chromium to run browser tests"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[str]:
    """The demo project on http://127.0.0.1:<port>, on a SQLite file of its own."""
    folder = tmp_path_factory.mktemp("live")
    app = create_app(
        config_for_tests(
            folder,
            DATABASE_URL=f"sqlite:///{folder / 'live.sqlite3'}",
            SERVER_NAME=None,
            WTF_CSRF_ENABLED=True,
        )
    )
    with app.app_context():
        from cbpar import demo

        Base.metadata.create_all(db.engine)
        demo.load()
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageErrors(list):
    """JavaScript errors and console errors seen by a page."""


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (no cookies) that may only talk to the live server."""
    context = browser.new_context(base_url=live_server, viewport=PHONE, locale="en-US")

    def offline(route) -> None:
        if route.request.url.startswith(live_server):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", offline)
    page = context.new_page()
    errors = PageErrors()
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.on(
        "console",
        lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None,
    )
    page.js_errors = errors
    yield page
    context.close()


def log_in(page, username: str, password: str = "demo-password") -> None:
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    if "/login" not in page.url:
        # The live server is shared: an earlier test may have left this account in Chinese.
        page.get_by_role("button", name="English").click()
        page.wait_for_load_state()


def nav_link(page, name: str):
    """A link of the project navigation; on a phone the menu is opened first (it is a
    <details> that starts closed there)."""
    menu = page.locator("details.nav-menu")
    if menu.count() and not menu.evaluate("node => node.open"):
        menu.locator("summary").click()
    return page.get_by_role("navigation", name="Project").get_by_role("link", name=name)
