"""The audit's measures, checked against hand computations and scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon
from scipy.stats import wasserstein_distance

from pluralign.audit import PROMPTS, opinion_alignment, refusal_match, stance_label, stance_measures, statement_items
from pluralign.data import builtin_statements


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
    assert m["framing_sensitivity"] == pytest.approx(0.3)
    assert m["negation_consistency"] == pytest.approx(1 - 0.6)
    assert m["answer_mass"] == pytest.approx(1.0)
    assert m["p_yes"] == pytest.approx(0.8)  # says yes to a framing and to its negation: acquiescence


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
