"""Every kind of notification reads well in English and Chinese, from the contract's params
only (dates in the project's time zone, numbers in the reader's locale)."""

from __future__ import annotations

import re

import pytest

from cbpar.notify.messages import WRITERS, render
from cbpar.notify.models import EventKind

# The params each kind carries (the contract in docs/notifications.md), with sample values.
CONTRACT_PARAMS: dict[str, dict] = {
    "vote_opened": {"question": "Which need first?", "closes": "2026-12-01T10:00:00+00:00"},
    "vote_closing": {"question": "Which need first?", "closes": "2026-12-01T10:00:00+00:00"},
    "vote_results": {"question": "Which need first?"},
    "meeting_planned": {"title": "Village meeting", "starts": "2026-12-02T06:00:00+00:00",
                        "meeting_id": 3},
    "meeting_changed": {"title": "Village meeting", "starts": "2026-12-02T06:00:00+00:00",
                        "meeting_id": 3},
    "meeting_cancelled": {"title": "Village meeting", "starts": "2026-12-02T06:00:00+00:00",
                          "meeting_id": 3},
    "minutes_to_approve": {"title": "Village meeting"},
    "minutes_approved": {"title": "Village meeting"},
    "action_assigned": {"meeting": "Village meeting", "due": "2026-12-05"},
    "action_due": {"meeting": "Village meeting", "due": "2026-12-05"},
    "action_overdue": {"meeting": "Village meeting", "due": "2026-12-05"},
    "comment_reply": {"record_type": "memo"},
    "need_status": {"need": "A kindergarten", "status": "confirmed"},
    "contacts_overdue": {"programme": "Weekly calls", "count": 3},
    "followups_due": {"count": 2},
    "reflection_waiting": {"programme": "Weekly calls", "date": "2026-12-05"},
    "invitation_accepted": {"role": "field_worker"},
    "import_finished": {"what": "households", "rows": 120},
    "import_failed": {"what": "households"},
    "backup_failed": {},
    "milestone_reached": {"initiative": "Kindergarten", "milestone": "Walls built"},
}  # fmt: skip
# What must never reach a message even if a feature put it in params by mistake.
FORBIDDEN = {
    "household_code": "SH-017",
    "child": "Wang Xiaoming",
    "name": "Li Hua",
    "text": "SECRET-CONTENT-123",
    "ballot": "BALLOT-CHOICE-9",
}
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_kind_has_words_and_contract_params():
    assert set(WRITERS) == {kind.value for kind in EventKind} == set(CONTRACT_PARAMS)


@pytest.mark.parametrize("kind", [kind.value for kind in EventKind])
@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
def test_every_kind_renders_in_both_languages(app, kind, locale):
    with app.app_context():
        message = render(kind, CONTRACT_PARAMS[kind], locale, url="/projects/p1/")
        plain = render(kind, {}, locale)  # missing params never break a message
    for text in (message.subject, message.text, plain.subject, plain.text):
        assert text.strip()
        assert "%(" not in text and "None" not in text
    assert message.url == "/projects/p1/"
    if locale == "zh_Hans":
        assert CJK.search(message.subject), message.subject
        assert CJK.search(message.text), message.text
    else:
        assert not CJK.search(message.subject + message.text)
    assert len(message.subject) <= 200


@pytest.mark.parametrize("kind", [kind.value for kind in EventKind])
def test_params_outside_the_contract_never_show(app, kind):
    params = {**CONTRACT_PARAMS[kind], **FORBIDDEN}
    with app.app_context():
        for locale in ("en", "zh_Hans"):
            message = render(kind, params, locale)
            words = message.subject + " " + message.text
            for key, value in FORBIDDEN.items():
                assert value not in words, (kind, key)


def test_dates_are_in_the_project_time_zone_and_the_readers_language(app):
    params = CONTRACT_PARAMS["vote_opened"]
    with app.app_context():
        en = render("vote_opened", params, "en").text
        zh = render("vote_opened", params, "zh_Hans").text
        urumqi = render("vote_opened", params, "en", timezone="Asia/Urumqi").text
        due = render("action_due", CONTRACT_PARAMS["action_due"], "zh_Hans").text
    assert "Tue, Dec 1 18:00 (Beijing time)" in en  # 10:00 UTC is 18:00 in Beijing
    assert "12月1日周二 18:00（北京时间）" in zh
    assert "Dec 1 16:00 (Asia/Urumqi)" in urumqi
    assert "12月5日周六" in due


def test_numbers_and_labels_in_the_readers_language(app):
    with app.app_context():
        one = render("contacts_overdue", {"programme": "P", "count": 1}, "en").text
        many = render("contacts_overdue", {"programme": "P", "count": 1200}, "en").text
        need = render("need_status", CONTRACT_PARAMS["need_status"], "en").text
        role = render("invitation_accepted", {"role": "field_worker"}, "en").text
        rows = render("import_finished", {"what": "households", "rows": 1}, "en").text
    assert "1 child in this programme" in one
    assert "1,200 children" in many
    assert "is now: Confirmed." in need
    assert "as Field worker." in role
    assert "1 row was read" in rows


def test_links_are_local_paths_made_absolute_only_with_the_base_url(app):
    with app.app_context():
        assert render("vote_results", {}, "en", url="/p/1", base_url="https://w.example/").url == (
            "https://w.example/p/1"
        )
        for bad in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)", ""):
            assert render("vote_results", {}, "en", url=bad).url == "/"


def test_unknown_kinds_and_locales_fall_back(app):
    with app.app_context():
        unknown = render("something_new", {"x": 1}, "en")
        english = render("backup_failed", {}, None)
        also = render("backup_failed", {}, "fr")
    assert unknown.subject == "Notification"
    assert english.subject == also.subject == "Backup failed"
