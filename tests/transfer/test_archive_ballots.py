"""Issue 11, findings 5 and 6 (archives): ids inside ballots follow the needs; open rounds'
ballots never leave the instance in an archive; secrets never travel."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from cbpar.db import db
from cbpar.needs import vote_rounds
from cbpar.needs.models import Ballot, Need, VoteRound
from cbpar.projects.models import Project
from tests.helpers import (
    counts,
    demo_instance,
    entries,
    pack,
    run,
    set_rows,
    table_rows,
    tamper,
    write,
)


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ballots")
    app = demo_instance(folder / "app")
    result = run(app, "export", "project", "demo", "-o", str(folder / "demo.zip"))
    assert result.exit_code == 0, result.output
    with app.app_context():
        project = db.session.scalar(select(Project).where(Project.slug == "demo"))
        rounds = {
            vote_rounds.state(r): r.id
            for r in db.session.scalars(select(VoteRound).where(VoteRound.project_id == project.id))
        }
        open_ballots = db.session.scalars(
            select(Ballot.id).where(Ballot.round_id == rounds["open"])
        ).all()
    assert open_ballots, "the demo's open round should have a ballot"
    return app, (folder / "demo.zip").read_bytes(), rounds, result.output


def _titles(ranking, names):
    return [sorted(names[i] for i in tier) for tier in ranking]


def test_open_rounds_ballots_are_left_out_and_the_archive_says_so(instance):
    _app, data, rounds, output = instance
    files = entries(data)
    ballots = table_rows(files, "ballot")
    assert ballots and all(b["round_id"] == rounds["closed"] for b in ballots)
    assert not any("voter_key" in b for b in ballots)
    manifest = json.loads(files["manifest.json"])
    assert manifest["withheld"]["ballots_of_open_rounds"]["rounds"] == [rounds["open"]]
    assert "still open" in output
    assert not any(n.startswith("tables/transparency_link") for n in files)


def test_recount_after_importing_with_a_slug_into_an_instance_with_data(instance, tmp_path):
    app, data, rounds, _output = instance
    result = run(app, "import", "project", write(tmp_path, data), "--slug", "recount")
    assert result.exit_code == 0, result.output
    with app.test_request_context():
        original = db.session.get(VoteRound, rounds["closed"])
        copy_project = db.session.scalar(select(Project).where(Project.slug == "recount"))
        copy = db.session.scalar(
            select(VoteRound).where(
                VoteRound.project_id == copy_project.id, VoteRound.title == original.title
            )
        )
        assert copy.id != original.id  # the ids had to change: the instance has data
        titles = {n.id: n.title for n in db.session.scalars(select(Need))}
        recounted, before = vote_rounds.count(copy), vote_rounds.count(original)
        assert recounted["ballots_cast"] == before["ballots_cast"] > 0
        assert set(recounted["options"]) <= {
            n.id for n in db.session.scalars(select(Need).where(Need.project_id == copy_project.id))
        }
        assert _titles(recounted["ranking"], titles) == _titles(before["ranking"], titles)
        assert copy.result["ranking"] == recounted["ranking"]  # the stored count, recounted
        for ballot in db.session.scalars(select(Ballot).where(Ballot.round_id == copy.id)):
            assert ballot.voter_key is None


def test_ballot_choices_outside_their_round_are_refused(instance, tmp_path):
    app, data, _rounds, _output = instance
    row = table_rows(entries(data), "ballot")[0]

    def stray(rows):
        rows[0]["choices"] = [*rows[0]["choices"], 987654]

    before = counts(app)
    path = write(tmp_path, tamper(data, "ballot", stray))
    result = run(app, "import", "project", path, "--slug", "stray")
    assert result.exit_code != 0
    assert f"table ballot, row id {row['id']}" in result.output
    assert counts(app) == before


def test_crafted_ballots_of_an_open_round_and_secrets_are_not_imported(instance, tmp_path):
    app, data, rounds, _output = instance
    files = entries(data)
    ballots = table_rows(files, "ballot")
    options = [
        o["need_id"] for o in table_rows(files, "vote_option") if o["round_id"] == rounds["open"]
    ]
    ballots.append(
        {
            **ballots[0],
            "id": max(b["id"] for b in ballots) + 1,
            "round_id": rounds["open"],
            "choices": options,
            "sheet_number": None,
            "receipt": "ABCDE-FGHIJ",
        }
    )
    for ballot in ballots:
        ballot["voter_key"] = "k" * 64
    set_rows(files, "ballot", ballots)
    manifest = json.loads(files["manifest.json"])
    manifest["columns"]["ballot"].append("voter_key")
    manifest["columns"]["transparency_link"] = [
        "id", "project_id", "token_hash", "created_by_id", "revoked_at", "created_at"
    ]  # fmt: skip
    project_id = manifest["project"]["id"]
    set_rows(
        files,
        "transparency_link",
        [
            {
                "id": 1,
                "project_id": project_id,
                "token_hash": "0" * 64,
                "created_by_id": None,
                "revoked_at": None,
                "created_at": "2026-01-01T00:00:00+00:00",
            }
        ],
    )
    files["manifest.json"] = json.dumps(manifest).encode()
    result = run(app, "import", "project", write(tmp_path, pack(files)), "--slug", "crafted")
    assert result.exit_code == 0, result.output
    assert "1 ballot(s) of rounds not closed" in result.output
    assert "transparency_link" in result.output
    with app.app_context():
        from cbpar.initiatives.models import TransparencyLink

        project = db.session.scalar(select(Project).where(Project.slug == "crafted"))
        by_round = {
            r.title: vote_rounds.ballots_cast(r)
            for r in db.session.scalars(select(VoteRound).where(VoteRound.project_id == project.id))
        }
        assert sorted(by_round.values()) == [0, len(ballots) - 1]
        keys = db.session.scalars(
            select(Ballot.voter_key).join(VoteRound).where(VoteRound.project_id == project.id)
        ).all()
        assert keys and set(keys) == {None}
        assert (
            db.session.scalar(
                select(TransparencyLink.id).where(TransparencyLink.project_id == project.id)
            )
            is None
        )


def test_an_archive_of_format_1_is_still_read(instance, tmp_path):
    app, data, _rounds, _output = instance
    files = entries(data)
    manifest = json.loads(files["manifest.json"])
    old = {"users.json": files["users.json"]}
    for name in manifest["columns"]:
        old[f"tables/{name}.json"] = json.dumps(table_rows(files, name)).encode()
    old.update({n: b for n, b in files.items() if n.startswith("attachments/")})
    manifest["format_version"] = 1
    old["manifest.json"] = json.dumps(manifest).encode()
    result = run(app, "import", "project", write(tmp_path, pack(old)), "--slug", "format-one")
    assert result.exit_code == 0, result.output
    with app.app_context():
        project = db.session.scalar(select(Project).where(Project.slug == "format-one"))
        assert db.session.scalar(select(Need.id).where(Need.project_id == project.id))


def test_the_coordinators_download_leaves_out_open_rounds_and_says_so(instance):
    app, _data, rounds, _output = instance
    client = app.test_client()
    response = client.post("/login", data={"username": "coordinator", "password": "demo-password"})
    assert response.status_code == 302
    page = client.get("/projects/demo/transfer").get_data(as_text=True)
    assert "still open are left out" in page
    response = client.get("/projects/demo/export/archive.zip")
    assert response.status_code == 200
    files = entries(response.data)
    assert {b["round_id"] for b in table_rows(files, "ballot")} == {rounds["closed"]}
    manifest = json.loads(files["manifest.json"])
    assert manifest["withheld"]["ballots_of_open_rounds"]["rounds"] == [rounds["open"]]
