"""User-written Markdown to sanitized HTML, in one place. Nothing else may mark user text safe."""

from __future__ import annotations

import markdown
import nh3
from markupsafe import Markup

EXTENSIONS = ["tables", "fenced_code", "footnotes", "sane_lists", "nl2br"]
ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol",
    "p", "pre", "s", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "id"},
    "img": {"src", "alt", "title"},
    "th": {"align", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
    "li": {"id"},
    "sup": {"id"},
    "abbr": {"title"},
    "ol": {"start"},
}
# Only these link schemes survive: no javascript:, data:, vbscript: in any encoding.
URL_SCHEMES = {"http", "https", "mailto"}


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        clean_content_tags={"script", "style"},
        allowed_classes={"div": {"footnote"}},
        strip_comments=True,
    )


def render_markdown(source: str) -> str:
    """Markdown (tables, lists, links, footnotes) to HTML that is safe to embed in a page."""
    html = markdown.markdown(source or "", extensions=EXTENSIONS, output_format="html")
    return sanitize(html)


def markdown_markup(source: str) -> Markup:
    """For templates: `{{ memo.body|markdown }}`; the only sanctioned path to unescaped output."""
    return Markup(render_markdown(source))  # sanitized by nh3 just above


def plain_text(source: str, limit: int | None = None) -> str:
    """The Markdown's text without markup, e.g. for snippets and search."""
    text = nh3.clean(render_markdown(source), tags=set()).strip()
    if limit is not None and len(text) > limit:
        return text[: limit - 1].rstrip() + "…"
    return text
