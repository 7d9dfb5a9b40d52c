"""Vote rounds through the pages and services: ballots, secrecy, receipts, results, paper."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from sqlalchemy import select

from cbpar.audit import AuditEvent
from cbpar.db import db, utcnow
from cbpar.meetings.models import Decision, Meeting, MeetingKind
from cbpar.needs.models import (
    Ballot,
    Need,
    NeedCategory,
    NeedStatus,
    VoteMethod,
    VoteOption,
    VoteRound,
)

CLOSE = {"confirm": "yes"}  # the answer on the "close the vote?" page


def rank_form(order: list[int]) -> dict[str, str]:
    return {f"rank_{need_id}": str(i + 1) for i, need_id in enumerate(order)}


def test_committee_member_votes_gets_receipt_and_can_change(
    client, login, team, needs, make_round, app
):
    round_id = make_round()
    login("committee")
    page = client.get(f"/projects/p1/votes/{round_id}")
    assert page.status_code == 200
    assert b"unranked count as tied" in page.data
    assert b'name="rank_' in page.data  # the no-JS fallback
    first = client.post(
        f"/projects/p1/votes/{round_id}/ballot", data=rank_form(needs[:2]), follow_redirects=True
    )
    assert first.status_code == 200
    assert b"receipt code" in first.data.lower()
    second = client.post(
        f"/projects/p1/votes/{round_id}/ballot", data=rank_form([needs[3], needs[0]])
    )
    assert second.status_code == 303
    with app.app_context():
        ballots = db.session.scalars(select(Ballot).where(Ballot.round_id == round_id)).all()
        assert len(ballots) == 1
        assert ballots[0].choices == [needs[3], needs[0]]
        assert ballots[0].voter_key and str(team["users"]["committee"].id) != ballots[0].voter_key
        # No audit event names the ballot.
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.target_type == "ballot"))
        assert list(events) == []


def test_duplicate_ranks_are_refused_with_422(client, login, needs, make_round):
    round_id = make_round()
    login("committee")
    data = {f"rank_{needs[0]}": "1", f"rank_{needs[1]}": "1"}
    response = client.post(f"/projects/p1/votes/{round_id}/ballot", data=data)
    assert response.status_code == 422
    assert b"Two needs have rank 1" in response.data
    empty = client.post(f"/projects/p1/votes/{round_id}/ballot", data={})
    assert empty.status_code == 422


def test_observer_and_non_eligible_cannot_vote(client, login, needs, make_round):
    round_id = make_round(eligible_roles=["committee"])
    login("observer")
    assert (
        client.post(f"/projects/p1/votes/{round_id}/ballot", data=rank_form(needs)).status_code
        == 403
    )
    client.post("/logout")
    login("field_worker")
    assert (
        client.post(f"/projects/p1/votes/{round_id}/ballot", data=rank_form(needs)).status_code
        == 403
    )


def test_after_close_every_submission_is_409(client, login, needs, make_round):
    round_id = make_round()
    login("coordinator")
    assert client.post(f"/projects/p1/votes/{round_id}/close", data=CLOSE).status_code == 302
    client.post("/logout")
    login("committee")
    response = client.post(f"/projects/p1/votes/{round_id}/ballot", data=rank_form(needs))
    assert response.status_code == 409


def test_results_hidden_until_close_then_shown_and_cached(client, login, needs, make_round, app):
    round_id = make_round(method=VoteMethod.BORDA)
    login("committee")
    client.post(f"/projects/p1/votes/{round_id}/ballot", data=rank_form([needs[2], needs[0]]))
    assert client.get(f"/projects/p1/votes/{round_id}/results").status_code == 409
    assert client.get(f"/projects/p1/votes/{round_id}/receipts").status_code == 409
    assert client.get(f"/projects/p1/votes/{round_id}/ballots.csv").status_code == 409
    client.post("/logout")
    login("coordinator")
    client.post(f"/projects/p1/votes/{round_id}/close", data=CLOSE)
    with app.app_context():
        vote = db.session.get(VoteRound, round_id)
        assert vote.closed_at is not None
        assert vote.result["ranking"][0] == [needs[2]]
        assert set(vote.result["by_method"]) == {"borda", "schulze", "irv", "approval"}
    page = client.get(f"/projects/p1/votes/{round_id}/results")
    assert page.status_code == 200
    for text in (b"Borda scores", b"Strongest paths", b"round by round", b"Approval counts"):
        assert text in page.data
    assert b"Safe road" in page.data


def test_receipts_published_and_ballots_download_shuffled_anonymous(
    client, login, needs, make_round, app
):
    round_id = make_round(paper_ballots=True, guest_sheets=2)
    login("committee")
    receipt_page = client.post(
        f"/projects/p1/votes/{round_id}/ballot", data=rank_form(needs[:3]), follow_redirects=True
    )
    with app.app_context():
        receipt = db.session.scalar(select(Ballot.receipt).where(Ballot.round_id == round_id))
    assert receipt.encode() in receipt_page.data
    client.post("/logout")
    login("coordinator")
    client.post(f"/projects/p1/votes/{round_id}/sheets/guests", data={"number": 2})
    for sheet in (1, 2):
        r = client.post(
            f"/projects/p1/votes/{round_id}/paper",
            data={"sheet_number": sheet, **rank_form([needs[1]])},
        )
        assert r.status_code == 302
    again = client.post(
        f"/projects/p1/votes/{round_id}/paper", data={"sheet_number": 2, **rank_form([needs[0]])}
    )
    assert again.status_code == 422 and b"already entered" in again.data
    client.post(f"/projects/p1/votes/{round_id}/close", data=CLOSE)
    receipts = client.get(f"/projects/p1/votes/{round_id}/receipts")
    assert receipt.encode() in receipts.data and b"P-1" in receipts.data
    body = client.get(f"/projects/p1/votes/{round_id}/ballots.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body)))
    ballot_rows = rows[rows.index(["ballot"] + [f"choice_{i}" for i in range(1, 5)]) + 1 :]
    assert sorted(tuple(r[1:]) for r in ballot_rows) == sorted(
        [("A", "B", "C", ""), ("B", "", "", ""), ("B", "", "", "")]
    )
    assert receipt not in body and "committee" not in body
    soi = client.get(f"/projects/p1/votes/{round_id}/ballots.soi").get_data(as_text=True)
    assert "# DATA TYPE: soi" in soi and "2: 2" in soi and "1: 1,2,3" in soi


def test_confirm_top_needs_records_a_decision(client, login, needs, make_round, app, team):
    with app.app_context():
        meeting = Meeting(
            project_id=team["project"].id,
            kind=MeetingKind.COMMUNITY,
            title="Final community meeting",
            starts_at=utcnow(),
        )
        db.session.add(meeting)
        db.session.commit()
        meeting_id = meeting.id
    round_id = make_round(meeting_id=meeting_id)
    login("committee")
    client.post(f"/projects/p1/votes/{round_id}/ballot", data=rank_form([needs[0], needs[1]]))
    client.post("/logout")
    login("coordinator")
    assert (
        client.post(
            f"/projects/p1/votes/{round_id}/confirm", data={"need_id": needs[0]}
        ).status_code
        == 302
    )
    with app.app_context():  # still open: nothing confirmed
        assert db.session.get(Need, needs[0]).status != NeedStatus.CONFIRMED
    client.post(f"/projects/p1/votes/{round_id}/close", data=CLOSE)
    client.post(
        f"/projects/p1/votes/{round_id}/confirm",
        data={"need_id": [needs[0], needs[1]], "confirm": "yes"},
    )
    with app.app_context():
        assert db.session.get(Need, needs[0]).status == NeedStatus.CONFIRMED
        assert db.session.get(Need, needs[1]).status == NeedStatus.CONFIRMED
        assert db.session.get(Need, needs[2]).status == NeedStatus.PROPOSED
        decision = db.session.scalar(select(Decision).where(Decision.meeting_id == meeting_id))
        assert "Kindergarten in Shuanghe" in decision.text
    need_page = client.get(f"/projects/p1/needs/{needs[0]}")
    assert b"Final community meeting" in need_page.data


def test_create_round_through_the_form(client, login, needs, app):
    login("researcher")
    data = {
        "title": "Rank the needs",
        "method": "irv",
        "need_ids": needs[:3],
        "eligible_roles": ["committee"],
        "opens_at": "2030-01-01T09:00",
        "closes_at": "2030-01-01T12:00",
        "meeting_id": 0,
    }
    response = client.post("/projects/p1/votes/new", data=data)
    assert response.status_code == 302
    with app.app_context():
        vote = db.session.scalar(select(VoteRound).where(VoteRound.title == "Rank the needs"))
        assert [o.need_id for o in vote.options] == needs[:3]
        assert vote.opens_at.hour == 1  # 09:00 Asia/Shanghai
        assert db.session.get(Need, needs[0]).status == NeedStatus.SHORTLISTED
    one = client.post("/projects/p1/votes/new", data={**data, "need_ids": needs[:1]})
    assert one.status_code == 422
    client.post("/logout")
    login("committee")
    assert client.get("/projects/p1/votes/new").status_code == 403


def test_print_sheets_and_results_for_observers(client, login, needs, make_round):
    round_id = make_round(paper_ballots=True)
    login("coordinator")
    ballot = client.get(f"/projects/p1/votes/{round_id}/print/ballot")
    assert ballot.status_code == 200 and b"Sheet number" in ballot.data
    tally = client.get(f"/projects/p1/votes/{round_id}/print/tally")
    assert tally.status_code == 200 and b"Library" in tally.data
    client.post(f"/projects/p1/votes/{round_id}/close", data=CLOSE)
    client.post("/logout")
    login("observer")
    assert client.get(f"/projects/p1/votes/{round_id}/results").status_code == 200
    assert client.get(f"/projects/p1/votes/{round_id}/print/ballot").status_code == 403


def test_round_closes_by_time(client, login, needs, make_round):
    round_id = make_round(
        opens_at=utcnow() - timedelta(days=2), closes_at=utcnow() - timedelta(days=1)
    )
    login("committee")
    assert (
        client.post(f"/projects/p1/votes/{round_id}/ballot", data=rank_form(needs)).status_code
        == 409
    )
    assert client.get(f"/projects/p1/votes/{round_id}/results").status_code == 200


def test_results_page_queries_do_not_grow_with_the_options(client, login, app, team, make_round):
    """No query per option: a round of 4 needs and one of 12 take the same number of queries."""
    from sqlalchemy import event

    with app.app_context():
        more = [
            Need(project_id=team["project"].id, title=f"Need {i}", category=NeedCategory.OTHER)
            for i in range(8)
        ]
        db.session.add_all(more)
        db.session.commit()
        extra = [n.id for n in more]
    small = make_round(method=VoteMethod.BORDA)
    big = make_round(method=VoteMethod.BORDA, title="Bigger")
    with app.app_context():
        vote = db.session.get(VoteRound, big)
        vote.options += [VoteOption(need_id=i, position=4 + p) for p, i in enumerate(extra)]
        db.session.commit()
    login("coordinator")
    for round_id in (small, big):
        client.post(f"/projects/p1/votes/{round_id}/close", data=CLOSE)

    def count(round_id: int) -> int:
        statements: list[str] = []
        with app.app_context():
            from cbpar.db import db as database

            engine = database.engine
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get(f"/projects/p1/votes/{round_id}/results").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    assert count(big) == count(small)
