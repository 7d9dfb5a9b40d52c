"""The servers of one load test: a database built once and kept, Redis, two gunicorns.

The code under test runs in subprocesses with its folder first on PYTHONPATH, so an older copy
of the code (for "before" figures) is measured the same way as the checkout.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

BIN = Path(sys.executable).parent
PG_BASE = "postgresql+psycopg://postgres@127.0.0.1:5432/"
# Log-in throttling counts failures only, and the load test never fails a log-in; the limits
# are raised anyway, so that a slip in the test cannot turn into 429 answers mid-run.
UNTHROTTLED = "100000 per minute"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass
class Database:
    kind: str  # "postgresql" or "sqlite"
    name: str
    cache: Path

    @property
    def url(self) -> str:
        if self.kind == "postgresql":
            return PG_BASE + self.name
        return f"sqlite:///{self.cache / (self.name + '.sqlite3')}"

    def count(self, sql: str, **params) -> int | None:
        """A count from the database, None if it or the table does not exist."""
        if self.kind == "sqlite" and not (self.cache / (self.name + ".sqlite3")).exists():
            return None
        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                return int(conn.execute(text(sql), params).scalar() or 0)
        except Exception:  # no database or no table: build it
            return None
        finally:
            engine.dispose()

    def drop_and_create(self) -> None:
        if self.kind == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                (self.cache / f"{self.name}.sqlite3{suffix}").unlink(missing_ok=True)
            return
        admin = create_engine(PG_BASE + "postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        admin.dispose()


@dataclass
class Stack:
    root: Path  # the code under test
    work: Path  # this run's folder: instance, logs, locust's CSV
    secret: str
    redis_url: str = "memory://"
    processes: list[subprocess.Popen] = field(default_factory=list)

    def env(self, database: Database) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            PYTHONPATH=os.pathsep.join(filter(None, [str(self.root), env.get("PYTHONPATH")])),
            CBPAR_DATABASE_URL=database.url,
            CBPAR_SECRET_KEY=self.secret,
            CBPAR_INSTANCE_PATH=str(self.work / f"instance-{database.kind}"),
            CBPAR_RATELIMIT_STORAGE=self.redis_url,
            CBPAR_LOGIN_RATE_LIMIT=UNTHROTTLED,
            CBPAR_LOGIN_ADDRESS_RATE_LIMIT=UNTHROTTLED,
            CBPAR_ATTACHMENT_STORAGE="database",
        )
        return env

    def cbpar(self, database: Database, *args: str) -> str:
        """`cbpar ARGS` of the code under test; its output (raises with it on failure)."""
        command = [sys.executable, "-c", "from cbpar.cli import main; main()", *args]
        return self.run(database, command)

    def run(self, database: Database, command: list[str]) -> str:
        done = subprocess.run(
            command, cwd=self.root, env=self.env(database), capture_output=True, text=True
        )
        if done.returncode:
            raise SystemExit(f"{' '.join(command[-3:])} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def build(self, database: Database, households: int, fresh: bool) -> None:
        """Schema and demo with `households` synthetic households, reused while the code's
        migrations and demo are unchanged (a key file in the cache folder)."""
        sources = sorted((self.root / "cbpar" / "migrations" / "versions").glob("*.py"))
        sources += [self.root / "cbpar" / "demo.py", self.root / "cbpar" / "mapping" / "demo.py"]
        digest = hashlib.sha256()
        for path in sources:
            digest.update(path.name.encode() + path.read_bytes())
        key = f"{digest.hexdigest()}:{households}"
        key_file = database.cache / f"{database.name}.{database.kind}.key"
        have = database.count("SELECT count(*) FROM household")
        kept = key_file.exists() and key_file.read_text() == key
        if not fresh and kept and have is not None and have >= households:
            say(f"{database.kind}: reusing {database.name} ({have} households)")
            self.cbpar(database, "db", "upgrade")
            return
        say(f"{database.kind}: building {database.name} with {households} households")
        key_file.unlink(missing_ok=True)
        database.drop_and_create()
        self.cbpar(database, "db", "upgrade")
        self.cbpar(database, "demo", "--households", str(households))
        key_file.write_text(key)

    def start_redis(self) -> None:
        if not _which("redis-server"):
            say("no redis-server: log-in limits in each worker's memory (memory://)")
            return
        port = free_port()
        self.spawn(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            "redis",
        )
        self.redis_url = f"redis://127.0.0.1:{port}/0"

    def gunicorn(self, app: str, name: str, workers: int, env: dict[str, str], cwd: Path) -> str:
        """Start `app` under gunicorn (sync workers, as deploy/systemd/cbpar@.service); its URL."""
        port = free_port()
        logs = self.work / "logs"
        self.spawn(
            [
                str(BIN / "gunicorn"),
                "--workers",
                str(workers),
                "--worker-class",
                "sync",
                "--bind",
                f"127.0.0.1:{port}",
                "--timeout",
                "300",
                "--access-logfile",
                str(logs / f"access-{name}.log"),
                "--error-logfile",
                str(logs / f"gunicorn-{name}.log"),
                app,
            ],
            name,
            env=env,
            cwd=cwd,
        )
        url = f"http://127.0.0.1:{port}"
        wait_ready(url + ("/healthz" if app.startswith("cbpar") else "/"), name, self.work)
        return url

    def spawn(self, command: list[str], name: str, env=None, cwd=None) -> subprocess.Popen:
        log = open(self.work / "logs" / f"{name}.out", "w")  # noqa: SIM115 - the process's
        process = subprocess.Popen(
            command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes.append(process)
        return process

    def stop(self, process: subprocess.Popen | None = None) -> None:
        """Stop one process (or all): SIGINT is a quick shutdown for gunicorn and Redis; a
        gunicorn worker deep in a request may not listen, so its whole group is then killed."""
        for proc in [process] if process else list(reversed(self.processes)):
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)  # its own session: workers too
                    proc.wait()
            self.processes.remove(proc)


def drain(url: str, quick: float = 0.5, seconds: float = 120) -> float:
    """Seconds until `url` answers within `quick` seconds again (the backlog a phase left),
    at most about `seconds`: the next phase then starts on a server still busy."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        begin = time.monotonic()
        with contextlib.suppress(requests.RequestException):
            requests.get(url, timeout=30)
        if time.monotonic() - begin < quick:
            break
    return time.monotonic() - start


def wait_ready(url: str, name: str, work: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    log = work / "logs" / f"gunicorn-{name}.log"
    tail = log.read_text()[-3000:] if log.exists() else ""
    raise SystemExit(f"{name} did not answer {url} within {seconds:.0f} s\n{tail}")


def _which(program: str) -> bool:
    return any(
        (Path(folder) / program).is_file() for folder in os.environ.get("PATH", "").split(":")
    )
