"""Two languages: complete catalogs, and the locale chosen by setting, then browser."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from flask import render_template_string

from cbpar.config import ROOT
from cbpar.i18n import zone_name

CATALOG = ROOT / "cbpar" / "translations" / "zh_Hans" / "LC_MESSAGES" / "messages.po"


def not_hidden(dirpath: str) -> bool:
    """The folders `make translations` scans: all but hidden ones (.venv, .git).

    Babel's default filter also skips folders starting with "_", which once left
    templates/_macros (the pager) out of the catalogue without any test noticing.
    """
    return not Path(dirpath).name.startswith(".")


def extracted_messages() -> set[tuple[str | None, str]]:
    """(context, msgid) of every translatable string in code, templates, macros and JS."""
    with open(ROOT / "babel.cfg") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    keywords = {
        **DEFAULT_KEYWORDS,
        "_l": None,
        "lazy_gettext": None,
        "lazy_pgettext": ((1, "c"), 2),
    }
    found = set()
    for _filename, _lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords, directory_filter=not_hidden
    ):
        found.add((context, message if isinstance(message, str) else message[0]))
    return found


def load_catalog():
    with open(CATALOG, "rb") as fh:
        return read_po(fh)


def test_every_message_in_the_code_is_in_the_chinese_catalog():
    catalog = load_catalog()
    missing = sorted(
        (ctx or "", m) for ctx, m in extracted_messages() if catalog.get(m, context=ctx) is None
    )
    assert missing == [], f"run `make translations` and translate: {missing[:20]}"


def test_extraction_covers_macros_javascript_and_contexts():
    found = extracted_messages()
    assert (None, "Page %(page)d of %(pages)d") in found  # templates/_macros/forms.html
    assert ("rank", "Place") in found and ("vote round", "Open") in found
    with open(ROOT / "babel.cfg") as fh:
        patterns = [pattern for pattern, _method in parse_mapping_cfg(fh)[0]]
    assert "static/js/*.js" in patterns


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


# --- Strings outside plain templates: macros and JavaScript (issue 15) ---------------------

ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")


def visible_text(html: str) -> str:
    """What a reader sees or hears: text between tags plus aria-labels and titles."""
    labels = re.findall(r'(?:aria-label|title)="([^"]*)"', html)
    return " ".join([re.sub(r"<[^>]+>", " ", html), *labels])


def test_the_pager_macro_speaks_chinese(app):
    page = SimpleNamespace(page=2, pages=3, has_prev=True, has_next=True)
    source = '{% from "_macros/forms.html" import pager %}{{ pager(page, "projects.users") }}'
    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        html = render_template_string(source, page=page)
    assert "第 2 页，共 3 页" in html and "上一页" in html and "下一页" in html
    assert ENGLISH_WORD.findall(visible_text(html)) == []


# A string literal in our JavaScript that reads like English shown to people: a capitalised
# word ("Up", "Not ranked"), or two words ("not ranked"). CSS class lists ("kind-") are not.
JS_LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"|\'((?:[^\'\\\n]|\\.)*)\'')
JS_ENGLISH = re.compile(r"^[A-Z][a-z]+\b|[A-Za-z]{2,} [a-z]{2,}")
JS_NOT_TEXT = {"use strict", "Content-Type", "X-CSRFToken", "POST", "GET"}


def hard_coded_english(source: str) -> list[str]:
    found = []
    for line in source.splitlines():
        if line.strip().startswith(("//", "*", "/*")):
            continue
        code = line.split(" // ", 1)[0]
        for match in JS_LITERAL.finditer(code):
            text = match.group(1) if match.group(1) is not None else match.group(2)
            if text in JS_NOT_TEXT or (text == text.lower() and re.search(r"[-_]", text)):
                continue
            if JS_ENGLISH.search(text):
                found.append(text)
    return found


def test_the_english_detector_finds_words_and_spares_code():
    assert hard_coded_english('var up = el.dataset.up || "Up";') == ["Up"]
    assert hard_coded_english("say('not ranked');") == ["not ranked"]
    assert hard_coded_english('node.className = "facility-icon kind-" + k; "use strict";') == []


def test_javascript_takes_user_visible_words_from_the_page():
    """JS shows only words the page gave it (data-* attributes or its JSON config, from _())."""
    offenders = {
        path.name: words
        for path in sorted((ROOT / "static" / "js").glob("*.js"))  # static/vendor is not ours
        if (words := hard_coded_english(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


# --- Times: "Beijing time" rather than a zone id ------------------------------------------


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "PRC"])
def test_china_standard_time_is_called_beijing_time(app, zone):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert zone_name(zone) == "Beijing time"
    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        assert zone_name(zone) == "北京时间"


@pytest.mark.parametrize("zone", ["Asia/Urumqi", "Europe/Berlin", "UTC"])
def test_other_zones_keep_their_id(app, zone):
    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        assert zone_name(zone) == zone


# --- Key terms of the glossary (docs/glossary.md) render as chosen -------------------------


def test_key_terms_read_as_the_glossary_chose(app):
    from cbpar.mapping.models import FacilityStatus, MigrantParents
    from cbpar.meetings.models import ActionStatus, MeetingStatus
    from cbpar.needs.models import RoundState

    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        assert str(RoundState.OPEN.label) == "进行中"  # a vote round under way
        assert str(ActionStatus.OPEN.label) == "未完成"  # an action item not done yet
        assert str(RoundState.CLOSED.label) == "已结束"
        assert str(MeetingStatus.PLANNED.label) == "已安排"
        assert str(FacilityStatus.PLANNED.label) == "规划中"
        assert str(MigrantParents.NONE.label) == "父母均未外出"
        assert str(MigrantParents.BOTH.label) == "父母均外出"
        assert render_template_string('{{ pgettext("rank", "Place") }}') == "名次"
        assert render_template_string('{{ _("Place") }}') == "地点"  # where a meeting is held
        assert render_template_string('{{ _("not ranked") }}') == "未排名"
