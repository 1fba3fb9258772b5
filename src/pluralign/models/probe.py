"""Is a server's echo of prompt log-probs the model's? Checked before any score is read from a server.

Servers exist whose ``echo`` + ``logprobs`` answer has the right shape and the wrong numbers (llama-cpp-python's
0.3.36 server gives " of" after "The capital" −10.5 nats where the model gives −0.4). Scores read from such a
server make a chance-level audit that looks like any other, so pluralign asks four things of it first:

- the numbers are log-probabilities: finite, at most 0, and not all 0;
- a known continuation is more likely than an absurd one, for each of a few plain-English pairs;
- the chain rule holds across two splits of one text: log p(b c | a) = log p(b | a) + log p(c | a b);
- the token the server itself picks greedily after a prompt gets, echoed as the prompt's last token, the log-prob
  the server gave it when it picked it (two routes through one server, which must agree).
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

from .base import ScoreRequest

PAIRS = (("The capital of France is", " Paris", " banana"),
         ("One, two, three, four,", " five", " purple"),
         ("The opposite of hot is", " cold", " Tuesday"))
CHAIN = ("The capital of France is", " Paris", ". It is the largest city of the country.")
TOLERANCE = 0.5  # nats: a bf16 server rounds large logits to steps of 0.125 and batches differently per request;
# the wrong log-probs seen so far miss by 8 nats and more


def logprob_problems(score: Callable[[Sequence[ScoreRequest]], list[list[float]]],
                     greedy: Callable[[str], tuple[str, float] | None]) -> list[str]:
    """What is wrong with the log-probs that ``score`` reads from a server, in words; empty when nothing is.

    ``greedy(prompt)`` returns the server's greedy next token and the log-prob it gave it, or None when the server
    does not report one (then that check is skipped).
    """
    a, b, c = CHAIN
    requests = [ScoreRequest(context, (known, absurd)) for context, known, absurd in PAIRS]
    requests += [ScoreRequest(a, (b + c, b)), ScoreRequest(a + b, (c,))]
    scores = score(requests)
    values = [v for row in scores for v in row]
    problems = []
    if not all(math.isfinite(v) and v <= 1e-6 for v in values) or all(abs(v) < 1e-9 for v in values):
        problems.append(f"they are not log-probabilities (read {_short(values)})")
    wrong = [f"{known!r} after {context!r} is no more likely than {absurd!r}"
             for (context, known, absurd), (k, r) in zip(PAIRS, scores) if k <= r]
    problems += wrong[:1]
    (whole, first), (second,) = scores[len(PAIRS)], scores[len(PAIRS) + 1]
    if abs(whole - (first + second)) > TOLERANCE:
        problems.append(f"the chain rule fails: log p({b + c!r}) = {whole:.2f} but the two parts sum to "
                        f"{first + second:.2f}")
    picked = greedy(a)
    if picked is not None and picked[0].strip():  # an empty or blank pick cannot be found again in an echo
        token, logprob = picked
        echoed = score([ScoreRequest(a, (token,))])[0][0]
        if abs(echoed - logprob) > TOLERANCE:
            problems.append(f"the token it picks after {a!r} ({token!r}) has log-prob {logprob:.2f} when picked but "
                            f"{echoed:.2f} when echoed")
    return problems


def _short(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values[:4]) + (", ..." if len(values) > 4 else "")
