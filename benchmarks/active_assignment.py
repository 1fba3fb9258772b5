"""Active assignment against random on simulated populations with known types and ideal points, and the cost of one
assignment at live-study scale (issue 36).

Quality: for each seed, number of types K (unequal shares) and model (a mixture on people of pure types; ideal points
on people who are Dirichlet mixes), a population is simulated and split as ``learn`` splits it; the model is fitted on
the training people, and each unseen person's comparisons (``--comparisons`` per person, 40 by default) outside their
held-out last quarter are asked in a random order or by ``acquire`` (``--epsilon``, 0.1), answered as simulated. After
s choices the model adapts to them and is scored on the held-out comparisons (and, for the mixture, whether the
person's most probable type is their true one). Per K and model, over every seed's unseen people: the choices each
policy needs to reach a target, the accuracy random reaches after 20 choices less 0.01 (so a plateau's noise cannot
decide), with a 95% interval from resampling people (1,000 replicates); beside it two smoother summaries
(``smoother_summaries``); and the population-level reward fitted on the unseen people's first 10 choices under each
policy (alone, or with the training people's), scored on the seen people's held-out comparisons: one BradleyTerry,
weighted or on the explored rows alone, and the population's choice a mixture or ideal points refitted on the same
choices imply (``population_rewards``).

Pool: the same for a study that generates 8 candidates per prompt and shows 4 (``[candidates] pool = 8``, k = 4), a
mixture of 3 types (unequal shares) fitted on the training people's choices among all 8: each unseen person is asked
20 of their prompts, each showing 4 of its 8, a uniform random prompt and 4 or both chosen by ``acquire`` over every
(prompt, 4 of 8) task (ε = 0.1), answered as the simulation's people answer (their weights times its sharpness, plus
Gumbel noise, the best of the 4 shown). Per policy, the share of unseen people whose most probable type is their
true one after s choices, and the choices each needs to reach random's 20-choice share less 0.01 (interval as above).

Speed: milliseconds per ``acquire`` call with 2,000 fitted people and 500 prompts whose tasks are every 4 of 6 (7,500
tasks) or of 8 (35,000) generated candidates, a person with 20 choices so far; median over calls, per run, wall-clock
and CPU time. The models are fitted briefly (a few iterations): the cost of an assignment depends on their shapes,
not on how well they fit.

    PYTHONPATH=src .venv/bin/python benchmarks/active_assignment.py [--seeds 0 1 2] [--types 2 3 5] [--runs 3]
        [--comparisons 40] [--only speed|quality|population|pool|pool-population]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize import linear_sum_assignment
from sklearn.base import clone

from pluralign.data.choices import Choices, design_weights
from pluralign.learn import BradleyTerry, IdealPoint, MixtureBradleyTerry, split_choices
from pluralign.estimators.acquire import acquire, k_subsets
from pluralign.estimators.base import expected_correct
from pluralign.estimators.pooled import pooled_rewards
from pluralign.estimators.evaluate import in_last_conversations, per_comparison
from pluralign.learn.replay import replay_design
from pluralign.simulate import simulate_population

SHARES = {2: (0.7, 0.3), 3: (0.5, 0.3, 0.2), 4: (0.4, 0.3, 0.2, 0.1), 5: (0.35, 0.25, 0.2, 0.12, 0.08)}
STEPS = 20
POOL, SHOWN = 8, 4
SHARPNESS = 3.0  # simulate_population's default: how deterministic the simulated people's choices are


def true_types(model: MixtureBradleyTerry, population) -> np.ndarray:
    """Fitted type -> true type, matched on the training people's most probable types (Hungarian assignment)."""
    truth = population.annotators.set_index("annotator")["type"]
    overlap = np.zeros((len(model.coef_),) * 2)
    np.add.at(overlap, (model.predict_types(), truth.loc[model.annotators_].to_numpy()), 1)
    return linear_sum_assignment(-overlap)[1]


