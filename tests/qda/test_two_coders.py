"""Two coders: a blind second coding (neither sees the other's until finished), and agreement
per code at character level (percent and Cohen's kappa, as docs/analysis.md defines them)."""

from __future__ import annotations

import re

import pytest

from cbpar.db import db
from cbpar.projects.models import Project
from cbpar.qda import agreement
from tests.helpers import as_user, csrf_token_from
from tests.qda.conftest import ENGLISH
from tests.qda.test_coding import code_url, codings_of, membership_of, post_coding


def test_kappa_by_the_formula():
    # N = 50, p_o = 35/50 = 0.7, p_e = (25·30 + 25·20)/2500 = 0.5, kappa = 0.2/0.5 = 0.4
    assert agreement.kappa(20, 5, 10, 15) == pytest.approx(0.4)
    assert agreement.kappa(10, 0, 0, 40) == pytest.approx(1.0)
    assert agreement.kappa(0, 0, 0, 50) is None  # no one used the code: undefined
    assert agreement.kappa(0, 0, 0, 0) is None


def blind_post(c, kind, source_id, start, end, codes):
    page = c.get(code_url(kind, source_id) + "?blind=1").get_data(as_text=True)
    data = {"csrf_token": csrf_token_from(page), "start": start, "end": end, "blind": "1"}
    data["codes"] = [str(x) for x in codes]
    return c.post(code_url(kind, source_id), data=data)


def test_a_blind_second_coding_and_the_agreement_of_two_coders(app, client, sources):
    fw, researcher = as_user(app, "field_worker"), as_user(app, "researcher")
    distance = sources.codes["distance"]
    kind, source_id = "interview", sources.key_informant
    post_coding(fw, kind, source_id, 0, 10, [distance])
    assert blind_post(researcher, kind, source_id, 5, 10, [distance]).status_code == 303
    assert blind_post(researcher, kind, source_id, 20, 30, [distance]).status_code == 303
    # The second coder sees only their own codings, even coming back without ?blind=1.
    page = researcher.get(code_url(kind, source_id)).get_data(as_text=True)
    assert "Blind coding" in page and "Coded passages (2)" in page
    # The first coder does not see the blind ones; nor do counts and retrievals.
    first = fw.get(code_url(kind, source_id)).get_data(as_text=True)
    assert "Coded passages (1)" in first
    passages = fw.get(f"/projects/p1/qda/codes/{distance}").get_data(as_text=True)
    assert len(re.findall("<mark>", passages)) == 1
    token = csrf_token_from(page)
    done = researcher.post(code_url(kind, source_id) + "/finish-blind", data={"csrf_token": token})
    assert done.status_code == 303
    assert not any(c.blind for c in codings_of(app, source_id=source_id))
    assert "Coded passages (3)" in fw.get(code_url(kind, source_id)).get_data(as_text=True)

    with app.test_request_context():
        project = db.session.get(Project, sources.project_id)
        membership = membership_of(project, "coordinator")
        users = {u.username: u for u in agreement.coders(project)}
        report = agreement.compare(project, membership, users["field_worker"], users["researcher"])
        (row,) = report.codes
        length = len(ENGLISH)
        assert (row.both, row.only_a, row.only_b) == (5, 5, 10)
        assert row.neither == length - 20
        assert row.percent == pytest.approx(100 * (5 + length - 20) / length)
        assert row.kappa == pytest.approx(agreement.kappa(5, 5, 10, length - 20))
        differ = sorted((d.by, d.text) for d in report.disagreements)
        assert differ == [("a", ENGLISH[0:5]), ("b", ENGLISH[20:30])]
        ids = {u.username: u.id for u in users.values()}
    page = as_user(app, "coordinator").get(
        f"/projects/p1/qda/agreement?a={ids['field_worker']}&b={ids['researcher']}"
    )
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="agreement"' in text and ENGLISH[20:30] in text
    assert as_user(app, "committee").get("/projects/p1/qda/agreement").status_code == 403
