"""The load test's clients, loaded by locust (never by pytest): see tests/load/__main__.py.

Settings come from the JSON file named by LOAD_CONFIG (written by the driver from
tests/load/prepare.py's output). LOAD_HELLO=1 sends the same requests to the bare "hello" app
(the ceiling): nothing is parsed and every answer is expected to be 200.

Each client keeps its own cookies (one log-in per person) and times every request itself, to
the last byte of the body as it came over the wire (gzip is asked for, as browsers do, and not
decompressed: what is measured is the server, not this machine's gunzip).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests
from locust import User, between, constant, task

CONFIG = json.loads(Path(os.environ["LOAD_CONFIG"]).read_text(encoding="utf-8"))
HELLO = os.environ.get("LOAD_HELLO") == "1"
SLUG = CONFIG["slug"]
PROJECT = f"/projects/{SLUG}"
HOUSEHOLDS_URL = f"/api/v1/projects/{SLUG}/households.geojson"
SEARCH_TERMS = ["幼儿园", "kindergarten", "留守", "road", "grandparents"]
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_accounts = itertools.count()
# A person gives up after this long; the request then counts as an error.
TIMEOUT = float(os.environ.get("LOAD_TIMEOUT", "30"))


class UnexpectedAnswer(Exception):
    pass


class Client(User):
    """A person with a browser: their own cookies, requests timed here."""

    abstract = True
    role_accounts = "members"

    def on_start(self) -> None:
        self.http = requests.Session()
        self.http.headers["Accept-Encoding"] = "gzip"
        self.etags: dict[str, str] = {}
        self.csrf = "hello"
        # What the map page loads for its household points (read from the page by the driver).
        self.map_data_url = CONFIG.get("map_data_url") or HOUSEHOLDS_URL
        names = CONFIG[self.role_accounts]
        self.username = names[self.account_index() % len(names)]
        cookies = CONFIG.get("cookies", {}).get(self.username)
        if cookies:  # logged in by the driver before the phase: the mix has no log-in storm
            # With the server's host and path, so that the cookies it sets later replace these.
            for name, value in cookies.items():
                self.http.cookies.set(name, value, domain=urlsplit(self.host).hostname, path="/")
        elif not HELLO:
            self.log_in()

    def account_index(self) -> int:
        return next(_accounts)

    def call(self, method, path, name, expect=(200,), text=False, check=None, **kwargs):
        """One request, timed to its last byte and reported to locust under `name`; `check`
        looks at the body and names what is wrong with it, if anything."""
        expect = (200,) if HELLO else expect
        start = time.perf_counter()
        response, body, error = None, b"", None
        try:
            response = self.http.request(
                method,
                self.host + path,
                stream=True,
                allow_redirects=False,
                timeout=TIMEOUT,
                **kwargs,
            )
            body = response.raw.read(decode_content=text)
            response.close()
            if response.status_code not in expect:
                error = UnexpectedAnswer(f"{response.status_code} (expected {expect})")
            elif check is not None and not HELLO and (problem := check(body)):
                error = UnexpectedAnswer(problem)
        except (requests.RequestException, OSError) as exc:
            error = exc
        self.environment.events.request.fire(
            request_type=method,
            name=name,
            response_time=(time.perf_counter() - start) * 1000,
            response_length=len(body),
            exception=error,
            context={},
        )
        return response, body if not text else body.decode("utf-8", "replace")

    def page(self, path: str, name: str) -> str:
        """An HTML page; keeps its CSRF token for the next form or API write."""
        _response, html = self.call("GET", path, name, text=True)
        found = CSRF.search(html)
        if found:
            self.csrf = found.group(1)
        return html

    def log_in(self) -> None:
        self.page("/login", "log-in page")
        self.call(
            "POST",
            "/login",
            "log in",
            expect=(302, 303),
            data={
                "username": self.username,
                "password": CONFIG["password"],
                "csrf_token": self.csrf,
            },
        )

    def fetch(self, url: str, name: str, conditional: bool) -> None:
        """A map data request; `conditional`: revalidate as a browser does (If-None-Match)."""
        headers = {"If-None-Match": self.etags[url]} if conditional and url in self.etags else {}
        response, _body = self.call("GET", url, name, expect=(200, 304), headers=headers)
        if response is not None and response.headers.get("ETag"):
            self.etags[url] = response.headers["ETag"]


class Member(Client):
    """A researcher at work: the overview, the map, memos, search, a meeting."""

    wait_time = between(1, 3)

    @task(3)
    def overview(self) -> None:
        self.page(f"{PROJECT}/", "overview")

    @task(2)
    def map(self) -> None:
        """The map page and what it loads: its household points, facilities, villages."""
        self.page(f"{PROJECT}/map", "map page")
        self.fetch(self.map_data_url, "map data (household points)", conditional=True)
        self.call("GET", f"/api/v1/projects/{SLUG}/facilities.geojson", "facilities.geojson")
        self.call("GET", f"/api/v1/projects/{SLUG}/villages.geojson", "villages.geojson")

    @task(1)
    def geojson(self) -> None:
        """households.geojson itself (scripts, QGIS, the API's users)."""
        self.fetch(HOUSEHOLDS_URL, "households.geojson", conditional=True)

    @task(2)
    def memos(self) -> None:
        self.page(f"{PROJECT}/memos", "memo list")

    @task(2)
    def search(self) -> None:
        term = random.choice(SEARCH_TERMS)
        self.call("GET", f"{PROJECT}/search", "search", params={"q": term})

    @task(1)
    def meeting(self) -> None:
        self.page(f"{PROJECT}/meetings/{CONFIG['meeting_id']}", "meeting")


class Voter(Client):
    """A committee member in the open round: casts a ballot at once, then changes it."""

    role_accounts = "voters"
    wait_time = between(1, 3)
    _voters = itertools.count()

    def account_index(self) -> int:
        return next(self._voters)

    def on_start(self) -> None:
        super().on_start()
        self.vote_page()
        self.cast()

    def vote_page(self) -> None:
        self.page(f"{PROJECT}/votes/{CONFIG['round_id']}", "vote page")

    @task(3)
    def cast(self) -> None:
        if self.csrf == "hello" and not HELLO:  # the page had not come: open it first
            self.vote_page()
        needs = list(CONFIG["need_ids"])
        random.shuffle(needs)
        ranking = needs[: random.randint(1, len(needs))]
        self.call(
            "POST",
            f"/api/v1/votes/{CONFIG['round_id']}/ballot",
            "ballot (cast or change)",
            expect=(201,),
            json={"ranking": ranking},
            headers={"X-CSRFToken": self.csrf},
            text=True,
            check=lambda body: None if b'"receipt"' in body else "no receipt",
        )

    @task(1)
    def again(self) -> None:
        self.vote_page()


class MapBurst(Client):
    """Target 2: one of 32 people opening the map at the same moment, again and again (its
    household points: the page itself is small)."""

    wait_time = constant(0)

    @task
    def load(self) -> None:
        self.fetch(self.map_data_url, "map data (burst)", conditional=False)


class LogIn(Client):
    """Someone logging in and out while the burst runs."""

    wait_time = between(1, 2)

    def account_index(self) -> int:
        return len(CONFIG["members"]) - 1 - next(self._logins) % 8

    _logins = itertools.count()

    @task
    def again(self) -> None:
        self.page(f"{PROJECT}/", "overview")
        self.call("POST", "/logout", "log out", expect=(302, 303), data={"csrf_token": self.csrf})
        self.log_in()


class Abandon(Client):
    """Gives up on the map: sends the request, closes the connection before the answer."""

    wait_time = between(0.5, 1.5)

    def account_index(self) -> int:
        return len(CONFIG["members"]) - 9 - next(self._abandons) % 8

    _abandons = itertools.count()

    @task
    def abandon(self) -> None:
        where = urlsplit(self.host)
        cookies = "; ".join(f"{c.name}={c.value}" for c in self.http.cookies)
        request = (
            f"GET {self.map_data_url} HTTP/1.1\r\nHost: {where.netloc}\r\n"
            f"Accept-Encoding: gzip\r\nCookie: {cookies}\r\nConnection: close\r\n\r\n"
        )
        start = time.perf_counter()
        error = None
        try:
            with socket.create_connection((where.hostname, where.port or 80), timeout=5) as sock:
                sock.sendall(request.encode())
                time.sleep(random.uniform(0.05, 0.3))
        except OSError as exc:
            error = exc
        self.environment.events.request.fire(
            request_type="GET",
            name="map data (abandoned)",
            response_time=(time.perf_counter() - start) * 1000,
            response_length=0,
            exception=error,
            context={},
        )


# How many of each this phase runs (the driver passes the class names to locust).
for _kind in (Member, Voter, MapBurst, LogIn, Abandon):
    _kind.fixed_count = int(CONFIG.get("counts", {}).get(_kind.__name__, 1))