def person_curves(model, population, seed: int, epsilon: float = 0.1) -> dict[str, np.ndarray]:
    """Per policy, (people, STEPS + 1) each unseen person's held-out accuracy after s choices (and ``type|policy``:
    1 where their most probable type is their true one, for the mixture)."""
    split = split_choices(population.choices, random_state=seed)
    unseen = split.unseen
    test_rows = in_last_conversations(unseen, 0.25)
    test, pool = unseen.subset(test_rows), unseen.subset(~test_rows)
    orders = replay_design(model, pool, STEPS, epsilon=epsilon, seed=seed)[0]
    people = np.unique(test.annotator)
    truth = population.annotators.set_index("annotator")["type"]
    if isinstance(model, MixtureBradleyTerry):
        fitted_to_true = true_types(model, population)
    out = {}
    for policy, order in orders.items():
        acc, typed = np.zeros((len(people), STEPS + 1)), np.zeros((len(people), STEPS + 1))
        for s in range(STEPS + 1):
            model.reset_adaptation().adapt(pool.subset(order < s))
            rows = per_comparison(model, test)
            acc[:, s] = rows.groupby("annotator")["correct"].mean().loc[people].to_numpy()
            if isinstance(model, MixtureBradleyTerry):
                typed[:, s] = fitted_to_true[model.mixing_weights(people).argmax(1)] == truth.loc[people].to_numpy()
        out[policy], out[f"type|{policy}"] = acc, typed
    model.reset_adaptation()
    return out


def needed(curve: np.ndarray, target: float) -> int:
    """The fewest choices after which a mean curve reaches ``target`` (STEPS + 1 if it never does)."""
    reached = np.flatnonzero(curve >= target)
    return int(reached[0]) if len(reached) else STEPS + 1


def choices_to_target(random: np.ndarray, active: np.ndarray, rng: np.random.Generator, n_boot: int = 1000) -> str:
    """The choices random and active need to reach random's 20-choice accuracy less 0.01, with people resampled."""
    def both(rows):
        target = random[rows].mean(0)[-1] - 0.01
        return needed(random[rows].mean(0), target), needed(active[rows].mean(0), target)

    return _with_interval(both, len(random), rng, n_boot)


def _with_interval(both, people: int, rng: np.random.Generator, n_boot: int) -> str:
    """``both(rows)``'s choices for random and active, and their ratio, each with a 95% interval resampling people."""
    point = both(np.arange(people))
    reps = np.array([both(rng.integers(people, size=people)) for _ in range(n_boot)])
    ratio = reps[:, 1] / np.maximum(reps[:, 0], 1)
    lo, hi = np.percentile(reps, [2.5, 97.5], axis=0)
    return (f"random {point[0]} [{lo[0]:.0f}, {hi[0]:.0f}], active {point[1]} [{lo[1]:.0f}, {hi[1]:.0f}], "
            f"ratio {point[1] / max(point[0], 1):.2f} [{np.percentile(ratio, 2.5):.2f}, {np.percentile(ratio, 97.5):.2f}]")


def smoother_summaries(random: np.ndarray, active: np.ndarray, rng: np.random.Generator, n_boot: int = 1000) -> str:
    """Two summaries less coarse than a crossing near the plateau, beside it (not instead of it): the choices each
    policy needs to reach 90% of random's gain from 0 to 20 choices, and active's mean accuracy lead over choices
    1-10 (the area between the curves over 10 choices), each with a 95% interval resampling people."""
    def gain(rows):
        r = random[rows].mean(0)
        target = r[0] + 0.9 * (r[-1] - r[0])
        return needed(r, target), needed(active[rows].mean(0), target)

    lead = (active[:, 1:11] - random[:, 1:11]).mean(1)
    reps = [lead[rng.integers(len(lead), size=len(lead))].mean() for _ in range(n_boot)]
    return (f"to 90% of random's 0-20 gain: {_with_interval(gain, len(random), rng, n_boot)}; mean lead over 1-10 "
            f"choices {lead.mean():+.4f} [{np.percentile(reps, 2.5):+.4f}, {np.percentile(reps, 97.5):+.4f}]")


