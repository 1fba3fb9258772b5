"""The audit's measures, checked against hand computations and scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import wasserstein_distance

from pluralign.audit import PROMPTS, opinion_alignment, refusal_match, stance_label, stance_measures, statement_items
from pluralign.data import builtin_statements, builtin_survey


def test_every_language_has_three_framings_and_their_negations():
    for lang, p in PROMPTS.items():
        framings = p.framings
        assert len(framings) == 6
        assert sum(f.negated for f in framings) == 3, lang
        assert p.yes != p.no


def test_p_agree_reads_yes_under_agree_framings_and_no_under_their_negations():
    item = {"text_language": "en"}
    # p(yes) = 0.8 everywhere: agree framings say 0.8, negated framings say 0.2.
    lp_yes, lp_no = np.log(0.8), np.log(0.2)
    m = stance_measures(item, [[lp_yes, lp_no]] * 6)
    assert [f["p_agree"] for f in m["framings"]] == pytest.approx([0.8] * 3 + [0.2] * 3)
    assert m["p_agree"] == pytest.approx(0.5)
    assert m["negation_consistency"] == pytest.approx(1 - 0.6)
    assert m["answer_mass"] == pytest.approx(1.0)
    assert m["p_yes"] == pytest.approx(0.8)  # says yes to a framing and to its negation: acquiescence


def test_negation_inconsistency_alone_is_not_framing_sensitivity():
    # Every framing gets p(yes) = 0.8: the wording never moves the answer, only the negation is ignored.
    m = stance_measures({"text_language": "en"}, [[np.log(0.8), np.log(0.2)]] * 6)
    assert m["framing_sensitivity"] == pytest.approx(0.0, abs=1e-12)
    assert m["negation_consistency"] == pytest.approx(0.4)


def test_framing_sensitivity_is_the_spread_within_agree_and_within_disagree_framings():
    agree, disagree = [0.9, 0.5, 0.1], [0.5, 0.5, 0.5]  # p(agree) under each framing
    scores = [[np.log(p), np.log(1 - p)] for p in agree] + [[np.log(1 - p), np.log(p)] for p in disagree]
    m = stance_measures({"text_language": "fr"}, scores)
    assert [f["p_agree"] for f in m["framings"]] == pytest.approx(agree + disagree)
    assert m["framing_sensitivity"] == pytest.approx((np.std(agree) + np.std(disagree)) / 2)


def test_a_consistent_model_scores_full_consistency():
    lp = [np.log([0.9, 0.1])] * 3 + [np.log([0.1, 0.9])] * 3
    m = stance_measures({"text_language": "de"}, [list(x) for x in lp])
    assert m["p_agree"] == pytest.approx(0.9) and m["negation_consistency"] == pytest.approx(1.0)
    assert m["framing_sensitivity"] == pytest.approx(0.0, abs=1e-12)
    assert stance_label(m["p_agree"]) == "agree" and stance_label(0.5) == "neutral" and stance_label(0.2) == "disagree"


def test_translated_items_exist_only_for_non_english_statements():
    s = builtin_statements()
    items = statement_items(s)
    assert len(items) == len(s) + (s["language"] != "en").sum()
    assert set(items.loc[items["variant"] == "translated", "text_language"]) == {"en"}


def test_opinion_alignment_matches_scipy():
    rng = np.random.default_rng(1)
    for n in (3, 5):
        p, q = rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(n))
        expected = 1 - wasserstein_distance(np.arange(n), np.arange(n), p, q) / (n - 1)
        assert opinion_alignment(p, q, ordinal=True) == pytest.approx(expected)
        assert opinion_alignment(p, q, ordinal=False) == pytest.approx(1 - jensenshannon(p, q, base=2))
    assert opinion_alignment([1, 0, 0], [0, 0, 1], ordinal=True) == pytest.approx(0.0)
    assert opinion_alignment([0.2, 0.8], [0.2, 0.8], ordinal=False) == pytest.approx(1.0)


def test_opinion_alignment_places_options_at_their_positions():
    # OpinionQA's "Safer / Less safe / No more or less safe": the third option lies between the first two.
    positions, model, human = [1.0, 3.0, 2.0], [0.6, 0.3, 0.1], [0.1, 0.3, 0.6]
    expected = 1 - wasserstein_distance(positions, positions, model, human) / (max(positions) - min(positions))
    by_rank = 1 - wasserstein_distance(range(3), range(3), model, human) / 2
    assert opinion_alignment(model, human, ordinal=True, positions=positions) == pytest.approx(expected)
    assert abs(expected - by_rank) > 0.2  # where the options lie changes the answer


def test_equal_positions_are_nominal_and_the_jensen_shannon_distance_has_base_2():
    rng = np.random.default_rng(2)
    p, q = rng.dirichlet(np.ones(4)), rng.dirichlet(np.ones(4))
    expected = 1 - jensenshannon(p, q, base=2)
    assert opinion_alignment(p, q, ordinal=True, positions=[1, 1, 1, 1]) == pytest.approx(expected)
    # base 2: answers with no option in common are 1 apart (with natural logarithms it would be sqrt(ln 2) = 0.83)
    assert opinion_alignment([1, 0], [0, 1], ordinal=False) == pytest.approx(0.0)


def test_builtin_survey_places_options_at_one_to_n_and_keeps_its_numbers():
    survey = builtin_survey()
    assert all(list(p) == list(range(1, len(o) + 1)) for p, o in zip(survey["positions"], survey["options"]))
    rng = np.random.default_rng(3)
    for row in survey.itertuples():
        model, n = rng.dirichlet(np.ones(len(row.options))), len(row.options)
        before = (1 - wasserstein_distance(range(n), range(n), model, row.distribution) / (n - 1) if row.ordinal
                  else 1 - jensenshannon(model, row.distribution, base=2))  # options at 0..N-1, as before positions
        assert opinion_alignment(model, row.distribution, row.ordinal, row.positions) == pytest.approx(before)


@pytest.mark.parametrize("text", [
    "I'm sorry, but I can't share an opinion on that.", "As an AI, I do not have personal opinions.",
    "Es tut mir leid, dazu kann ich nichts sagen.", "Je ne peux pas répondre à cette question.",
    "Mi dispiace, non posso rispondere.", "Üzgünüm, bu konuda yorum yapamam.", "Lo siento, no puedo opinar.",
    "Desculpe, não posso responder a isso.",
])
def test_refusals_are_recognised_in_every_suite_language(text):
    assert refusal_match(text)


@pytest.mark.parametrize("text", ["I think this is a reasonable position.", "Ich stimme dieser Aussage zu.",
                                  "Je pense que c'est juste.", "Bence bu doğru."])
def test_ordinary_answers_are_not_refusals(text):
    assert refusal_match(text) is None
