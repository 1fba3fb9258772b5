"""Policies: the inconsistencies a team accepts, declared in a file and checked against runs.

A policy is TOML (``[[rule]]`` tables) or YAML (a ``rules:`` list). Each rule bounds one statistic of a metric::

    [[rule]]
    name = "refusals alike across languages"
    metric = "refusal_rate"
    grouping = "language_variant"
    statistic = "max_ratio"     # overall | each | gap | ratio | max_ratio
    at_most = 1.25

A rule passes when the whole interval of its statistic is on the allowed side of the line, fails when the whole
interval is on the other side, and is inconclusive when the interval straddles the line: more data decides it.
Gap and ratio rows carry simultaneous intervals (see intervals.py). A rule over ``each`` group is one test per group,
so each group's own interval is widened until all of them hold together (Šidák 1967): a rule over ten groups that
all sit on its line fails about as rarely as a rule over one.
"""

from __future__ import annotations

import fnmatch
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..data.text import read_text
from ..errors import InputError
from .checks import degenerate
from .intervals import LEVEL
from .registry import REGISTRY
from .store import overall_values, select

STATISTICS = ("overall", "each", "gap", "ratio", "max_ratio")
_RULE_FIELDS = {"name", "metric", "statistic", "grouping", "group", "at_least", "at_most", "where"}
_TOP_FIELDS = {"name", "description", "rule", "rules"}
_ORDER = {"fail": 0, "missing": 1, "inconclusive": 2, "pass": 3}


class PolicyError(InputError):
    """A policy file that cannot be used; the message names the file and line."""


@dataclass
class Rule:
    """One declared tolerance: ``statistic`` of ``metric`` (by ``grouping``) must be ≥ at_least and/or ≤ at_most,
    for the rows matching ``where`` (e.g. ``{split = "unseen conversations"}``)."""

    metric: str
    statistic: str = "overall"
    grouping: str | None = None
    group: str | None = None
    at_least: float | None = None
    at_most: float | None = None
    where: dict[str, str] = field(default_factory=dict)
    name: str = ""
    line: int = 0

    def bound(self) -> str:
        parts = ([f"≥ {self.at_least:g}"] if self.at_least is not None else []) + (
            [f"≤ {self.at_most:g}"] if self.at_most is not None else [])
        return " and ".join(parts)

    def verdict(self, value: float, low: float, high: float) -> str:
        """pass / fail / inconclusive for a value with its interval (the value alone when both bounds are NaN).

        Infinite values and bounds compare as numbers: an unbounded side (a group of one cluster, a max_ratio over
        a zero group) leaves the rule inconclusive, or failed when the whole interval is past the line. Only a NaN
        value is missing."""
        if np.isnan(value):
            return "missing"
        low, high = (value, value) if np.isnan(low) and np.isnan(high) else (low, high)
        ok_all = (self.at_least is None or low >= self.at_least) and (self.at_most is None or high <= self.at_most)
        bad_all = (self.at_least is not None and high < self.at_least) or (self.at_most is not None and low > self.at_most)
        return "pass" if ok_all else "fail" if bad_all else "inconclusive"


@dataclass
class Policy:
    rules: list[Rule]
    name: str = ""
    path: str = ""


def _toml_lines(text: str) -> tuple[list[int], list[dict[str, int]], dict[str, int]]:
    """Line numbers of each ``[[rule]]`` and of the keys inside it (tomllib keeps no positions)."""
    starts, keys, top = [], [], {}
    for number, line in enumerate(text.splitlines(), 1):
        if re.match(r"\s*\[\[\s*rules?\s*\]\]", line):
            starts.append(number)
            keys.append({})
        elif m := re.match(r"\s*([A-Za-z_][\w-]*)\s*=", line):
            (keys[-1] if keys else top).setdefault(m.group(1), number)
    return starts, keys, top


def _yaml_lines(text: str) -> tuple[list[int], list[dict[str, int]], dict[str, int]]:
    starts, keys, top = [], [], {}
    root = yaml.compose(text)
    if not isinstance(root, yaml.MappingNode):
        return starts, keys, top
    for k, v in root.value:
        top[k.value] = k.start_mark.line + 1
        if k.value in ("rule", "rules") and isinstance(v, yaml.SequenceNode):
            for item in v.value:
                starts.append(item.start_mark.line + 1)
                keys.append({ik.value: ik.start_mark.line + 1 for ik, _ in item.value} if isinstance(item, yaml.MappingNode) else {})
    return starts, keys, top