def fitted(k: int, name: str, seed: int, people: int = 150, comparisons: int = 40):
    """The model fitted on a simulated population's training people, and the population (``people`` ×
    ``comparisons``; pure types for the mixture, Dirichlet mixes for ideal points)."""
    population = simulate_population(n_annotators=people, proportions=SHARES[k], comparisons_per_annotator=comparisons,
                                     ideal_points=name == "ideal", random_state=seed)
    train = split_choices(population.choices, random_state=seed).train
    model = (MixtureBradleyTerry(n_types=k, n_init=1, random_state=seed) if name == "mixture"
             else IdealPoint(n_prototypes=k, max_iter=300, random_state=seed)).fit(train)
    return model, population


def quality(seeds: list[int], types: list[int], models: list[str], people: int = 150, comparisons: int = 40,
            epsilon: float = 0.1) -> None:
    """Print, per K and model, the curves' key points and the choices each policy needs."""
    rng = np.random.default_rng(0)
    for k in types:
        for name in models:
            parts = [person_curves(*fitted(k, name, seed, people, comparisons), seed, epsilon) for seed in seeds]
            curves = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
            r, a = curves["random"].mean(0), curves["active"].mean(0)
            print(f"K={k} {name}, {len(curves['random'])} unseen people over {len(seeds)} seeds: accuracy after "
                  + ", ".join(f"{s}: {r[s]:.3f}/{a[s]:.3f}" for s in (0, 2, 4, 6, 10, 20)) + " (random/active)")
            print(f"  choices to reach random's 20-choice accuracy − 0.01: "
                  f"{choices_to_target(curves['random'], curves['active'], rng)}")
            print(f"  {smoother_summaries(curves['random'], curves['active'], rng)}")
            if name == "mixture":
                tr, ta = curves["type|random"].mean(0), curves["type|active"].mean(0)
                print("  true type most probable after " + ", ".join(
                    f"{s}: {tr[s]:.3f}/{ta[s]:.3f}" for s in (0, 2, 4, 6, 10, 20)) + " (random/active)")
            print(flush=True)


def joined(*parts: Choices) -> Choices:
    """Comparisons of subsets of one ``Choices`` (their features shared), one part after another."""
    optional = {name: None if any(getattr(p, name) is None for p in parts)
                else np.concatenate([getattr(p, name) for p in parts]) for name in Choices._optional}
    return Choices(parts[0].features, *(np.concatenate([getattr(p, name) for p in parts])
                                        for name in ("candidates", "chosen", "annotator")), **optional)


def implied_scores(model, held: Choices) -> dict[str, float]:
    """Held-out accuracy of the population reward a fitted mixture or ideal-point model implies, scoring everyone
    alike (no one's own weights): ``mean reward``, the linear reward of the population's mean weights (the
    proportions times the types' rewards; the mean mix times the prototypes'), and ``expected choice``, each
    candidate's choice probability averaged over the population (``population_proba``)."""
    mean = BradleyTerry()._copy(coef_=model.proportions_ @ model.coef_)
    return {"mean reward": mean.score(held),
            "expected choice": float(expected_correct(model.population_proba(held), held.chosen).mean())}


