"""Issue 13: the files in deploy/ are the ones docs/deployment.md shows, and they hang together."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cbpar.config import Defaults, check_secret_key

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
FILES = sorted(p for p in DEPLOY.rglob("*") if p.is_file())


def test_deploy_holds_the_nginx_site_the_units_and_the_environment():
    names = {p.relative_to(DEPLOY).as_posix() for p in FILES}
    assert {
        "nginx/cbpar.conf",
        "systemd/cbpar@.service",
        "systemd/cbpar-backup.service",
        "systemd/cbpar-backup.timer",
        "cbpar.env.example",
    } <= names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(DEPLOY).as_posix())
def test_the_docs_show_each_file_verbatim(path):
    docs = (ROOT / "docs" / "deployment.md").read_text()
    assert path.read_text().rstrip() in docs, f"docs/deployment.md differs from {path.name}"


def test_the_example_environment_names_real_settings_and_cannot_start_as_is():
    settings = {}
    for line in (DEPLOY / "cbpar.env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            settings[name] = value
    aliases = {"CBPAR_RATELIMIT_STORAGE": "RATELIMIT_STORAGE_URI"}
    for name in settings:
        key = aliases.get(name, name.removeprefix("CBPAR_"))
        assert hasattr(Defaults, key), f"{name} is not a setting"
    assert check_secret_key(settings["CBPAR_SECRET_KEY"]) is not None  # a placeholder
    assert settings["CBPAR_ATTACHMENT_STORAGE"] == "database"
    assert settings["CBPAR_TRUSTED_PROXIES"] == "1"


def test_the_units_read_the_environment_file_and_the_site_proxies_to_both_servers():
    service = (DEPLOY / "systemd" / "cbpar@.service").read_text()
    backup = (DEPLOY / "systemd" / "cbpar-backup.service").read_text()
    for unit in (service, backup):
        assert "EnvironmentFile=/etc/cbpar/cbpar.env" in unit
    assert re.search(r"gunicorn --workers 2 --bind 127\.0\.0\.1:%i .*cbpar:create_app\(\)", service)
    assert "cbpar backup -o" in backup
    assert "OnCalendar=" in (DEPLOY / "systemd" / "cbpar-backup.timer").read_text()
    site = (DEPLOY / "nginx" / "cbpar.conf").read_text()
    assert "server 127.0.0.1:8001;" in site and "server 127.0.0.1:8002;" in site
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in site
    assert "expires 7d" in site and "real_ip_header" not in site  # the test header stays out
