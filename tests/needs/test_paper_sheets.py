"""Issue 11, finding 7: paper ballots are capped by the sheets handed out and tied to voters.

A facilitator records on the sign-in list which eligible members took a paper sheet (and how
many guests did, up to the round's allowance). A member with a sheet cannot vote online and a
member who voted online cannot take a sheet; paper ballots never outnumber the sheets, and
ballots never outnumber eligible members plus allowed guests.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from cbpar import migrate
from cbpar.auth.models import User
from cbpar.db import db, make_engine, utcnow, write_intent
from cbpar.needs import ballots, paper_ballots, vote_rounds
from cbpar.needs.models import (
    Ballot,
    Need,
    NeedCategory,
    PaperSheetIssue,
    VoteMethod,
    VoteOption,
    VoteRound,
)
from cbpar.projects.models import Membership, Project
from cbpar.security import Role
from tests.helpers import fresh_app

CLOSE = {"confirm": "yes"}  # the answer on the "close the vote?" page


def rank_form(order: list[int]) -> dict[str, str]:
    return {f"rank_{need_id}": str(i + 1) for i, need_id in enumerate(order)}


@pytest.fixture
def five_voters(app, team, make_user) -> list[int]:
    """Five eligible committee members (the team's one and four more): their membership ids."""
    with app.app_context():
        project = db.session.get(Project, team["project"].id)
        for i in range(2, 6):
            user = make_user(f"villager{i}", display_name=f"Villager {i}")
            db.session.add(Membership(project_id=project.id, user_id=user.id, role=Role.COMMITTEE))
        db.session.commit()
        return list(
            db.session.scalars(
                select(Membership.id)
                .where(Membership.project_id == project.id, Membership.role == Role.COMMITTEE)
                .order_by(Membership.id)
            )
        )


def _paper(client, round_id: int, sheet: int, choices: list[int]):
    return client.post(
        f"/projects/p1/votes/{round_id}/paper", data={"sheet_number": sheet, **rank_form(choices)}
    )


def test_eleven_paper_sheets_are_not_accepted_for_five_voters(
    app, client, login, needs, make_round, five_voters
):
    """The reported case: 5 eligible, 1 voted online; paper ballots stop at the sheets issued."""
    round_id = make_round(paper_ballots=True, eligible_roles=["committee"])
    login("committee")
    assert (
        client.post(f"/projects/p1/votes/{round_id}/ballot", data=rank_form(needs)).status_code
        == 303
    )
    client.post("/logout")
    login("coordinator")
    # Nothing handed out yet: no paper ballot can be entered.
    refused = _paper(client, round_id, 1, [needs[0]])
    assert refused.status_code == 422
    assert b"Every paper sheet handed out has been entered" in refused.data
    # Two members took a sheet.
    for membership_id in five_voters[1:3]:
        issued = client.post(
            f"/projects/p1/votes/{round_id}/sheets/issue", data={"membership_id": membership_id}
        )
        assert issued.status_code == 302
    accepted = [_paper(client, round_id, sheet, [needs[1]]).status_code for sheet in range(1, 12)]
    assert accepted.count(302) == 2
    assert set(accepted[2:]) == {422}
    with app.app_context():
        ballots = db.session.scalar(
            select(func.count(Ballot.id)).where(Ballot.round_id == round_id)
        )
    assert ballots == 3  # 1 online + 2 paper, never more than the 5 eligible


def test_guest_sheets_are_capped_by_the_round_and_counted_apart(
    app, client, login, needs, make_round, five_voters
):
    round_id = make_round(paper_ballots=True, eligible_roles=["committee"], guest_sheets=2)
    login("coordinator")
    too_many = client.post(f"/projects/p1/votes/{round_id}/sheets/guests", data={"number": 3})
    assert too_many.status_code == 422
    assert b"at most 2 more" in too_many.data
    assert (
        client.post(f"/projects/p1/votes/{round_id}/sheets/guests", data={"number": 2}).status_code
        == 302
    )
    assert (
        client.post(f"/projects/p1/votes/{round_id}/sheets/guests", data={"number": 1}).status_code
        == 422
    )
    page = client.get(f"/projects/p1/votes/{round_id}/sheets")
    assert page.status_code == 200
    assert b"2 of 2 guest sheets handed out" in page.data
    for sheet in (1, 2, 3):
        _paper(client, round_id, sheet, [needs[0]])
    with app.app_context():
        vote = db.session.get(VoteRound, round_id)
        counts = vote_rounds.turnout(vote)
    assert (counts.paper, counts.guest_sheets, counts.member_sheets) == (2, 2, 0)
    assert counts.ballots <= counts.eligible + counts.guests_allowed


def test_a_member_with_a_sheet_cannot_vote_online_and_vice_versa(
    app, client, login, team, needs, make_round, five_voters
):
    round_id = make_round(paper_ballots=True, eligible_roles=["committee"])
    committee_membership = five_voters[0]
    login("committee")
    client.post(f"/projects/p1/votes/{round_id}/ballot", data=rank_form(needs[:2]))
    client.post("/logout")
    login("coordinator")
    # The member who voted online cannot take a sheet.
    refused = client.post(
        f"/projects/p1/votes/{round_id}/sheets/issue", data={"membership_id": committee_membership}
    )
    assert refused.status_code == 422
    assert b"has already voted online" in refused.data
    # A member who took a sheet cannot vote online, by the page or the API.
    villager = five_voters[1]
    assert (
        client.post(
            f"/projects/p1/votes/{round_id}/sheets/issue", data={"membership_id": villager}
        ).status_code
        == 302
    )
    sheets = client.get(f"/projects/p1/votes/{round_id}/sheets").get_data(as_text=True)
    assert "took a paper sheet" in sheets and "voted online" in sheets
    twice = client.post(
        f"/projects/p1/votes/{round_id}/sheets/issue", data={"membership_id": villager}
    )
    assert twice.status_code == 422
    client.post("/logout")
    login("villager2")
    page = client.get(f"/projects/p1/votes/{round_id}")
    assert b"you cannot also vote online" in page.data
    assert b"ballot-form" not in page.data
    cast = client.post(f"/projects/p1/votes/{round_id}/ballot", data=rank_form(needs))
    assert cast.status_code == 422
    assert b"you cannot also vote online" in cast.data
    api = client.post(f"/api/v1/votes/{round_id}/ballot", json={"ranking": needs})
    assert api.status_code == 409
    with app.app_context():
        online = db.session.scalar(
            select(func.count(Ballot.id)).where(
                Ballot.round_id == round_id, Ballot.voter_key.is_not(None)
            )
        )
    assert online == 1
    # Non-members of the roll, or of the project, cannot be given a sheet.
    with app.app_context():
        observer = db.session.scalar(
            select(Membership.id).where(Membership.user_id == team["users"][Role.OBSERVER].id)
        )
    client.post("/logout")
    login("coordinator")
    other = client.post(
        f"/projects/p1/votes/{round_id}/sheets/issue", data={"membership_id": observer}
    )
    assert other.status_code == 422


def test_a_sheet_recorded_by_mistake_can_be_taken_back_until_it_is_entered(
    app, client, login, needs, make_round, five_voters
):
    round_id = make_round(paper_ballots=True, eligible_roles=["committee"])
    login("coordinator")
    url = f"/projects/p1/votes/{round_id}/sheets"
    client.post(f"{url}/issue", data={"membership_id": five_voters[1]})
    assert client.post(f"{url}/return", data={"membership_id": five_voters[1]}).status_code == 302
    client.post(f"{url}/issue", data={"membership_id": five_voters[1]})
    assert _paper(client, round_id, 1, [needs[0]]).status_code == 302
    refused = client.post(f"{url}/return", data={"membership_id": five_voters[1]})
    assert refused.status_code == 422
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count(PaperSheetIssue.id)).where(PaperSheetIssue.round_id == round_id)
            )
            == 1
        )