def population_rewards(model, population, seed: int, asked: int = 10, epsilon: float = 0.1) -> dict[str, float]:
    """The population-level reward, fitted on the unseen people's first ``asked`` choices under each policy
    (``unseen``) or on those and the training people's choices, collected at random (``everyone``), and scored by
    its held-out accuracy on the seen people's held-out conversations: one BradleyTerry (``BT``); the same on active's
    rows weighted by design weights (a uniform order's probability over active's) or on its ε-explored rows alone
    (``BT explored``: the rows the design did not choose; ``everyone``'s adds the training people's); and the reward
    a mixture or ideal-point model like ``model``, refitted by likelihood on the same rows, implies for the
    population (``implied_scores``). Keys ``estimate|data|policy``."""
    split = split_choices(population.choices, random_state=seed)
    unseen, held = split.unseen, split.conversations
    pool = unseen.subset(~in_last_conversations(unseen, 0.25))
    # STEPS, as the curves replay, so a seed asks the same first ``asked`` as there
    design = replay_design(model, pool, STEPS, epsilon=epsilon, seed=seed)
    rows = design.orders["active"] < asked
    weighted = pool.subset(rows)
    weighted.weight = design_weights(design.probability[rows], reference=design.reference[rows])
    out = {"BT weighted|unseen|active": BradleyTerry().fit(weighted).score(held)}
    explored = pool.subset(rows & design.explored)
    for data, before in (("unseen", []), ("everyone", [split.train])):
        out[f"BT explored|{data}|active"] = BradleyTerry().fit(joined(*before, explored)).score(held)
        for policy, order in design.orders.items():
            chosen = joined(*before, pool.subset(order < asked))
            out[f"BT|{data}|{policy}"] = BradleyTerry().fit(chosen).score(held)
            for form, score in implied_scores(clone(model).fit(chosen), held).items():
                out[f"{form}|{data}|{policy}"] = score
    return out


def population_loss(seeds: list[int], types: list[int], models: list[str], people: int = 150,
                    epsilon: float = 0.1, comparisons: int = 40) -> None:
    """Print, per K and model and over all, each population reward's mean accuracy and its paired differences from
    random's BradleyTerry on the same data and from the same estimate under random, with a 95% interval over seeds
    (t), seed by seed paired."""
    cells = {}
    for k in types:
        for name in models:
            rows = [population_rewards(*fitted(k, name, seed, people, comparisons), seed, epsilon=epsilon)
                    for seed in seeds]
            cells[f"K={k} {name}"] = table = pd.DataFrame(rows)
            print(f"K={k} {name}, {len(table)} seeds:\n" + _differences(table), flush=True)
    print(f"all cells, {sum(map(len, cells.values()))} seed-cells:\n" + _differences(pd.concat(cells.values())),
          flush=True)


def _interval(x: pd.Series) -> str:
    """The mean of ``x`` with a 95% t interval over its rows."""
    half = stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
    return f"{x.mean():+.4f} [{x.mean() - half:+.4f}, {x.mean() + half:+.4f}]"


def _differences(table: pd.DataFrame) -> str:
    """One line per column (``estimate|data|policy``): mean accuracy, and the paired differences from random's
    BradleyTerry on the same data and, for active, from the same estimate under random, with t intervals over the
    rows."""
    lines = []
    for column in table:
        estimate, data, policy = column.split("|")
        base, same = f"BT|{data}|random", f"{estimate}|{data}|random"
        line = f"  {column}: {table[column].mean():.4f}"
        if column != base:
            line += f"; − BT random {_interval(table[column] - table[base])}"
        if policy != "random" and same != base and same in table:
            line += f"; − same, random {_interval(table[column] - table[same])}"
        lines.append(line)
    return "\n".join(lines)


def asked(model: MixtureBradleyTerry, population, person: int, pools: np.ndarray, active: bool,
          rng: np.random.Generator, epsilon: float = 0.1) -> list[tuple[np.ndarray, int, float, float]]:
    """The ``STEPS`` tasks one person is asked, each 4 of one of their prompts' ``pools`` (n, 8) of feature rows, by
    ``acquire`` (``active``) or uniformly at random, with the position they chose among the 4 shown, the probability
    the policy asked it with and a uniform draw's (1 / the tasks available)."""
    tasks, prompt = k_subsets(pools, SHOWN)
    rewards = pooled_rewards(model, population.choices.features, tasks) if active else None
    weights = SHARPNESS * population.mixes[person] @ population.directions
    used, answers = np.zeros(len(pools), dtype=bool), []
    for _ in range(STEPS):
        available = ~used[prompt]
        if active:
            history = Choices(population.choices.features, np.array([a[0] for a in answers]).reshape(-1, SHOWN),
                              np.array([a[1] for a in answers], dtype=np.int64), np.zeros(len(answers)))
            chosen = acquire(model, rewards, history, available=available, epsilon=epsilon, rng=rng)
            task, probability = chosen.task, chosen.probability
        else:
            task, probability = int(rng.choice(np.flatnonzero(available))), 1 / available.sum()
        used[prompt[task]] = True
        utility = population.choices.features[tasks[task]] @ weights + rng.gumbel(size=SHOWN)
        answers.append((tasks[task], int(utility.argmax()), probability, 1 / available.sum()))
    return answers


