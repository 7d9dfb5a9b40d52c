"""Two languages: complete catalogs, and the locale chosen by setting, then browser."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from cbpar.config import ROOT

CATALOG = ROOT / "cbpar" / "translations" / "zh_Hans" / "LC_MESSAGES" / "messages.po"


def extracted_messages() -> set[str]:
    with open(ROOT / "babel.cfg") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def load_catalog():
    with open(CATALOG, "rb") as fh:
        return read_po(fh)


def test_every_message_in_the_code_is_in_the_chinese_catalog():
    catalog = load_catalog()
    missing = sorted(m for m in extracted_messages() if m not in catalog)
    assert missing == [], f"run `make translations` and translate: {missing[:20]}"


def test_chinese_catalog_has_no_untranslated_or_fuzzy_message():
    catalog = load_catalog()
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(message.id)
    assert problems == []


def test_compiled_catalog_is_present():
    assert Path(str(CATALOG).replace(".po", ".mo")).exists(), "run `make translations`"


def test_browser_language_picks_chinese(client):
    page = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    html = page.get_data(as_text=True)
    assert '<html lang="zh-Hans">' in html and "登录" in html


def test_english_is_the_default(client):
    html = client.get("/login", headers={"Accept-Language": "fr-FR"}).get_data(as_text=True)
    assert '<html lang="en">' in html and "Log in" in html


def test_language_switcher_remembers_the_choice(client):
    response = client.post("/language", data={"locale": "zh_Hans", "next": "/login"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "登录" in client.get("/login").get_data(as_text=True)
    assert client.post("/language", data={"locale": "klingon"}).status_code == 400


def test_user_setting_beats_the_browser(app, client, make_user, login):
    make_user("alice", locale="en")
    login("alice")
    html = client.get("/profile", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "Your profile" in html


@pytest.mark.parametrize("path", ["/login"])
def test_every_page_has_a_language_switcher(client, path):
    html = client.get(path).get_data(as_text=True)
    assert 'name="locale" value="zh_Hans"' in html and 'name="locale" value="en"' in html