def test_results_show_online_paper_and_eligible(app, client, login, needs, make_round, five_voters):
    round_id = make_round(paper_ballots=True, eligible_roles=["committee"], guest_sheets=1)
    login("committee")
    client.post(f"/projects/p1/votes/{round_id}/ballot", data=rank_form(needs))
    client.post("/logout")
    login("coordinator")
    client.post(
        f"/projects/p1/votes/{round_id}/sheets/issue", data={"membership_id": five_voters[2]}
    )
    client.post(f"/projects/p1/votes/{round_id}/sheets/guests", data={"number": 1})
    _paper(client, round_id, 1, [needs[1]])
    _paper(client, round_id, 2, [needs[2]])
    client.post(f"/projects/p1/votes/{round_id}/close", data=CLOSE)
    page = client.get(f"/projects/p1/votes/{round_id}/results").get_data(as_text=True)
    table = page.split('id="turnout"')[1].split("</table>")[0]
    for label, value in (
        ("Voted online", "1"),
        ("Paper ballots counted", "2"),
        ("Paper sheets handed to members", "1"),
        ("Paper sheets handed to guests", "1 / 1"),
        ("Members who could vote", "5"),
    ):
        assert f"{label}</th><td>{value}</td>" in table, label
    api = client.get(f"/api/v1/votes/{round_id}").get_json()
    assert api["turnout"]["online"] == 1 and api["turnout"]["paper"] == 2
    assert api["turnout"]["eligible"] == 5 and api["turnout"]["guests_allowed"] == 1


