"""Which language a page is shown in, and time zone helpers for display."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import g, has_request_context, request, session
from flask_babel import gettext as _
from flask_login import current_user

SUPPORTED_LOCALES = ("en", "zh_Hans")
LOCALE_NAMES = {"en": "English", "zh_Hans": "简体中文"}


def _from_browser() -> str | None:
    for tag, _quality in request.accept_languages:
        tag = tag.lower().replace("_", "-")
        if tag.startswith("zh"):
            return "zh_Hans"  # the only Chinese catalog; closer than English for any zh reader
        if tag.startswith("en"):
            return "en"
    return None


def select_locale() -> str:
    """The user's setting, then this browser's choice, then Accept-Language, then English."""
    if not has_request_context():
        return "en"  # command line
    if current_user and current_user.is_authenticated and current_user.locale:
        return current_user.locale
    if session.get("locale") in SUPPORTED_LOCALES:
        return session["locale"]
    return _from_browser() or "en"


def html_lang(locale: str) -> str:
    return "zh-Hans" if locale == "zh_Hans" else locale


def project_timezone() -> str:
    project = g.get("project")
    return project.timezone if project is not None else "Asia/Shanghai"


# Zone ids that tzdata links to Asia/Shanghai: all of them are Beijing time (UTC+8, no DST).
# Asia/Urumqi is not: tzdata gives it Xinjiang time (UTC+6).
BEIJING_TIME_ZONES = frozenset(
    {"Asia/Shanghai", "Asia/Chongqing", "Asia/Chungking", "Asia/Harbin", "PRC"}
)


def zone_name(timezone: str | None = None) -> str:
    """The time zone as people say it: "Beijing time" (北京时间) for China, else the zone id."""
    timezone = timezone or project_timezone()
    if timezone in BEIJING_TIME_ZONES:
        return _("Beijing time")
    return timezone


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC timestamp shown in the current project's time zone."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(project_timezone())).strftime(fmt)
