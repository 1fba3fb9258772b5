"""From a Community Alignment file to a fitted model, through the embedded MiniLM."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pluralign.data import load_community_alignment
from pluralign.embed import SentenceEmbedder
from pluralign.learn import BradleyTerry
from pluralign.data.choices import Choices
from pluralign.estimators.features import comparison_choices
from tests.data.test_comparisons import _ca_rows


@pytest.fixture(scope="module")
def embedder():
    return SentenceEmbedder(cache=None)


def _long_table(context: list[dict], candidates: list[list[str]], chosen: list[int]) -> pd.DataFrame:
    ids = [f"c{i}" for i in range(len(chosen))]
    return pd.DataFrame({"comparison_id": ids, "conversation_id": ids, "annotator_id": "p", "context": [context] * len(chosen),
                         "candidates": candidates, "chosen": chosen, "language": "en"})


def test_comparisons_become_choices_over_embedded_candidates(tmp_path, embedder):
    path = tmp_path / "ca.parquet"
    pd.DataFrame(_ca_rows()).to_parquet(path)
    comparisons, annotators = load_community_alignment(path)
    choices = comparison_choices(comparisons, embedder, annotators, group="country")
    assert choices.features.shape == (12, 2 * 384)  # the response, and its interaction with the context
    assert choices.candidates.tolist()[1] == [4, 5, 6, 7]
    assert choices.group.tolist() == ["France", "France", "Brazil"]
    assert choices.language.tolist() == ["fr", "fr", "pt"]
    model = BradleyTerry(alpha=1e-4).fit(choices)
    p = model.predict_proba(choices)
    assert np.allclose(p.sum(1), 1) and model.score(choices) == 1.0  # three choices, 768 free weights: memorised


def test_an_empty_response_is_not_offered_and_the_chosen_one_keeps_its_text(tmp_path, embedder):
    rows = _ca_rows()
    rows[0]["first_turn_response_b"] = ""
    path = tmp_path / "ca.parquet"
    pd.DataFrame(rows).to_parquet(path)
    comparisons, _ = load_community_alignment(path)
    choices = comparison_choices(comparisons, embedder)
    assert choices.mask[0].tolist() == [True, False, True, True]
    picked = choices.features[choices.candidates[0, choices.chosen[0]], :384]
    assert picked @ embedder.embed(["Réponse 1c"])[0] == pytest.approx(1, abs=1e-5)


def test_candidates_after_a_long_conversation_stay_apart(embedder):
    # Context then response, embedded together, cut off at 256 word-pieces: four different answers looked alike.
    history = [{"role": "user", "content": "Tell me about the history of bread. " * 30},
               {"role": "assistant", "content": "Bread has been baked for thousands of years. " * 20},
               {"role": "user", "content": "Is sourdough healthier?"}]
    answers = ["Yes, it is easier to digest.", "No, it is the same.", "It depends on the flour.", "I cannot say."]
    with pytest.warns(UserWarning, match="1 of 5 texts"):
        choices = comparison_choices(_long_table(history, [answers], [0]), embedder)
    rows = choices.features[choices.candidates[0]]
    distances = np.linalg.norm(rows[:, None] - rows[None], axis=-1)[np.triu_indices(4, 1)]
    assert distances.min() > 0.3


def test_the_reward_can_depend_on_the_context(embedder):
    # The same two answers, preferred the other way round in two contexts: a reward of the answers alone gets at
    # most one of the two right; with the interaction a reward can get both.
    answers = ["Just go to bed earlier.", "Sleep is regulated by circadian rhythms and adenosine build-up."]
    table = pd.concat([_long_table([{"role": "user", "content": "Give me one quick tip to sleep better."}], [answers], [0]),
                       _long_table([{"role": "user", "content": "Explain the biology of why we get sleepy."}], [answers], [1])],
                      ignore_index=True).assign(comparison_id=["a", "b"], conversation_id=["a", "b"])
    choices = comparison_choices(table, embedder)
    assert BradleyTerry(alpha=1e-4).fit(choices).score(choices) == 1.0
    alone = Choices(choices.features[:, :384], choices.candidates, choices.chosen, choices.annotator)
    assert BradleyTerry(alpha=1e-4).fit(alone).score(alone) <= 0.5


def test_a_tables_assignment_probabilities_become_design_weights_its_rankings_share(embedder):
    table = _long_table([{"role": "user", "content": "Which is kinder?"}],
                        [["Say it gently.", "Say it bluntly.", "Say nothing."]] * 3, [0, 1, 2])
    table = table.assign(assigned=["warm-up", "active", "random"], probability=[1.0, 0.8, 0.05],
                         ranking=[[0, 1, 2], None, None])
    choices = comparison_choices(table, embedder, weights=True)
    # warm-up weighs 1 alone in its stratum, and its ranking's later choice as it; the rule's rows 1.25 : 20
    np.testing.assert_allclose(choices.weight, [1, 1, 1.25 / 10.625, 20 / 10.625])
    assert choices.stage.tolist() == [0, 1, 0, 0]
    assert comparison_choices(table, embedder).weight is None  # weights=False, as collect's refit lays them out
    assert comparison_choices(table.drop(columns=["probability"]), embedder, weights=True).weight is None