def test_round_creation_checks_the_guest_allowance(client, login, needs):
    login("coordinator")
    data = {
        "title": "Paper only",
        "method": "borda",
        "need_ids": needs[:2],
        "opens_at": "2030-01-01T09:00",
        "closes_at": "2030-01-01T12:00",
        "meeting_id": 0,
        "paper_ballots": "y",
    }
    assert client.post("/projects/p1/votes/new", data=data).status_code == 422  # nobody votes
    assert (
        client.post("/projects/p1/votes/new", data={**data, "guest_sheets": 20}).status_code == 302
    )
    no_paper = {k: v for k, v in data.items() if k != "paper_ballots"}
    assert (
        client.post(
            "/projects/p1/votes/new",
            data={**no_paper, "eligible_roles": ["committee"], "guest_sheets": 3},
        ).status_code
        == 422
    )


# --- concurrency: the caps hold under simultaneous requests ----------------------------------


def _concurrent_round(app, members: int, guests: int) -> dict:
    with app.app_context():
        project = Project(slug="p", name="P")
        db.session.add(project)
        db.session.flush()
        memberships = []
        for i in range(members):
            user = User(username=f"member{i}")
            db.session.add(user)
            db.session.flush()
            memberships.append(
                Membership(project_id=project.id, user_id=user.id, role=Role.COMMITTEE)
            )
        needs = [
            Need(project_id=project.id, title=f"n{i}", category=NeedCategory.OTHER)
            for i in range(3)
        ]
        db.session.add_all(memberships + needs)
        db.session.flush()
        vote = VoteRound(
            project_id=project.id,
            title="v",
            method=VoteMethod.BORDA,
            eligible_roles=["committee"],
            paper_ballots=True,
            guest_sheets=guests,
            opens_at=utcnow() - timedelta(hours=1),
            closes_at=utcnow() + timedelta(hours=1),
        )
        vote.options = [VoteOption(need_id=n.id, position=i) for i, n in enumerate(needs)]
        db.session.add(vote)
        db.session.commit()
        return {
            "round": vote.id,
            "memberships": [m.id for m in memberships],
            "needs": [n.id for n in needs],
        }


def _run(app, count: int, work) -> list[BaseException]:
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def target(i: int) -> None:
        try:
            with app.test_request_context():
                write_intent.set(True)
                start.wait()
                try:
                    work(i)
                    db.session.commit()
                except (vote_rounds.BallotError, vote_rounds.SheetError):
                    db.session.rollback()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_simultaneous_paper_entries_never_exceed_the_sheets(tmp_path) -> None:
    app = fresh_app(tmp_path)
    ids = _concurrent_round(app, members=0, guests=3)
    with app.test_request_context():
        write_intent.set(True)
        paper_ballots.issue_guest_sheets(db.session.get(VoteRound, ids["round"]), 3, None)
        db.session.commit()

    def enter(i: int) -> None:
        vote = db.session.get(VoteRound, ids["round"])
        paper_ballots.enter_paper_ballot(vote, i + 1, ids["needs"][:1])

    assert _run(app, 20, enter) == []
    with app.app_context():
        assert db.session.scalar(select(func.count(Ballot.id))) == 3
        db.engine.dispose()


