"""Configuration layers, the generated secret key and the production checks."""

from __future__ import annotations

import stat

import pytest

from cbpar import create_app
from cbpar.config import from_environment
from tests.helpers import config_for_tests


def test_secret_key_is_generated_once_with_private_permissions(tmp_path):
    config = config_for_tests(tmp_path)
    del config["SECRET_KEY"]
    first = create_app(config)
    key_file = tmp_path / "instance" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    second = create_app(config)
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 32


@pytest.mark.parametrize("key", ["dev", "changeme", "short-key"])
def test_production_refuses_a_short_or_known_key(tmp_path, key):
    config = config_for_tests(tmp_path, TESTING=False, SECRET_KEY=key)
    with pytest.raises(RuntimeError, match="CBPAR_SECRET_KEY"):
        create_app(config)


def test_production_accepts_a_long_random_key(tmp_path):
    app = create_app(config_for_tests(tmp_path, TESTING=False, SECRET_KEY="x" * 16 + "Yz" * 12))
    assert not app.testing


def test_environment_overrides_with_types():
    config = {
        "HTTPS": False,
        "PER_PAGE": 50,
        "DATABASE_URL": "",
        "RATELIMIT_STORAGE_URI": "memory://",
    }
    from_environment(
        config,
        {
            "CBPAR_HTTPS": "1",
            "CBPAR_PER_PAGE": "20",
            "CBPAR_DATABASE_URL": "postgresql+psycopg://x/y",
            "CBPAR_RATELIMIT_STORAGE": "redis://127.0.0.1:6379",
            "UNRELATED": "ignored",
        },
    )
    assert config == {
        "HTTPS": True,
        "PER_PAGE": 20,
        "DATABASE_URL": "postgresql+psycopg://x/y",
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
    }


def test_instance_config_file_is_read_and_environment_wins(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text("PER_PAGE = 7\nDEFAULT_TIMEZONE = 'Asia/Urumqi'\n")
    monkeypatch.setenv("CBPAR_PER_PAGE", "9")
    config = config_for_tests(tmp_path)
    app = create_app(config)
    assert app.config["DEFAULT_TIMEZONE"] == "Asia/Urumqi"
    assert app.config["PER_PAGE"] == 9
    assert app.instance_path == str(instance)


def test_instance_path_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CBPAR_INSTANCE_PATH", str(tmp_path / "elsewhere"))
    config = config_for_tests(tmp_path)
    del config["INSTANCE_PATH"]
    app = create_app(config)
    assert app.instance_path == str(tmp_path / "elsewhere")


def test_flask_uses_the_top_level_templates_and_static_folders(app):
    from cbpar.config import ROOT

    assert app.template_folder == str(ROOT / "templates")
    assert app.static_folder == str(ROOT / "static")
