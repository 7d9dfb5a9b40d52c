"""The counting module: worked examples from the literature, conventions, and properties."""

from __future__ import annotations

import random

import pytest

from cbpar.needs import voting
from cbpar.needs.voting import tally, tally_all


def expand(groups: list[tuple[int, str]]) -> list[list[str]]:
    return [list(order) for count, order in groups for _ in range(count)]


# Schulze, "A new monotonic, clone-independent ... single-winner election method" (2011),
# the 45-voter example (also on Wikipedia's "Schulze method" page): E > A > C > B > D.
SCHULZE_45 = expand(
    [
        (5, "ACBED"),
        (5, "ADECB"),
        (8, "BEDAC"),
        (3, "CABED"),
        (7, "CAEBD"),
        (2, "CBADE"),
        (7, "DCEBA"),
        (8, "EBADC"),
    ]
)

# Tennessee's capital (Wikipedia): Memphis, Nashville, Chattanooga, Knoxville.
TENNESSEE = expand([(42, "MNCK"), (26, "NCKM"), (15, "CKNM"), (17, "KCNM")])


def test_schulze_45_voter_example() -> None:
    result = tally("schulze", "ABCDE", SCHULZE_45)
    assert result.ranking == [["E"], ["A"], ["C"], ["B"], ["D"]]
    d = result.details["pairwise"]
    assert d[0][1] == 20 and d[1][0] == 25  # A vs B, from the paper's matrix
    assert result.details["strongest_paths"] == [
        [0, 28, 28, 30, 24],
        [25, 0, 28, 33, 24],
        [25, 29, 0, 29, 24],
        [25, 28, 28, 0, 24],
        [25, 28, 28, 31, 0],
    ]
    assert result.ballots_cast == 45


def test_tennessee_capital_gives_different_winners() -> None:
    options = "MNCK"
    assert tally("schulze", options, TENNESSEE).ranking == [["N"], ["C"], ["K"], ["M"]]
    borda = tally("borda", options, TENNESSEE)
    assert borda.details["scores"] == [126, 194, 173, 107]
    assert borda.ranking == [["N"], ["C"], ["M"], ["K"]]
    irv = tally("irv", options, TENNESSEE)
    assert irv.ranking == [["K"], ["M"], ["N"], ["C"]]
    rounds = irv.details["rounds"]
    assert rounds[0]["eliminated"] == ["C"]
    assert dict(map(tuple, rounds[1]["counts"])) == {"M": 42, "N": 26, "K": 32}
    assert rounds[1]["eliminated"] == ["N"]
    # Plurality (approve the first choice only) gives Memphis.
    first_only = tally_all(options, TENNESSEE, approve_top=1)["approval"]
    assert first_only.ranking[0] == ["M"]
    assert first_only.details["counts"] == [42, 26, 15, 17]


def test_partial_ballots_borda_averages_the_points_left() -> None:
    # 4 options, ballot ranks only B: B gets 3, the three unranked get (4-1-1)/2 = 1 each.
    result = tally("borda", "ABCD", [["B"]])
    assert result.details["scores"] == [1, 3, 1, 1]
    assert result.ranking == [["B"], ["A", "C", "D"]]
    # Ranking A, B of A..D: 3, 2 and 0.5 each for C and D.
    assert tally("borda", "ABCD", [["A", "B"]]).details["scores"] == [3, 2, 0.5, 0.5]


def test_unranked_options_are_tied_below_ranked_in_pairwise() -> None:
    d = tally("schulze", "ABC", [["A"]]).details["pairwise"]
    assert d[0][1] == 1 and d[0][2] == 1  # A above the unranked
    assert d[1][2] == 0 and d[2][1] == 0  # B and C tied: no preference


def test_empty_ballot_counts_as_cast_but_prefers_nothing() -> None:
    result = tally("borda", "AB", [[], ["A"]])
    assert result.ballots_cast == 2
    assert result.details["scores"] == [1.5, 0.5]


def test_ties_share_a_tier_and_are_never_broken_by_id() -> None:
    ballots = [["A", "B"], ["B", "A"]]
    for method in voting.METHODS:
        assert tally(method, "AB", ballots).ranking == [["A", "B"]], method


def test_irv_tie_break_looks_back_to_earlier_rounds() -> None:
    # Round 1: A 4, B 3, C 3, D 2 -> D eliminated, its 2 votes go to C:
    # Round 2: A 4, B 3, C 5 -> B eliminated.
    ballots = expand([(4, "A"), (3, "B"), (3, "C"), (2, "DC")])
    assert tally("irv", "ABCD", ballots).ranking == [["C"], ["A"], ["B"], ["D"]]
    # Round 1: A 6, B 3, C 2, D 1 -> D out, its vote goes to C. Round 2: A 6, B 3, C 3:
    # B and C tie; in round 1 C had fewer, so C is eliminated, not B.
    ballots = expand([(6, "A"), (3, "B"), (2, "C"), (1, "DC")])
    irv = tally("irv", "ABCD", ballots)
    assert irv.details["rounds"][1]["eliminated"] == ["C"]
    assert irv.details["rounds"][1]["tie_break"] == "looked_back"
    assert irv.ranking == [["A"], ["B"], ["C"], ["D"]]