def pool_fitted(seed: int):
    """The pool variant's population (150 people × 40 prompts of 8 candidates, 3 types), its split, and the mixture
    fitted on the training people's choices among all 8."""
    population = simulate_population(n_annotators=150, proportions=SHARES[3], comparisons_per_annotator=40,
                                     n_candidates=POOL, turns=1, random_state=seed)
    split = split_choices(population.choices, random_state=seed)
    return population, split, MixtureBradleyTerry(n_types=3, n_init=1, random_state=seed).fit(split.train)


def pool_population(seeds: list[int], epsilon: float = 0.1, first: int = 10) -> None:
    """Print the pool variant's population reward: one BradleyTerry on the unseen people's first ``first`` choices
    (4 shown of 8) under random, active, and active with design weights, scored on the seen people's held-out
    conversations (choices among all 8); differences with t intervals over seeds."""
    rows = []
    for seed in seeds:
        population, split, model = pool_fitted(seed)
        rng, out = np.random.default_rng(seed), {}
        for policy in ("random", "active"):
            answers = [(p, *a) for p in np.unique(split.unseen.annotator)
                       for a in asked(model, population, p, split.unseen.candidates[split.unseen.annotator == p],
                                      policy == "active", rng, epsilon)[:first]]
            choices = Choices(population.choices.features, np.array([a[1] for a in answers]),
                              np.array([a[2] for a in answers]), np.array([a[0] for a in answers]))
            out[f"BT|unseen|{policy}"] = BradleyTerry().fit(choices).score(split.conversations)
            if policy == "active":
                choices.weight = design_weights([a[3] for a in answers], reference=[a[4] for a in answers])
                out["BT weighted|unseen|active"] = BradleyTerry().fit(choices).score(split.conversations)
        rows.append(out)
    print(f"pool population (ε = {epsilon}):\n" + _differences(pd.DataFrame(rows)), flush=True)


def pool_quality(seeds: list[int]) -> None:
    """Print the pool variant's type recovery, random against active, over ``seeds``."""
    typed = {"random": [], "active": []}
    for seed in seeds:
        population, split, model = pool_fitted(seed)
        fitted_to_true = true_types(model, population)
        people = np.unique(split.unseen.annotator)
        truth = population.annotators.set_index("annotator")["type"].loc[people].to_numpy()
        rng = np.random.default_rng(seed)
        for policy in typed:
            answers = {p: asked(model, population, p, split.unseen.candidates[split.unseen.annotator == p],
                                policy == "active", rng) for p in people}
            curve = np.zeros((len(people), STEPS + 1))
            for s in range(STEPS + 1):
                rows = [(p, t, c) for p in people for t, c, *_ in answers[p][:s]]
                model.reset_adaptation().adapt(Choices(
                    population.choices.features, np.array([t for _, t, _ in rows]).reshape(-1, SHOWN),
                    np.array([c for *_, c in rows], dtype=np.int64), np.array([p for p, *_ in rows])))
                curve[:, s] = fitted_to_true[model.mixing_weights(people).argmax(1)] == truth
            typed[policy].append(curve)
        model.reset_adaptation()
    random, active = np.concatenate(typed["random"]), np.concatenate(typed["active"])
    r, a = random.mean(0), active.mean(0)
    print(f"pool: K=3 mixture, 4 shown of 8, {len(random)} unseen people over {len(seeds)} seeds: true type most "
          "probable after " + ", ".join(f"{s}: {r[s]:.3f}/{a[s]:.3f}" for s in (0, 2, 4, 6, 10, 20))
          + " (random/active)")
    print(f"  choices to reach random's 20-choice share − 0.01: "
          f"{choices_to_target(random, active, np.random.default_rng(0))}", flush=True)