def test_simultaneous_guest_sheets_never_exceed_the_allowance(tmp_path) -> None:
    app = fresh_app(tmp_path)
    ids = _concurrent_round(app, members=0, guests=5)

    def issue(_i: int) -> None:
        paper_ballots.issue_guest_sheets(db.session.get(VoteRound, ids["round"]), 2, None)

    assert _run(app, 12, issue) == []
    with app.app_context():
        assert db.session.scalar(select(func.count(PaperSheetIssue.id))) == 4
        db.engine.dispose()


def test_a_sheet_and_an_online_ballot_at_once_leave_exactly_one(tmp_path) -> None:
    app = fresh_app(tmp_path)
    ids = _concurrent_round(app, members=1, guests=0)

    def either(i: int) -> None:
        vote = db.session.get(VoteRound, ids["round"])
        member = db.session.get(Membership, ids["memberships"][0])
        if i % 2:
            paper_ballots.issue_sheet(vote, member, None)
        else:
            ballots.cast_ballot(vote, member, ids["needs"])

    assert _run(app, 20, either) == []
    with app.app_context():
        sheets = db.session.scalar(select(func.count(PaperSheetIssue.id)))
        online = db.session.scalar(select(func.count(Ballot.id)))
        assert (sheets, online) in ((1, 0), (0, 1))
        db.engine.dispose()


# --- old data and the demo ----------------------------------------------------------------------


def test_migration_turns_existing_paper_ballots_into_issued_guest_sheets(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'migrate.sqlite3'}")
    try:
        migrate.upgrade(engine, "0010")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO project (id, slug, name, region, description, timezone,"
                    " map_center_lat, map_center_lon, map_zoom, is_demo, updated_at, created_at)"
                    " VALUES (1, 'p', 'P', '', '', 'Asia/Shanghai', 0, 0, 10, 0, '2026-01-01',"
                    " '2026-01-01')"
                )
            )
            for round_id in (1, 2):
                connection.execute(
                    text(
                        "INSERT INTO vote_round (id, project_id, title, description, method,"
                        " eligible_roles, paper_ballots, opens_at, closes_at, version, created_at)"
                        " VALUES (:id, 1, 'v', '', 'borda', '[\"committee\"]', 1,"
                        " '2026-01-01 02:00:00', '2026-01-01 04:00:00', 1, '2026-01-01')"
                    ),
                    {"id": round_id},
                )
            for sheet in (1, 2, 3):
                connection.execute(
                    text(
                        "INSERT INTO ballot (round_id, sheet_number, receipt, choices)"
                        " VALUES (1, :n, :r, '[]')"
                    ),
                    {"n": sheet, "r": f"P-{sheet}"},
                )
            connection.execute(
                text(
                    "INSERT INTO ballot (round_id, voter_key, receipt, choices)"
                    " VALUES (1, 'k', 'ONLINE', '[]')"
                )
            )
        migrate.upgrade(engine, "0011")
        with engine.connect() as connection:
            guests = dict(connection.execute(text("SELECT id, guest_sheets FROM vote_round")).all())
            issued = connection.execute(
                text(
                    "SELECT round_id, count(*) FROM paper_sheet_issue"
                    " WHERE guest = 1 AND user_id IS NULL GROUP BY round_id"
                )
            ).all()
        assert guests == {1: 3, 2: 0}
        assert [tuple(r) for r in issued] == [(1, 3)]
    finally:
        engine.dispose()


def test_the_demo_round_still_counts_its_three_guest_ballots(app, ctx):
    from cbpar import demo
    from cbpar.needs.demo import ROUND_TITLE

    demo.load()
    vote = db.session.scalar(select(VoteRound).where(VoteRound.title == ROUND_TITLE))
    counts = vote_rounds.turnout(vote)
    assert (counts.online, counts.paper) == (5, 3)
    assert (counts.guest_sheets, counts.guests_allowed, counts.member_sheets) == (3, 3, 0)
    assert vote.result["ballots_cast"] == 8
    assert counts.ballots <= counts.eligible + counts.guests_allowed
