"""Plan scoring work so that token prefixes shared by several requests are computed once.

Both local backends turn score requests into *rows* (context + all but the last continuation token) and need the
log-prob of given tokens at given positions of each row. Identical rows are merged (the "Yes" and "No" of one
context are one row), and rows are grouped by a shared prefix chosen to save the most tokens: a statement under
six framings shares the statement, a situation with a hundred candidate values shares the situation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence


from .base import ScoreRequest


@dataclass
class Row:
    tokens: tuple[int, ...]
    first_needed: int  # earliest position whose next-token log-probs are needed
    needed: set[int] = field(default_factory=set)


@dataclass
class Target:
    """log p of ``tokens`` read at ``positions`` of row ``row``; summed into one continuation's score."""

    row: int
    positions: tuple[int, ...]
    tokens: tuple[int, ...]


@dataclass
class ScorePlan:
    rows: list[Row]
    targets: list[list[Target]]  # per request, per continuation

    def wanted(self) -> dict[int, set[tuple[int, int]]]:
        """For each row, the (position, token) pairs whose log-probs the targets read."""
        out: dict[int, set[tuple[int, int]]] = {}
        for per_request in self.targets:
            for t in per_request:
                out.setdefault(t.row, set()).update(zip(t.positions, t.tokens))
        return out

    def assemble(self, logprob: dict[tuple[int, int, int], float]) -> list[list[float]]:
        """Sum per-token log-probs ``{(row, position, token): lp}`` into per-continuation scores."""
        return [
            [float(sum(logprob[(t.row, p, tok)] for p, tok in zip(t.positions, t.tokens))) for t in per_request]
            for per_request in self.targets
        ]


def split_pair(encode: Callable[[str], list[int]], context: str, continuation: str, empty: int) -> tuple[list[int], list[int]]:
    """Tokenise a (context, continuation) pair as lm-evaluation-harness does, so log-probs agree with it: trailing
    context whitespace moves to the continuation, the whole text is encoded, and the context's length splits it.
    An empty context is conditioned on the ``empty`` token (end-of-text)."""
    n_spaces = len(context) - len(context.rstrip())
    if n_spaces:
        context, continuation = context[:-n_spaces], context[-n_spaces:] + continuation
    if not context:
        return [empty], encode(continuation)
    ctx = encode(context)
    return ctx, encode(context + continuation)[len(ctx) :]


def plan_scores(
    requests: Sequence[ScoreRequest],
    render: Callable[[ScoreRequest], str],
    encode: Callable[[str], list[int]],
    empty: int,
) -> ScorePlan:
    """Tokenise every (context, continuation) pair lm-eval style and merge identical rows."""
    index: dict[tuple[int, ...], int] = {}
    rows: list[Row] = []
    targets: list[list[Target]] = []
    for request in requests:
        context = render(request)
        per_request = []
        for continuation in request.continuations:
            ctx, cont = split_pair(encode, context, continuation, empty)
            if not cont:
                raise ValueError(f"continuation {continuation!r} tokenises to nothing")
            tokens = tuple(ctx + cont[:-1])
            start = len(ctx) - 1
            r = index.setdefault(tokens, len(rows))
            if r == len(rows):
                rows.append(Row(tokens, start))
            row = rows[r]
            row.first_needed = min(row.first_needed, start)
            positions = tuple(range(start, start + len(cont)))
            row.needed.update(positions)
            per_request.append(Target(r, positions, tuple(cont)))
        targets.append(per_request)
    return _merge_prefix_rows(ScorePlan(rows, targets))


def _merge_prefix_rows(plan: ScorePlan) -> ScorePlan:
    """A row that is a prefix of another row needs no pass of its own: read its positions from the longer one.

    This happens when answer words differ in length ("Yes" is one token, "Hayır" two): the row of "Hayır" is the
    context plus its first token, which extends the context-only row of "Evet".
    """
    order = sorted(range(len(plan.rows)), key=lambda i: plan.rows[i].tokens)
    into = list(range(len(plan.rows)))
    for a, b in zip(order, order[1:]):
        short, long_ = plan.rows[a].tokens, plan.rows[b].tokens
        if len(short) <= len(long_) and long_[: len(short)] == short:
            into[a] = b
    for i in reversed(order):  # follow chains a -> b -> c to the longest row
        into[i] = into[into[i]]
    kept = sorted(set(into))
    new_index = {old: new for new, old in enumerate(kept)}
    rows = [plan.rows[i] for i in kept]
    for i, row in enumerate(plan.rows):
        target = rows[new_index[into[i]]]
        if target is not row:
            target.first_needed = min(target.first_needed, row.first_needed)
            target.needed.update(row.needed)
    targets = [[Target(new_index[into[t.row]], t.positions, t.tokens) for t in per] for per in plan.targets]
    return ScorePlan(rows, targets)


def _lcp(a: Sequence[int], b: Sequence[int]) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


@dataclass
class Group:
    prefix_len: int
    rows: list[int]


def group_by_prefix(rows: Sequence[Row]) -> list[Group]:
    """Group rows so that each group's shared prefix is computed once, choosing the groups that save most tokens.

    Rows are sorted by tokens, so any run of neighbours shares the smallest common prefix between them. A run either
    stays one group (saving (size - 1) x its shared prefix) or splits where that common prefix is shortest, into
    runs that share longer prefixes; the better of the two is chosen recursively. So a short statement's framings
    form their own group instead of being cut apart by a threshold that suits longer ones. Each prefix stops
    before its rows' first needed position, so every needed logit lies in the part computed per row.
    """
    if not rows:
        return []
    order = sorted(range(len(rows)), key=lambda i: rows[i].tokens)
    lcps = [_lcp(rows[a].tokens, rows[b].tokens) for a, b in zip(order, order[1:])]

    def prefix(lo: int, hi: int) -> int:  # shared prefix of order[lo:hi], capped at the first needed positions
        shared = min(lcps[lo : hi - 1]) if hi - lo > 1 else rows[order[lo]].first_needed
        return max(0, min([shared] + [rows[order[i]].first_needed for i in range(lo, hi)]))

    def best(lo: int, hi: int) -> tuple[int, list[tuple[int, int]]]:
        whole = ((hi - lo - 1) * prefix(lo, hi), [(lo, hi)])
        if hi - lo < 2:
            return whole
        weakest = min(lcps[lo : hi - 1])
        cuts = [lo] + [k + 1 for k in range(lo, hi - 1) if lcps[k] == weakest] + [hi]
        parts = [best(a, b) for a, b in zip(cuts, cuts[1:])]
        split = (sum(p[0] for p in parts), [r for p in parts for r in p[1]])
        return split if split[0] > whole[0] else whole

    return [Group(prefix(lo, hi), [order[i] for i in range(lo, hi)]) for lo, hi in best(0, len(order))[1]]