def speed(runs: int, calls: int = 100) -> None:
    """Print the median milliseconds per assignment at 2,000 people and 500 prompts, per run: wall-clock, and the
    process's CPU time (what an idle core would take; on a machine shared by many, wall-clock mostly measures the
    wait for a core)."""
    population = simulate_population(n_annotators=2000, proportions=SHARES[5], comparisons_per_annotator=4,
                                     n_features=384, random_state=0)
    rng = np.random.default_rng(0)
    history = population.choices.subset(np.isin(population.choices.annotator, [0, 1, 2, 3, 4]))  # 20 choices
    history = Choices(history.features, history.candidates, history.chosen, np.zeros(len(history)))
    for name, model in (("mixture K=5", MixtureBradleyTerry(n_types=5, n_init=1, n_iter=5)),
                        ("ideal K=5", IdealPoint(n_prototypes=5, max_iter=20))):
        model.fit(population.choices)
        for pool_size in (6, 8):
            features = rng.standard_normal((500 * pool_size, 384)).astype(np.float32)
            tasks, prompt = k_subsets(np.arange(500 * pool_size).reshape(500, pool_size), 4)
            start = time.perf_counter()
            rewards = pooled_rewards(model, features, tasks)
            once = time.perf_counter() - start
            wall, cpu = [], []
            for _ in range(runs):
                seconds = []
                for _ in range(calls):
                    start, start_cpu = time.perf_counter(), time.process_time()
                    acquire(model, rewards, history, available=prompt != 0, rng=rng)
                    seconds.append((time.perf_counter() - start, time.process_time() - start_cpu))
                wall.append(1000 * np.median([w for w, _ in seconds]))
                cpu.append(1000 * np.median([c for _, c in seconds]))
            print(f"{name}, {len(tasks):,} tasks (4 of {pool_size} per prompt), 20 choices so far: per assignment "
                  f"{np.median(wall):.1f} ms wall (runs: {', '.join(f'{m:.1f}' for m in wall)}), "
                  f"{np.median(cpu):.1f} ms CPU (runs: {', '.join(f'{m:.1f}' for m in cpu)}), medians of {calls} "
                  f"calls; pooled_rewards once per pool {1000 * once:.0f} ms wall", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--types", type=int, nargs="+", default=[2, 3, 5])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--models", nargs="+", choices=["mixture", "ideal"], default=["mixture", "ideal"])
    parser.add_argument("--people", type=int, default=150, help="simulated people per seed (a fifth unseen)")
    parser.add_argument("--comparisons", type=int, default=40,
                        help="comparisons simulated per person (the unseen choose among those not held out)")
    parser.add_argument("--epsilon", type=float, default=0.1, help="active's share of random tasks (not speed, pool)")
    parser.add_argument("--only", choices=["speed", "quality", "population", "pool", "pool-population"])
    args = parser.parse_args()
    if args.only in (None, "speed"):
        speed(args.runs)
    if args.only in (None, "quality"):
        quality(args.seeds, args.types, args.models, args.people, args.comparisons, args.epsilon)
    if args.only in (None, "population"):
        population_loss(args.seeds, args.types, args.models, args.people, args.epsilon, args.comparisons)
    if args.only in (None, "pool"):
        pool_quality(args.seeds)
    if args.only in (None, "pool-population"):
        pool_population(args.seeds, args.epsilon)


if __name__ == "__main__":
    main()
