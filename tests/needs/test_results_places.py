"""Issue 15: results use one rank convention everywhere (tied needs share a place, the next
place skips: 1, 1, 3), in the page's every column and in the CSV, and open with the outcome in
one plain sentence."""

from __future__ import annotations

import csv
import io
import re

from cbpar.needs.models import VoteMethod
from cbpar.needs.results import outcome, places, results_tables
from tests.needs.conftest import TITLES

CLOSE = {"confirm": "yes"}
TITLE = {1: "Kindergarten", 2: "Road", 3: "Library", 4: "Clinic"}


def stored(method: str, by_method: dict[str, list[list[int]]], cast: int = 3) -> dict:
    """A round's stored count, as vote_rounds.count() makes it (only what the tables read)."""
    options = [1, 2, 3, 4]
    return {
        "method": method,
        "options": options,
        "ranking": by_method[method],
        "ballots_cast": cast,
        "by_method": by_method,
        "all_details": {
            "borda": {"scores": [3.0, 3.0, 1.0, 0.0]},
            "approval": {"counts": [2, 2, 1, 0]},
            "schulze": {"pairwise": [[0] * 4] * 4, "strongest_paths": [[0] * 4] * 4},
        },
    }


def test_places_skip_after_a_tie():
    assert places([[1, 2], [3], [4]]) == [(1, [1, 2]), (3, [3]), (4, [4])]


def test_every_column_uses_the_same_places():
    by_method = {
        "borda": [[1, 2], [3], [4]],
        "schulze": [[1], [2], [3], [4]],
        "irv": [[1], [2], [3, 4]],
        "approval": [[1, 2], [3], [4]],
    }
    tables = results_tables(stored("schulze", by_method), VoteMethod)
    rows = dict(tables.places)
    assert list(rows) == [1, 2, 3, 4]
    # borda, schulze, irv, approval at each place
    assert rows[1] == [[1, 2], [1], [1], [1, 2]]
    assert rows[2] == [[], [2], [2], []], "a tie at 1 must leave place 2 empty"
    assert rows[3] == [[3], [3], [3, 4], [3]]
    assert rows[4] == [[4], [4], [], [4]]
    assert tables.official == [(1, [1]), (2, [2]), (3, [3]), (4, [4])]


def test_the_outcome_in_one_sentence():
    agree = {m: [[1], [2], [3], [4]] for m in ("borda", "schulze", "irv", "approval")}
    assert (
        outcome(stored("schulze", agree), TITLE)
        == "Most pressing: Kindergarten (Schulze; the other methods agree)."
    )
    differ = dict(agree, borda=[[2], [1], [3], [4]], irv=[[1, 3], [2], [4]])
    assert outcome(stored("schulze", differ), TITLE) == (
        "Most pressing: Kindergarten (Schulze; Borda puts Road first; "
        "instant-runoff puts Kindergarten and Library first)."
    )
    tied = {m: [[1, 2], [3], [4]] for m in agree}
    assert outcome(stored("borda", tied), TITLE).startswith(
        "Most pressing: Kindergarten and Road, tied (Borda;"
    )
    assert "No ballots" in outcome(stored("borda", tied, cast=0), TITLE)


def test_results_page_and_csv_share_the_places(client, login, needs, make_round):
    round_id = make_round(method=VoteMethod.BORDA)
    for user, order in (("committee", needs[:2]), ("field_worker", [needs[1], needs[0]])):
        login(user)
        ranks = {f"rank_{n}": str(i + 1) for i, n in enumerate(order)}
        assert client.post(f"/projects/p1/votes/{round_id}/ballot", data=ranks).status_code == 303
        client.post("/logout")
    login("coordinator")
    assert client.get(f"/projects/p1/votes/{round_id}/results.csv").status_code == 409
    client.post(f"/projects/p1/votes/{round_id}/close", data=CLOSE)
    html = client.get(f"/projects/p1/votes/{round_id}/results").get_data(as_text=True)
    sentence = re.search(r'id="outcome"><strong>([^<]*)<', html)
    assert sentence, "no outcome sentence"
    assert sentence.group(1).startswith(f"Most pressing: {TITLES[0]} and {TITLES[1]}, tied (Borda")
    official = re.findall(r'<li value="(\d+)">', html.split('id="official-ranking"')[1])
    assert official == ["1", "3"]
    compare = html.split('class="compare"')[1].split("</table>")[0]
    assert re.findall(r'<th scope="row">(\d+)</th>', compare) == ["1", "3"]
    body = client.get(f"/projects/p1/votes/{round_id}/results.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["official_place"] for r in rows] == ["1", "1", "3", "3"]
    for method in ("borda", "schulze", "irv", "approval"):
        assert sorted(r[f"place_{method}"] for r in rows) == ["1", "1", "3", "3"], method
