"""The link picker macro: a select grouped by kind of record, with counts, that works without
JavaScript, and the words its script shows, translated on the server."""

from __future__ import annotations

import re

from flask import render_template_string
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from cbpar.security import Role
from tests.helpers import confirmed_need, seed

MACRO = '{% from "_macros/link_picker.html" import link_picker %}{{ link_picker(form.record) }}'


class PickForm(FlaskForm):
    record = SelectField("Record discussed")


def _render(app, choices, data=None) -> str:
    with app.test_request_context("/?lang=zh_Hans"):
        form = PickForm(formdata=None, meta={"csrf": False})
        form.record.choices = choices
        form.record.data = data
        return render_template_string(MACRO, form=form)


def test_groups_with_counts_and_the_chosen_option_without_javascript(app):
    """The shape cbpar/meetings/forms.py gives: {kind label: [(value, label)]}."""
    html = _render(
        app,
        {
            "Memo": [("memo:2", "隔代照料"), ("memo:1", "Distance")],
            "Household": [("household:7", "SH-007")],
        },
        data="household:7",
    )
    assert '<select id="record" name="record"' in html
    groups = re.findall(r'<optgroup label="([^"]+)" data-group="([^"]+)">', html)
    assert groups == [("Memo (2)", "Memo"), ("Household (1)", "Household")]
    assert '<option value="household:7" selected>SH-007</option>' in html
    assert '<option value="memo:2">隔代照料</option>' in html
    assert re.search(r'<script src="/static/js/link-picker\.[^"]*js" nonce="[^"]+" defer>', html)


def test_optgroup_choices_and_the_script_words_from_the_page(app):
    """The shape cbpar/needs/views.py gives: SelectChoice(value, label, optgroup=kind)."""
    html = _render(
        app,
        [
            SelectChoice("memo:1", "Memo one", optgroup="备忘录"),
            SelectChoice("household:1", "SH-001", optgroup="住户"),
            SelectChoice("household:2", "SH-002", optgroup="住户"),
        ],
    )
    assert 'label="住户 (2)"' in html and 'label="备忘录 (1)"' in html
    words = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', html))
    # The script's words come from the page (translated there), placeholders and all.
    assert words["search-label"].startswith("Search")
    assert words["count-some"] == "Matching: {shown} of {total}"
    assert words["group-count"] == "{group} ({shown} of {total})"
    assert words["count-none"] and words["count-all"] == "Records to choose from: {total}"
    assert 'id="record-count" aria-live="polite">Records to choose from: 3<' in html


def test_the_evidence_picker_of_a_need_is_the_link_picker(client, team, login, add_household):
    for _ in range(3):
        add_household(team["project"])
    need_id = seed(client.application, confirmed_need)
    login(team["users"][Role.RESEARCHER])
    html = client.get(f"/projects/p1/needs/{need_id}").get_data(as_text=True)
    assert "data-link-picker" in html
    assert re.search(r'<optgroup label="[^"]+ \(3\)" data-group="[^"]+">', html)
