"""Search helpers: terms, highlighting (escaped), snippets, and substring matching in Chinese."""

from __future__ import annotations

from sqlalchemy import select

from cbpar.auth.models import User
from cbpar.db import db
from cbpar.search import highlight, matches, snippet, terms_of


def test_terms_and_phrases():
    assert terms_of('kindergarten "left behind" 留守') == ["left behind", "kindergarten", "留守"]
    assert terms_of("   ") == []


def test_highlight_escapes_user_text():
    html = str(highlight("<b>留守儿童</b> and KINDERGARTEN", ["留守", "kindergarten"]))
    assert html == "&lt;b&gt;<mark>留守</mark>儿童&lt;/b&gt; and <mark>KINDERGARTEN</mark>"


def test_snippet_centres_on_the_match():
    text = "x " * 200 + "幼儿园太远了" + " y" * 200
    html = str(snippet(text, ["幼儿园"], width=60))
    assert "<mark>幼儿园</mark>" in html and html.startswith("…") and html.endswith("…")


def test_matching_finds_chinese_substrings_and_escapes_wildcards(ctx):
    db.session.add_all(
        [
            User(username="u1", display_name="村里的留守儿童很多"),
            User(username="u2", display_name="100% sure"),
            User(username="u3", display_name="1000 sure"),
        ]
    )
    db.session.flush()

    def find(*terms):
        query = select(User.username).where(matches([User.display_name], list(terms)))
        return sorted(db.session.scalars(query))

    assert find("留守") == ["u1"]
    assert find("留守", "很多") == ["u1"]
    assert find("留守", "没有") == []
    assert find("0%") == ["u2"]  # % is a literal, not a wildcard


def test_snippets_from_stored_html_are_escaped_once():
    """A memo's stored HTML keeps "&" as "&amp;": the snippet shows "&", escaped once, and a
    term with "&" or "<" in it is found."""
    from cbpar.search import html_text
    from cbpar.text import render_markdown

    stored = render_markdown("Tom & Jerry: 5 < 7, <script>x</script>")
    text = html_text(stored)
    assert "Tom & Jerry" in text and "5 < 7" in text and "<script>" not in text
    shown = str(snippet(text, ["& jerry"]))
    assert "Tom <mark>&amp; Jerry</mark>" in shown and "&amp;amp;" not in shown