def load_policy(path: str | Path) -> Policy:
    """Read and validate a policy file; any problem raises PolicyError naming the file and line (a file that is not
    UTF-8, the ``DatasetError`` that every reader gives, from ``data.text``)."""
    path = Path(path)
    if not path.is_file():
        raise PolicyError(f"{path}: no such policy file")
    text = read_text(path)
    is_yaml = path.suffix.lower() in (".yaml", ".yml")

    def fail(line: int, message: str) -> PolicyError:
        return PolicyError(f"{path}:{line}: {message}")

    try:
        data = yaml.safe_load(text) if is_yaml else tomllib.loads(text)
        starts, keys, top = _yaml_lines(text) if is_yaml else _toml_lines(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        raise fail(int(m.group(1)) if m else 1, re.sub(r"\s*\(at line .*\)$", "", str(exc)) or "not valid TOML") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise fail(mark.line + 1 if mark else 1, getattr(exc, "problem", None) or "not valid YAML") from None
    if not isinstance(data, dict):
        raise fail(1, "a policy is a table of rules ([[rule]] in TOML, a 'rules:' list in YAML)")
    for key in data:
        if key not in _TOP_FIELDS:
            raise fail(top.get(key, 1), f"unknown key {key!r}; a policy has {', '.join(sorted(_TOP_FIELDS))}")
    raw = data.get("rules", data.get("rule"))
    if not raw:
        raise fail(1, "no rules ([[rule]] tables in TOML, a 'rules:' list in YAML)")
    if not isinstance(raw, list):
        raise fail(top.get("rules", top.get("rule", 1)), "rules must be a list")
    rules = []
    for i, item in enumerate(raw):
        start = starts[i] if i < len(starts) else 1
        where = keys[i] if i < len(keys) else {}
        rules.append(_rule(item, start, lambda key, msg: fail(where.get(key, start), msg)))
    return Policy(rules, str(data.get("name", "")), str(path))


def _rule(item, start: int, fail) -> Rule:
    if not isinstance(item, dict):
        raise fail("", "each rule is a table of fields (metric, statistic, grouping, at_least / at_most, ...)")
    for key in item:
        if key not in _RULE_FIELDS:
            raise fail(key, f"unknown rule field {key!r}; a rule has {', '.join(sorted(_RULE_FIELDS))}")
    metric = item.get("metric")
    if not isinstance(metric, str) or not metric:
        raise fail("metric", "a rule needs metric = \"NAME\" (a registered metric; * and ? match several)")
    if not fnmatch.filter(REGISTRY, metric):
        raise fail("metric", f"unknown metric {metric!r}; known metrics: {', '.join(sorted(REGISTRY))}")
    grouping = item.get("grouping")
    statistic = item.get("statistic", "each" if grouping and "group" not in item else "overall")
    if statistic not in STATISTICS:
        raise fail("statistic", f"statistic must be one of {', '.join(STATISTICS)}, got {statistic!r}")
    if statistic != "overall" and not grouping:
        raise fail("statistic", f"statistic {statistic!r} compares groups; add grouping = \"COLUMN\" (e.g. language)")
    bounds = {}
    for key in ("at_least", "at_most"):
        value = item.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise fail(key, f"{key} must be a number, got {value!r}")
        bounds[key] = None if value is None else float(value)
    if bounds["at_least"] is None and bounds["at_most"] is None:
        raise fail("", "a rule needs at_least or at_most (or both)")
    where = item.get("where", {})
    if not isinstance(where, dict) or not all(isinstance(v, (str, int, float)) for v in where.values()):
        raise fail("where", "where is a table of column = value filters, e.g. where = { split = \"unseen conversations\" }")
    name = item.get("name") or f"{metric} {statistic}" + (f" by {grouping}" if grouping else "")
    return Rule(metric, statistic, grouping, item.get("group"), bounds["at_least"], bounds["at_most"],
                {k: str(v) for k, v in where.items()}, str(name), start)


def _statistic(rule: Rule, rows: pd.DataFrame) -> list[tuple[str, float, float, float]]:
    """(group, value, low, high) of each thing the rule bounds within one subject's rows of one metric."""
    if rule.statistic == "overall":
        rows = overall_values(rows)
    else:
        rows = rows[rows["grouping"] == rule.grouping]
        if rule.statistic == "each":
            rows = rows[~rows["group"].isin(["gap", "ratio"])]
        else:
            rows = rows[rows["group"] == ("gap" if rule.statistic == "gap" else "ratio")]
    if rule.group is not None:
        rows = rows[rows["group"] == str(rule.group)]
    out = [(str(r.group), float(r.value), float(r.ci_low), float(r.ci_high)) for r in rows.itertuples()]
    if rule.statistic == "each" and len(out) > 1:
        out = _jointly(out, rows["n"].to_numpy(dtype=float))
    if rule.statistic == "max_ratio":  # largest / smallest, from the table's smallest / largest
        flip = lambda x: 1 / x if x > 0 else math.inf if x == 0 else math.nan  # noqa: E731
        out = [("max/min", flip(v), flip(hi), flip(lo)) for _, v, lo, hi in out]
    return out


def _jointly(found: list[tuple[str, float, float, float]], n: np.ndarray, level: float = LEVEL
             ) -> list[tuple[str, float, float, float]]:
    """Each group's interval widened so that all k of them hold together at ``level``, from the stored table alone.

    Šidák's inequality: intervals at level^(1/k) for k normal estimates hold jointly at least at ``level`` however
    the estimates are correlated (groups sharing clusters included). Each side's half-width is scaled by
    t(level^(1/k)) / t(level) with n − 1 degrees of freedom (the stored intervals are t-wide, see intervals.py), which
    keeps a percentile interval's asymmetry. Rates measured in benchmarks/RESULTS.md. Assumes the table's
    intervals are at ``LEVEL``, the level every job writes.

    Limitation: the table's n counts rows, while intervals.py builds each interval on clusters − 1 degrees of freedom.
    With clustered data and few clusters per group, n − 1 overstates the degrees of freedom and the widening is
    somewhat too small (negligible from about 30 clusters a group). A missing n is taken as 1, the widest factor.
    """
    from scipy.stats import t as student_t  # here: a bad policy is refused without importing scipy

    df = np.maximum(np.nan_to_num(n, nan=1) - 1, 1)
    scale = student_t.ppf((1 + level ** (1 / len(found))) / 2, df) / student_t.ppf((1 + level) / 2, df)
    return [(g, v, v - (v - lo) * s, v + (hi - v) * s) for (g, v, lo, hi), s in zip(found, scale)]


def check(policy: Policy, metrics: pd.DataFrame) -> pd.DataFrame:
    """Evaluate every rule on every run, model and setting in ``metrics`` (the common metrics table).

    Returns one row per (rule, run, model, setting, metric) that has the metric: the verdict (pass, fail,
    inconclusive, missing when the statistic has no value, or degenerate when a fired check, named in ``check``,
    says the metric carries no information for that run and model: no verdict is given on it, and ``would_be``
    keeps the verdict its numbers alone would give, so that a gate never passes what it failed before), the deciding group, its value and interval (for an
    ``each`` rule, the interval widened to hold for all groups together), and the bound. A rule whose metric no run has gives one row with the verdict missing.
    """
    rows = []
    flagged = degenerate(metrics)
    flagged = dict(zip(map(tuple, flagged[["run", "model", "setting", "metric"]].to_numpy()), flagged["check"]))
    for rule in policy.rules:
        part = select(metrics, rule.where)
        names = fnmatch.filter(part["metric"].unique().tolist(), rule.metric)
        base = {"rule": rule.name, "statistic": rule.statistic, "bound": rule.bound(), "line": rule.line}
        matched = part[part["metric"].isin(names)]
        if matched.empty:  # no run has it: the rule checked nothing, which a gate should not take for a pass
            rows.append({**base, "run": "", "model": "", "setting": "", "metric": rule.metric, "group": "",
                         "value": np.nan, "ci_low": np.nan, "ci_high": np.nan, "verdict": "missing", "check": "",
                         "would_be": "missing"})
        for (run, model, setting, metric), subject in matched.groupby(
                ["run", "model", "setting", "metric"], sort=False, dropna=False):
            found = [(g, v, lo, hi, rule.verdict(v, lo, hi)) for g, v, lo, hi in _statistic(rule, subject)]
            if not found:
                found = [("", np.nan, np.nan, np.nan, "missing")]
            # the deciding group: the worst verdict, then the value closest to (or furthest past) the line
            line = rule.at_least if rule.at_least is not None else rule.at_most
            sign = 1 if rule.at_least is not None else -1
            group, value, low, high, verdict = min(found, key=lambda f: (_ORDER[f[4]], sign * (f[1] - line) if np.isfinite(f[1]) else 0))
            check_name = flagged.get((run, model, setting, metric), "")
            rows.append({**base, "run": run, "model": model, "setting": setting, "metric": metric, "group": group,
                         "value": value, "ci_low": low, "ci_high": high,
                         "verdict": "degenerate" if check_name else verdict, "check": check_name,
                         "would_be": verdict})
    return pd.DataFrame(rows, columns=["rule", "run", "model", "setting", "metric", "statistic", "group", "value",
                                       "ci_low", "ci_high", "bound", "verdict", "check", "would_be", "line"])
