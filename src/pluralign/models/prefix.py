"""Plan scoring work so that token prefixes shared by several requests are computed once.

Every backend turns score requests into *rows* (context + all but the last continuation token) and needs the
log-prob of given tokens at given positions of each row (``plan_scores``). Identical rows are merged (the "Yes" and
"No" of one context are one row). The hf backend then merges all rows into one token tree (``TokenTree``) and
computes it in rows of consecutive nodes (``tree_batches``): a system prompt shared by a language's statements, a
statement shared by its six framings, the first token of a two-token answer word and a situation shared by a hundred
candidate values are each computed once, whatever the prompt layout, and no row is padded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np


from .base import ScoreRequest


@dataclass
class Row:
    tokens: tuple[int, ...]


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
                rows.append(Row(tokens))
            per_request.append(Target(r, tuple(range(start, start + len(cont))), tuple(cont)))
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
    targets = [[Target(new_index[into[t.row]], t.positions, t.tokens) for t in per] for per in plan.targets]
    return ScorePlan(rows, targets)


@dataclass
class TokenTree:
    """Every row's tokens merged into one tree: a token that several rows share at the same position, after the same
    tokens, is one node, computed once.

    Rows are inserted in sorted order, so node ids are a depth-first (pre-order) numbering: the subtree of node ``n``
    is the id range ``n .. n + size[n] - 1``, and ``k`` is an ancestor of ``n`` exactly when ``k <= n < k + size[k]``.
    """

    token: np.ndarray
    parent: np.ndarray  # -1 for a row's first token
    depth: np.ndarray  # the token's position in its rows
    size: np.ndarray  # nodes in the node's subtree, itself included
    paths: list[list[int]]  # per row, its node at each position

    @classmethod
    def of(cls, rows: Sequence[Sequence[int]]) -> "TokenTree":
        token: list[int] = []
        parent: list[int] = []
        depth: list[int] = []
        paths: list[list[int]] = [[] for _ in rows]
        previous: Sequence[int] = ()
        previous_path: list[int] = []
        for r in sorted(range(len(rows)), key=lambda i: tuple(rows[i])):
            row = rows[r]
            shared = 0  # a sorted row shares its nodes with the row before it up to their common prefix
            while shared < min(len(row), len(previous)) and row[shared] == previous[shared]:
                shared += 1
            path = paths[r] = previous_path[:shared]
            for pos in range(shared, len(row)):
                token.append(row[pos])
                parent.append(path[-1] if path else -1)
                depth.append(pos)
                path.append(len(token) - 1)
            previous, previous_path = row, path
        size = [1] * len(token)
        for node in range(len(token) - 1, -1, -1):  # children have larger ids than their parents
            if parent[node] >= 0:
                size[parent[node]] += size[node]
        return cls(*(np.array(a, dtype=np.int64) for a in (token, parent, depth, size)), paths)

    def __len__(self) -> int:
        return len(self.token)

    def ancestors(self, node: int) -> list[int]:
        """The node's ancestors, root first."""
        out = []
        node = int(self.parent[node])
        while node >= 0:
            out.append(node)
            node = int(self.parent[node])
        return out[::-1]


def tree_batches(tree: TokenTree, batch_tokens: int) -> list[np.ndarray]:
    """Cut the tree into forward passes of at most ``batch_tokens`` nodes each: consecutive node ids, led by the
    ancestors of the first one (every other node's ancestors outside the range are among those). Each pass is one
    row with no padding; only the ancestors at each cut are computed twice, so each cut falls, within the last
    quarter of a pass, before the node with the fewest ancestors (where a statement or a language begins)."""
    out, start = [], 0
    while start < len(tree):
        spine = tree.ancestors(start)
        stop = start + max(1, batch_tokens - len(spine))
        if stop < len(tree):
            lo = start + max(1, (3 * (stop - start)) // 4)
            stop = lo + int(np.argmin(tree.depth[lo : stop + 1]))
        stop = min(stop, len(tree))
        out.append(np.concatenate([np.array(spine, dtype=np.int64), np.arange(start, stop)]))
        start = stop
    return out
