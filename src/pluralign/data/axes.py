"""The two Inglehart–Welzel value axes, defined once for the sampler's prompts, the value judge, the metrics
registry and the simulator: each axis runs from its first pole (position −1) to its second (+1)."""

from __future__ import annotations

AXES: dict[str, tuple[str, str]] = {
    "traditional_secular": (
        "Traditional values: religion, family ties, national pride, respect for authority and established customs",
        "Secular-rational values: reason, science and individual choice ahead of religion, custom and authority"),
    "survival_self_expression": (
        "Survival values: economic and physical security, caution, conformity, trust kept within one's own group",
        "Self-expression values: tolerance of others, personal freedom, participation, environment and quality of life"),
}
# Each pole: its axis and the sign of a position at that pole (positions run from the first pole, −1, to the second, +1).
POLES: dict[str, tuple[str, int]] = {
    "traditional": ("traditional_secular", -1), "secular_rational": ("traditional_secular", 1),
    "survival": ("survival_self_expression", -1), "self_expression": ("survival_self_expression", 1),
}
# How metrics and reports name each axis.
AXIS_LABELS: dict[str, str] = {"traditional_secular": "traditional ↔ secular-rational",
                               "survival_self_expression": "survival ↔ self-expression"}
