"""Features plug in at one point, `integration.init_app(app)`: importing a module registers
nothing, and each app has its own registries (tests make many apps in one process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cbpar import create_app, links, search
from cbpar.attachments import services as attachment_services
from cbpar.comments import services as comment_services
from cbpar.projects import services as project_services
from tests.helpers import config_for_tests

ROOT = Path(__file__).resolve().parents[2]

# Imports every module of cbpar (but the Alembic scripts) in a fresh interpreter, then reports
# what the registries hold for an app nobody set up, and any module-level registry left.
IMPORT_EVERYTHING = """
import importlib, json, pkgutil, sys
import cbpar
names = [m.name for m in pkgutil.walk_packages(cbpar.__path__, "cbpar.")
         if not m.name.startswith("cbpar.migrations")]
for name in names:
    importlib.import_module(name)
from flask import Flask
from cbpar import links, search
from cbpar.attachments import services as attachments
from cbpar.comments import services as comments
from cbpar.projects import services as projects
old = {"REGISTRY", "PROVIDERS", "HOME_PANELS", "TARGETS", "EXCLUDED"}
apps = [f"{n}.{a}" for n in names for a, v in vars(sys.modules[n]).items() if isinstance(v, Flask)]
with Flask("bare").app_context():
    print(json.dumps({
        "modules": len(names),
        "record_types": list(links.record_types()),
        "search": list(search.providers()),
        "home_panels": len(projects.registered_home_panels()),
        "attachment_targets": list(attachments.targets()),
        "comment_exclusions": sorted(comments.excluded()),
        "module_registries": [f"{n}.{a}" for n in names for a in vars(sys.modules[n]) if a in old],
        "apps_made_on_import": apps,
    }))
"""


def test_importing_every_module_registers_nothing():
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERYTHING],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout)
    assert found["modules"] > 100
    assert found == {
        "modules": found["modules"],
        "record_types": [],
        "search": [],
        "home_panels": 0,
        "attachment_targets": [],
        "comment_exclusions": [],
        "module_registries": [],
        "apps_made_on_import": [],
    }


def _registries(app) -> dict:
    with app.app_context():
        return {
            "record_types": list(links.record_types()),
            "search": list(search.providers()),
            "home_panels": [p.__module__ for p in project_services.registered_home_panels()],
            "attachment_targets": sorted(attachment_services.targets()),
            "comment_exclusions": sorted(comment_services.excluded()),
            "globals": sorted(
                name
                for name in ("memos_about", "comment_thread", "attachments_of", "children_of")
                if name in app.jinja_env.globals
            ),
            "filters": sorted(n for n in ("money", "figure") if n in app.jinja_env.filters),
        }


def test_create_app_fills_the_registries_of_each_app_alone(tmp_path):
    first = create_app(config_for_tests(tmp_path / "one"))
    second = create_app(config_for_tests(tmp_path / "two"))
    filled = _registries(first)
    assert set(filled["record_types"]) == {
        "village", "household", "facility", "saved_analysis", "memo", "interview", "meeting",
        "decision", "action_item", "need", "vote_round", "initiative", "milestone", "programme",
        "qda_code", "qda_coding", "minutes", "contact",
    }  # fmt: skip
    assert set(filled["search"]) == {"household", "memo", "interview", "comment", "minutes", "need"}
    # The home page shows its panels in a fixed order, whatever order features register in.
    assert filled["home_panels"] == [
        "cbpar.notify.integration",
        "cbpar.meetings.integration",
        "cbpar.needs.integration",
        "cbpar.memos.integration",
        "cbpar.initiatives.integration",
        "cbpar.care.integration",
    ]
    # Households and facilities: photos sent with ODK Collect submissions (openrosa);
    # contacts: recordings and photos from the field app (care).
    assert filled["attachment_targets"] == [
        "contact", "facility", "household", "interview", "memo", "milestone",
    ]  # fmt: skip
    assert filled["comment_exclusions"] == ["child", "contact_log", "interview"]
    assert filled["globals"] == ["attachments_of", "children_of", "comment_thread", "memos_about"]
    assert filled["filters"] == ["figure", "money"]
    assert _registries(second) == filled
    with first.app_context():
        search.register(first, "extra", lambda *_args: [])
    with second.app_context():
        assert "extra" not in search.providers()
