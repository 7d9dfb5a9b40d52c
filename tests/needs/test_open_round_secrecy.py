"""Issue 11, finding 6: no path shows a ballot (or a running count) of an open round.

The services that read ballots refuse while the round is open (the root), and every page,
API endpoint and download a member of any role can reach for the round shows neither a
ballot's receipt nor its contents.
"""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from sqlalchemy import select

from cbpar.db import db
from cbpar.needs import ballot_exports, vote_rounds
from cbpar.needs.models import Ballot
from cbpar.projects.models import Project
from cbpar.security import Role


def rank_form(order: list[int]) -> dict[str, str]:
    return {f"rank_{need_id}": str(i + 1) for i, need_id in enumerate(order)}


def test_services_refuse_to_read_ballots_of_an_open_round(
    app, client, login, team, needs, make_round
):
    round_id = make_round(paper_ballots=True, guest_sheets=1)
    login("committee")
    client.post(f"/projects/p1/votes/{round_id}/ballot", data=rank_form([needs[2], needs[0]]))
    with app.test_request_context():
        project = db.session.get(Project, team["project"].id)
        vote = vote_rounds.get_round(project, round_id)
        assert vote_rounds.ballots_cast(vote) == 1
        for read in (
            ballot_exports.anonymised_ballots,
            ballot_exports.ballots_csv,
            ballot_exports.receipts,
            vote_rounds.count,
            lambda v: ballot_exports.ballots_preflib(v, project),
        ):
            with pytest.raises(vote_rounds.RoundError):
                read(vote)
        assert vote_rounds.result_of(vote) is None


RANDOM_TOKENS = re.compile(rb'nonce="[^"]*"|name="csrf_token" value="[^"]*"|"csrf_token": "[^"]*"')

GET_ARGS = {
    "slug": ["p1"],
    "fmt": ["csv", "soi", "toi"],
    "sheet": ["ballot", "tally", "signin"],
}


def _round_urls(app, round_id: int) -> list[str]:
    """Every GET route that takes a vote round, with each value of its other arguments."""
    urls = []
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        for rule in app.url_map.iter_rules():
            if "GET" not in (rule.methods or ()) or "round_id" not in rule.arguments:
                continue
            combos: list[dict] = [{"round_id": round_id}]
            for name in rule.arguments - {"round_id"}:
                if name not in GET_ARGS:
                    break
                combos = [{**c, name: v} for c in combos for v in GET_ARGS[name]]
            else:
                urls += [adapter.build(rule.endpoint, c) for c in combos]
    return sorted(set(urls))


def test_no_page_api_or_download_shows_a_ballot_of_an_open_round(
    app, client, login, team, needs, make_round
):
    round_id = make_round(paper_ballots=True, guest_sheets=1)
    login("committee")
    client.post(f"/projects/p1/votes/{round_id}/ballot", data=rank_form([needs[3], needs[1]]))
    client.post("/logout")
    login("coordinator")
    client.post(f"/projects/p1/votes/{round_id}/sheets/guests", data={"number": 1})
    entered = client.post(
        f"/projects/p1/votes/{round_id}/paper", data={"sheet_number": 7, **rank_form([needs[2]])}
    )
    assert entered.status_code == 302
    client.post("/logout")
    with app.app_context():
        receipts = list(
            db.session.scalars(select(Ballot.receipt).where(Ballot.round_id == round_id))
        )
    assert len(receipts) == 2
    urls = _round_urls(app, round_id)
    assert any(u.endswith("/ballots.csv") for u in urls)
    assert any("/api/v1/votes/" in u and u.endswith("/results") for u in urls)
    urls.append("/projects/p1/export/records.zip")
    for role in Role:
        login(role.value)
        for url in urls:
            response = client.get(url)
            body = response.get_data()
            if response.mimetype == "application/zip":
                with zipfile.ZipFile(io.BytesIO(body)) as archive:
                    names = archive.namelist()
                    assert not any(n.startswith("ballot") for n in names), url
                    body = b"".join(archive.read(n) for n in names)
            # Random tokens of the page (CSP nonce, CSRF token) may spell a short receipt
            # such as "P-7" by chance: they are not ballot data, so they are left out.
            body = RANDOM_TOKENS.sub(b"", body)
            for receipt in receipts:
                assert receipt.encode() not in body, (role.value, url)
            assert b"Borda scores" not in body, (role.value, url)
            if "ballots." in url or url.endswith("/results") or url.endswith("/receipts"):
                assert response.status_code in (403, 404, 409), (role.value, url)
        client.post("/logout")
