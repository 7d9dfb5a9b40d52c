"""Counting ranked and approval ballots: Borda, Schulze, instant-runoff and approval.

A pure module (no database, no Flask): ``tally(method, options, ballots)``.

Inputs
------
- ``options``: a sequence of distinct hashable ids. Their order is used only to *list* tied
  options in a stable way; it never decides who wins.
- ``ballots``: each a sequence of option ids, most preferred first. An item may also be a
  ``list``, ``set`` or ``frozenset`` of ids: a group of options ranked equal. An id may appear
  once per ballot; an id not among ``options`` raises ``ValueError``. For ``"approval"`` a ballot
  is the set of approved ids (its order does not matter).

Conventions (also in docs/voting.md)
------------------------------------
- **Partial rankings**: options a ballot does not rank are tied with each other, below every
  option it ranks. An empty ballot is counted as cast but expresses no preference.
- **Borda** ("averaged" Borda): with ``n`` options, an option gets one point for each option
  the ballot places strictly below it, and half a point for each other option tied with it.
  On a full ranking that is ``n-1`` points for the first, ``n-2`` for the second ... ``0`` for
  the last. On a partial ranking of ``k`` options, the ranked ones get ``n-1 ... n-k`` and each
  unranked option gets ``(n-k-1)/2``, the average of the points left. Equal scores tie.
- **Schulze** (winning votes): ``d[a][b]`` is the number of ballots ranking ``a`` strictly
  above ``b``. The link a->b has strength ``d[a][b]`` if ``d[a][b] > d[b][a]``, else 0;
  ``p[a][b]`` is the strength of the strongest path (widest path, Floyd-Warshall). ``a`` beats
  ``b`` when ``p[a][b] > p[b][a]``. The ranking is built tier by tier: the first tier holds the
  options no remaining option beats, then they are set aside and the step repeats.
- **Instant-runoff**: each round, every ballot counts for its highest-ranked continuing option.
  If that rank holds several tied options, the ballot's vote is split equally between them.
  A ballot with no continuing option is *exhausted*. The option with the fewest votes is
  eliminated; counting goes on until one option remains (a majority winner would win anyway:
  its count only grows). The ranking is the order of elimination reversed.
  **Tie-break for elimination**: among options tied for fewest votes, look back at the previous
  rounds, latest first, and eliminate those with the fewest votes in the latest round where the
  tied options differ; if they were level in every round, all of them are eliminated together
  and share a tier. If every continuing option is tied, they all share the top tier.
- **Approval**: an option's score is the number of ballots approving it. When ranked ballots are
  counted by approval (to compare methods), a ballot approves its ranked options, or only its
  top ``approve_top`` (options tied across that cut are all approved). Equal counts tie.
- No rule ever breaks a tie by an option's id or position: tied options share a tier.

Output: a :class:`Result` with ``ranking`` (tiers, best first, lists of ids) and ``details``
(JSON-ready: scores, pairwise matrix, strongest paths, rounds; ids in ``options`` order).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np

METHODS = ("borda", "schulze", "irv", "approval")


@dataclass
class Result:
    method: str
    options: list[Hashable]
    ranking: list[list[Hashable]]
    ballots_cast: int
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def winners(self) -> list[Hashable]:
        return list(self.ranking[0]) if self.ranking else []

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "ranking": [list(tier) for tier in self.ranking],
            "ballots_cast": self.ballots_cast,
            "details": self.details,
        }


def _groups(ballot: Any, approval: bool) -> list[list[Hashable]]:
    if approval:
        return [list(ballot)] if len(ballot) else []
    groups = []
    for item in ballot:
        if isinstance(item, list | set | frozenset):
            if item:
                groups.append(list(item))
        else:
            groups.append([item])
    return groups


def rank_matrix(
    options: Sequence[Hashable], ballots: Iterable[Any], approval: bool = False
) -> np.ndarray:
    """One row per ballot: each option's rank (0 = top; tied options share a rank).

    Unranked options get rank ``len(options)``: tied together, below every ranked one.
    """
    index = {option: i for i, option in enumerate(options)}
    if len(index) != len(options):
        raise ValueError("options must be distinct")
    n = len(options)
    ballots = list(ballots)
    fast = _flat_rank_matrix(index, n, ballots, approval)
    if fast is not None:
        return fast
    rows = []
    for ballot in ballots:
        row = [n] * n
        for rank, group in enumerate(_groups(ballot, approval)):
            for option in group:
                i = index.get(option)
                if i is None:
                    raise ValueError(f"unknown option {option!r}")
                if row[i] != n:
                    raise ValueError(f"option {option!r} appears twice on a ballot")
                row[i] = rank
        rows.append(row)
    return np.array(rows, dtype=np.int16).reshape(len(rows), n)


def _flat_rank_matrix(
    index: dict[Hashable, int], n: int, ballots: list[Any], approval: bool
) -> np.ndarray | None:
    """The common case at C speed: ballots of plain ids. None if any ballot needs the slow path
    (a group of tied options, an unknown id, a duplicate), which also explains the problem."""
    try:
        flat = np.fromiter(map(index.__getitem__, chain.from_iterable(ballots)), dtype=np.int64)
    except (KeyError, TypeError):
        return None
    lengths = np.fromiter(map(len, ballots), dtype=np.int64, count=len(ballots))
    rows = np.repeat(np.arange(len(ballots)), lengths)
    starts = np.cumsum(lengths) - lengths
    positions = np.arange(len(flat)) - np.repeat(starts, lengths)
    ranks = np.full((len(ballots), n), n, dtype=np.int16)
    ranks[rows, flat] = 0 if approval else positions
    if not np.array_equal((ranks < n).sum(axis=1), lengths):
        return None  # an id twice on one ballot
    return ranks


def _tiers(options: Sequence[Hashable], scores: Sequence[Any]) -> list[list[Hashable]]:
    """Options grouped by equal score, highest first."""
    order = sorted(range(len(options)), key=lambda i: -scores[i])
    tiers: list[list[Hashable]] = []
    last = None
    for i in order:
        if tiers and scores[i] == last:
            tiers[-1].append(options[i])
        else:
            tiers.append([options[i]])
            last = scores[i]
    return [sorted(t, key=list(options).index) for t in tiers]


def pairwise(ranks: np.ndarray) -> np.ndarray:
    """d[a][b]: how many ballots rank option a strictly above option b."""
    n = ranks.shape[1]
    d = np.zeros((n, n), dtype=np.int64)
    for a in range(n):
        d[a] = (ranks[:, a : a + 1] < ranks).sum(axis=0)
    return d


def _borda(options: list[Hashable], ranks: np.ndarray, d: np.ndarray) -> Result:
    n, voters = len(options), ranks.shape[0]
    # Points against each other option: 1 if above, 1/2 if tied: so twice the score is
    # sum over b of (d[a][b] - d[b][a]) + (n - 1) * voters, an integer.
    doubled = (d - d.T).sum(axis=1) + (n - 1) * voters
    scores = [int(x) / 2 for x in doubled]
    return Result(
        "borda",
        options,
        _tiers(options, scores),
        voters,
        {"scores": scores, "max_points": n - 1},
    )


def strongest_paths(d: np.ndarray) -> np.ndarray:
    n = d.shape[0]
    p = np.where(d > d.T, d, 0).astype(np.int64)
    np.fill_diagonal(p, 0)
    for k in range(n):
        # p[i][j] = max(p[i][j], min(p[i][k], p[k][j])), for i != k != j
        via = np.minimum(p[:, k : k + 1], p[k : k + 1, :])
        via[k, :] = 0
        via[:, k] = 0
        np.fill_diagonal(via, 0)
        np.maximum(p, via, out=p)
    return p


def _schulze(options: list[Hashable], ranks: np.ndarray, d: np.ndarray) -> Result:
    p = strongest_paths(d)
    beats = p > p.T
    remaining = list(range(len(options)))
    ranking: list[list[Hashable]] = []
    while remaining:
        tier = [i for i in remaining if not any(beats[j, i] for j in remaining)]
        if not tier:  # cannot happen (the relation is transitive); guard against a loop
            tier = list(remaining)
        ranking.append([options[i] for i in tier])
        remaining = [i for i in remaining if i not in tier]
    wins = [int(beats[i].sum()) for i in range(len(options))]
    return Result(
        "schulze",
        options,
        ranking,
        ranks.shape[0],
        {
            "pairwise": d.tolist(),
            "strongest_paths": p.tolist(),
            "wins": wins,
            "condorcet_winner": next(
                (
                    options[i]
                    for i in range(len(options))
                    if (d[i] > d[:, i]).sum() == len(options) - 1
                ),
                None,
            ),
        },
    )


def _irv(options: list[Hashable], ranks: np.ndarray) -> Result:
    n, voters = len(options), ranks.shape[0]
    # Votes are counted in units of 1/lcm(1..n) so split votes stay exact integers.
    unit = math.lcm(*range(1, n + 1)) if n else 1
    continuing = list(range(n))
    history: list[np.ndarray] = []
    rounds: list[dict[str, Any]] = []
    eliminated_tiers: list[list[int]] = []
    work = ranks.astype(np.int16).copy()
    big = np.int16(n + 1)
    while continuing:
        best = work.min(axis=1) if n else np.zeros(voters)
        live = best < n
        top = (work == best[:, None]) & live[:, None]
        shares = top.sum(axis=1)
        weights = np.where(shares > 0, unit // np.maximum(shares, 1), 0).astype(np.int64)
        counts = (top * weights[:, None]).sum(axis=0)
        history.append(counts)
        lowest = min(int(counts[i]) for i in continuing)
        tied = [i for i in continuing if counts[i] == lowest]
        rule = "fewest"
        if len(tied) > 1 and len(tied) < len(continuing):
            rule = "tied_all_rounds"
            for earlier in reversed(history[:-1]):
                least = min(int(earlier[i]) for i in tied)
                narrowed = [i for i in tied if earlier[i] == least]
                if len(narrowed) < len(tied):
                    tied, rule = narrowed, "looked_back"
                    break
        last = len(tied) == len(continuing)
        rounds.append(
            {
                "counts": {str(i): int(counts[i]) / unit for i in continuing},
                "exhausted": int(voters - live.sum()),
                "eliminated": [] if last else tied,
                "tie_break": rule if len(tied) > 1 or rule == "looked_back" else None,
            }
        )
        if last:
            eliminated_tiers.append(continuing)
            break
        eliminated_tiers.append(tied)
        continuing = [i for i in continuing if i not in tied]
        work[:, tied] = big
    ranking = [[options[i] for i in sorted(t)] for t in reversed(eliminated_tiers)]
    for r in rounds:  # ids back to options, in options order
        r["counts"] = [[options[int(i)], c] for i, c in r["counts"].items()]
        r["eliminated"] = [options[i] for i in r["eliminated"]]
    return Result("irv", options, ranking, voters, {"rounds": rounds})


def _approval(
    options: list[Hashable], ranks: np.ndarray, approve_top: int | None, approval: bool
) -> Result:
    n = len(options)
    ranked = ranks < n
    if approval or approve_top is None:
        approved = ranks == 0 if approval else ranked
    else:
        # Options strictly above each option: for group ranks this counts earlier groups.
        above = np.zeros_like(ranks, dtype=np.int64)
        for a in range(n):
            above[:, a] = (ranks < ranks[:, a : a + 1]).sum(axis=1)
        approved = ranked & (above < approve_top)
    counts = [int(x) for x in approved.sum(axis=0)]
    return Result(
        "approval",
        options,
        _tiers(options, counts),
        ranks.shape[0],
        {"counts": counts, "approve_top": approve_top},
    )


def tally(
    method: str,
    options: Sequence[Hashable],
    ballots: Iterable[Any],
    *,
    approve_top: int | None = None,
    ranks: np.ndarray | None = None,
) -> Result:
    """Count `ballots` over `options` by `method`; see the module docstring for conventions.

    `approve_top` only matters when counting ranked ballots by approval. `ranks` lets a caller
    that counts several methods build the rank matrix once (see :func:`tally_all`).
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}")
    options = list(options)
    if ranks is None:
        ranks = rank_matrix(options, ballots, approval=method == "approval")
        approval_ballots = method == "approval"
    else:
        approval_ballots = False
    if method == "approval":
        return _approval(options, ranks, approve_top, approval_ballots)
    if method == "irv":
        return _irv(options, ranks)
    d = pairwise(ranks)
    if method == "borda":
        return _borda(options, ranks, d)
    return _schulze(options, ranks, d)


def tally_all(
    options: Sequence[Hashable],
    ballots: Iterable[Any],
    *,
    approval_ballots: bool = False,
    approve_top: int | None = None,
) -> dict[str, Result]:
    """Every method on the same ballots, building the rank matrix and pairwise matrix once.

    Approval ballots count for the ranked methods as one group of equal first choices.
    """
    options = list(options)
    ranks = rank_matrix(options, ballots, approval=approval_ballots)
    d = pairwise(ranks)
    n = len(options)
    return {
        "borda": _borda(options, ranks, d),
        "schulze": _schulze(options, ranks, d),
        "irv": _irv(options, ranks),
        "approval": _approval(
            options, ranks, None if approval_ballots else approve_top, approval_ballots and n > 0
        ),
    }
