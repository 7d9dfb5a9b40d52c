"""Markdown rendering keeps formatting and drops anything that could run."""

from __future__ import annotations

import pytest

from cbpar.text import plain_text, render_markdown

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](java&#x09;script:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2Zz48c2NyaXB0PmFsZXJ0KDEpPC9zY3JpcHQ+PC9zdmc+)",
    "<svg><script>alert(1)</script></svg>",
    "<a href='vbscript:msgbox(1)'>x</a>",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    '<div onclick="alert(1)">click</div>',
    "<iframe src='https://example.org'></iframe>",
    "<style>body{display:none}</style>",
    '<a href="#" style="position:fixed">x</a>',
    "<math><mtext><img src=x onerror=alert(1)></mtext></math>",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_dangerous_markup_does_not_survive(payload):
    html = render_markdown(payload).lower()
    for needle in ("<script", "onerror", "onclick", "javascript:", "vbscript:", "data:", "<iframe",
                   "<style", "<svg", "style="):  # fmt: skip
        assert needle not in html, (payload, html)


def test_formatting_survives():
    html = render_markdown(
        "# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- one\n- two\n\n"
        "A [link](https://example.org) and a note.[^1]\n\n[^1]: The footnote."
    )
    assert "<h1>Title</h1>" in html and "<table>" in html and "<li>one</li>" in html
    assert 'href="https://example.org"' in html and 'rel="noopener noreferrer nofollow"' in html
    assert "The footnote." in html and 'class="footnote"' in html


def test_chinese_text_and_plain_text():
    assert "留守儿童" in render_markdown("**留守儿童**的需要")
    assert plain_text("**留守儿童**的需要") == "留守儿童的需要"
    assert plain_text("a" * 50, limit=10) == "aaaaaaaaa…"