def test_irv_tie_in_every_round_eliminates_together() -> None:
    ballots = expand([(3, "A"), (1, "B"), (1, "C")])
    result = tally("irv", "ABC", ballots)
    assert result.ranking == [["A"], ["B", "C"]]
    assert result.details["rounds"][0]["tie_break"] == "tied_all_rounds"


def test_irv_splits_a_vote_between_tied_first_choices() -> None:
    result = tally("irv", "ABC", [[{"A", "B"}], ["C"]])
    counts = dict(map(tuple, result.details["rounds"][0]["counts"]))
    assert counts == {"A": 0.5, "B": 0.5, "C": 1}


def test_approval_counts_and_limit_on_ranked_ballots() -> None:
    result = tally("approval", "ABC", [["A", "B"], ["B"], []])
    assert result.details["counts"] == [1, 2, 0]
    assert result.ranking == [["B"], ["A"], ["C"]]
    top1 = tally_all("ABC", [["A", "B"], ["B", "C"]], approve_top=1)["approval"]
    assert top1.details["counts"] == [1, 1, 0]


@pytest.mark.parametrize(
    "ballots,problem",
    [([["A", "Z"]], "unknown"), ([["A", "A"]], "twice"), ([["A", {"A", "B"}]], "twice")],
)
def test_bad_ballots_are_refused(ballots, problem) -> None:
    with pytest.raises(ValueError, match=problem):
        tally("borda", "ABC", ballots)


def test_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError):
        tally("plurality", "AB", [])


# --- properties, on random ballots -------------------------------------------------------------


def random_ballots(rng: random.Random, options: list, n: int) -> list[list]:
    ballots = []
    for _ in range(n):
        order = options[:]
        rng.shuffle(order)
        ballots.append(order[: rng.randint(0, len(options))])
    return ballots


def sets(ranking: list[list]) -> list[frozenset]:
    return [frozenset(tier) for tier in ranking]


@pytest.mark.parametrize("seed", range(40))
def test_a_condorcet_winner_always_wins_schulze(seed: int) -> None:
    rng = random.Random(seed)
    options = list("ABCDEF"[: rng.randint(2, 6)])
    ballots = random_ballots(rng, options, rng.randint(1, 30))
    winner = rng.choice(options)
    # Make `winner` beat everyone: add enough ballots ranking it first.
    ballots += [[winner]] * (len(ballots) + 1)
    result = tally("schulze", options, ballots)
    assert result.details["condorcet_winner"] == winner
    assert result.ranking[0] == [winner]


@pytest.mark.parametrize("seed", range(30))
def test_results_do_not_depend_on_ballot_order_or_option_ids(seed: int) -> None:
    rng = random.Random(1000 + seed)
    options = list(range(rng.randint(2, 7)))
    ballots = random_ballots(rng, options, rng.randint(0, 40))
    shuffled = ballots[:]
    rng.shuffle(shuffled)
    relabel = {o: f"id-{rng.random()}" for o in options}
    back = {v: k for k, v in relabel.items()}
    new_options = [relabel[o] for o in options]
    rng.shuffle(new_options)
    renamed = [[relabel[o] for o in b] for b in ballots]
    for method in voting.METHODS:
        base = tally(method, options, ballots)
        assert sets(tally(method, options, shuffled).ranking) == sets(base.ranking), method
        other = tally(method, new_options, renamed)
        mapped = [frozenset(back[o] for o in tier) for tier in other.ranking]
        assert mapped == sets(base.ranking), method


@pytest.mark.parametrize("seed", range(30))
def test_every_ranking_is_a_partition_and_borda_points_add_up(seed: int) -> None:
    rng = random.Random(5000 + seed)
    options = list("ABCDEFG"[: rng.randint(1, 7)])
    ballots = random_ballots(rng, options, rng.randint(0, 25))
    results = tally_all(options, ballots)
    for method, result in results.items():
        flat = [o for tier in result.ranking for o in tier]
        assert sorted(flat) == sorted(options), method
    n = len(options)
    assert sum(results["borda"].details["scores"]) == len(ballots) * n * (n - 1) / 2
    for method in voting.METHODS:
        assert sets(tally(method, options, ballots).ranking) == sets(results[method].ranking)


@pytest.mark.parametrize("seed", range(20))
def test_fast_and_slow_rank_matrix_agree(seed: int) -> None:
    rng = random.Random(9000 + seed)
    options = list("ABCDE")
    ballots = random_ballots(rng, options, 20)
    fast = voting.rank_matrix(options, ballots)
    # A group of one forces the general path.
    slow = voting.rank_matrix(options, [[[x] for x in b] for b in ballots])
    assert (fast == slow).all()
