"""OpenRosa answers: the response XML with a message, the form list, and their headers."""

from __future__ import annotations

from email.utils import formatdate
from typing import Any
from xml.sax.saxutils import escape

from flask import Response, current_app

RESPONSE_NS = "http://openrosa.org/http/response"
XFORMS_LIST_NS = "http://openrosa.org/xforms/xformsList"
XML = "text/xml; charset=utf-8"


def headers(response: Response) -> Response:
    """Every OpenRosa answer says its protocol version, its date, and the largest body taken."""
    response.headers["X-OpenRosa-Version"] = "1.0"
    response.headers["Date"] = formatdate(usegmt=True)
    response.headers["X-OpenRosa-Accept-Content-Length"] = str(accept_content_length())
    response.headers["Cache-Control"] = "no-store"
    return response


def accept_content_length() -> int:
    return int(current_app.config.get("MAX_CONTENT_LENGTH") or 10 * 1024 * 1024)


def message(text: str, status: int) -> Response:
    body = (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        f'<OpenRosaResponse xmlns="{RESPONSE_NS}">'
        f'<message nature="">{escape(str(text))}</message>'
        "</OpenRosaResponse>"
    )
    return headers(Response(body, status=status, content_type=XML))


def form_list(forms: list[dict[str, Any]]) -> Response:
    """`forms`: dicts with form_id, name, version, hash (md5:...), download_url."""
    items = []
    for form in forms:
        items.append(
            "<xform>"
            f"<formID>{escape(form['form_id'])}</formID>"
            f"<name>{escape(form['name'])}</name>"
            f"<version>{escape(form['version'])}</version>"
            f"<hash>{escape(form['hash'])}</hash>"
            f"<downloadUrl>{escape(form['download_url'])}</downloadUrl>"
            "</xform>"
        )
    body = (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        f'<xforms xmlns="{XFORMS_LIST_NS}">{"".join(items)}</xforms>'
    )
    return headers(Response(body, status=200, content_type=XML))


def xml_document(text: str) -> Response:
    return headers(Response(text, status=200, content_type=XML))


def no_content() -> Response:
    return headers(Response(status=204))
