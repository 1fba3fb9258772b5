"""PRISM's release shapes (conversations, utterances, survey), written small for the tests, into comparisons."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pluralign.data import DatasetError, left_out, load_prism, load_prism_survey
from pluralign.data.choices import with_rankings
from pluralign.data.prism import AFTER_TIE, CHOICE_BELOW_TOP_SCORE, TIE
from pluralign.learn import BradleyTerry, Choices
from pluralign.learn.job import LearnConfig, run_learn

TRADITIONAL = ["Keep the customs of your family.", "Respect your elders and their ways.",
               "Follow the faith you were raised in.", "Honour the traditions of your country."]
LIBERAL = ["Choose your own path in life.", "Question authority and think for yourself.",
           "Live as you want, not as others expect.", "Personal freedom matters most."]


def _conversation(cid: str, user: str, traditional: bool, k: int) -> dict:
    """Two turns: four responses to the opening prompt, then two to a follow-up, the person's side chosen."""
    history = [{"turn": 0, "role": "user", "content": "How should I live?", "within_turn_id": None}]
    for turn, responses in ((0, [TRADITIONAL[k % 4], LIBERAL[k % 4], TRADITIONAL[(k + 1) % 4], LIBERAL[(k + 2) % 4]]),
                            (1, [LIBERAL[(k + 3) % 4], TRADITIONAL[(k + 2) % 4]])):
        if turn == 1:
            history.append({"turn": 1, "role": "user", "content": "Say more.", "within_turn_id": None})
        side = TRADITIONAL if traditional else LIBERAL
        best = min((t for t in responses if t in side), key=side.index)  # each camp ranks its own side's answers
        for w, text in enumerate(responses):
            chosen = text == best
            history.append({"turn": turn, "role": "model", "content": text, "within_turn_id": w,
                            "model_name": f"model-{w}", "model_provider": "x", "score": 80 if chosen else 30,
                            "if_chosen": chosen})
    return {"conversation_id": cid, "user_id": user, "conversation_type": "values guided",
            "opening_prompt": "How should I live?", "conversation_turns": 2, "conversation_history": history,
            "open_feedback": "Good answers." if k == 0 else ""}


def _release(folder, people: int = 4, conversations: int = 2):
    folder.mkdir(exist_ok=True)
    rows = [_conversation(f"c{p}-{k}", f"user{p}", p % 2 == 0, k) for p in range(people) for k in range(conversations)]
    (folder / "conversations.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    survey = [{"user_id": f"user{p}", "age": "25-34 years old", "gender": "Female" if p % 2 else "Male",
               "location": {"birth_country": "Chile", "reside_country": "Chile", "reside_region": "Latin America"},
               "order_lm_usecases": ["a", "b"], "religion": {"simplified": "No religion"}} for p in range(people)]
    (folder / "survey.jsonl").write_text("".join(json.dumps(r) + "\n" for r in survey))
    utterances = [{"utterance_id": f"{r['conversation_id']}-{e['turn']}-{e['within_turn_id']}", "conversation_id": r["conversation_id"],
                   "user_id": r["user_id"], "turn": e["turn"], "within_turn_id": e["within_turn_id"],
                   "user_prompt": "How should I live?" if e["turn"] == 0 else "Say more.", "model_response": e["content"],
                   "model_name": e["model_name"], "score": e["score"], "if_chosen": e["if_chosen"]}
                  for r in rows for e in r["conversation_history"] if e["role"] == "model"]
    (folder / "utterances.jsonl").write_text("".join(json.dumps(u) + "\n" for u in utterances))
    return folder


def test_conversations_become_one_comparison_per_turn_continuing_from_the_choice(tmp_path):
    comparisons, annotators = load_prism(_release(tmp_path / "prism"))
    assert len(comparisons) == 4 * 2 * 2
    first = comparisons.iloc[0]
    assert (first.comparison_id, first.turn, first.annotator_id, len(first.candidates)) == ("c0-0-1", 1, "user0", 4)
    assert first.candidates[first.chosen] == TRADITIONAL[0] and pd.isna(first.feedback) and first.language == "en"
    second = comparisons.iloc[1]
    assert len(second.candidates) == 2 and second.feedback == "Good answers."
    assert second.context == [{"role": "user", "content": "How should I live?"},
                              {"role": "assistant", "content": TRADITIONAL[0]},
                              {"role": "user", "content": "Say more."}]
    assert set(annotators.columns) >= {"annotator_id", "gender", "location_reside_region", "religion_simplified"}
    assert "order_lm_usecases" not in annotators.columns  # list answers are left out


def test_utterances_give_the_same_comparisons_as_conversations(tmp_path):
    folder = _release(tmp_path / "prism")
    from_conversations, _ = load_prism(folder / "conversations.jsonl")
    from_utterances, _ = load_prism(folder / "utterances.jsonl")
    columns = ["comparison_id", "turn", "annotator_id", "context", "candidates", "chosen"]
    assert from_utterances[columns].to_dict("records") == from_conversations[columns].to_dict("records")


def _edit_turn(folder, row: int, turn: int, key: str, values: list) -> None:
    """Set ``key`` of each response of one turn of one conversation (row of conversations.jsonl) to ``values``."""
    rows = [json.loads(line) for line in (folder / "conversations.jsonl").read_text().splitlines()]
    responses = [e for e in rows[row]["conversation_history"] if e["role"] == "model" and e["turn"] == turn]
    for entry, value in zip(responses, values, strict=True):
        entry[key] = value
    (folder / "conversations.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def _mark_chosen(folder, row: int, turn: int, chosen: bool) -> None:
    """Set every response of one turn of one conversation as chosen (a tie) or as not chosen."""
    _edit_turn(folder, row, turn, "if_chosen", [chosen] * (4 if turn == 0 else 2))


@pytest.mark.parametrize("turn, left", [(1, {TIE: 1}), (0, {TIE: 1, AFTER_TIE: 1})])
def test_a_tie_leaves_out_its_turn_and_the_turns_after_it_and_counts_them(tmp_path, turn, left):
    folder = _release(tmp_path / "prism")
    _mark_chosen(folder, 2, turn, True)
    comparisons, _ = load_prism(folder)
    assert len(comparisons) == 4 * 2 * 2 - sum(left.values()) and left_out(comparisons) == left
    assert not comparisons["comparison_id"].isin([f"c1-0-{t + 1}" for t in range(turn, 2)]).any()


def test_scores_rank_each_turn_best_first_with_equal_scores_tied(tmp_path):
    """Conversation c1-0 (row 3) chose response 1 of four in turn 0; the chosen one scores 80 and the rest 30."""
    folder = _release(tmp_path / "prism")
    comparisons = load_prism(folder)[0].set_index("comparison_id")
    assert comparisons.loc["c1-0-1", "ranking"] == [[1], [0, 2, 3]] and comparisons.loc["c1-0-2", "ranking"] == [[0], [1]]
    _edit_turn(folder, 2, 0, "score", [70, 90, 70, 20])
    assert load_prism(folder)[0].set_index("comparison_id").loc["c1-0-1", "ranking"] == [[1], [0, 2], [3]]
    _edit_turn(folder, 2, 0, "score", [50, 90, 90.0, 20])  # the top score tied: the codebook's random pick is chosen
    comparisons = load_prism(folder)[0].set_index("comparison_id")
    assert comparisons.loc["c1-0-1", ["chosen", "ranking"]].tolist() == [1, [[1, 2], [0], [3]]]


def test_a_choice_below_the_top_score_is_kept_without_the_ranking_and_counted(tmp_path):
    folder = _release(tmp_path / "prism")
    _edit_turn(folder, 2, 0, "score", [95, 90, 70, 20])
    comparisons, _ = load_prism(folder)
    assert len(comparisons) == 16 and left_out(comparisons) == {CHOICE_BELOW_TOP_SCORE: 1}
    assert comparisons.set_index("comparison_id").loc["c1-0-1", "ranking"] is None


def test_a_tie_of_one_text_leaves_out_its_turn_and_goes_on_from_that_text(tmp_path):
    """PRISM's code marks a later turn's responses chosen by their text: two identical responses are both chosen."""
    folder = _release(tmp_path / "prism")
    _edit_turn(folder, 2, 0, "content", [LIBERAL[0]] * 4)
    _mark_chosen(folder, 2, 0, True)
    comparisons = load_prism(folder)[0].set_index("comparison_id")
    assert len(comparisons) == 15 and left_out(comparisons) == {TIE: 1} and "c1-0-1" not in comparisons.index
    assert comparisons.loc["c1-0-2", "context"][1] == {"role": "assistant", "content": LIBERAL[0]}


def test_bad_prism_data_names_row_and_column(tmp_path):
    folder = _release(tmp_path / "prism")
    _edit_turn(folder, 2, 1, "score", [80, "high"])
    with pytest.raises(DatasetError, match=r"row 3, column 'score': score must be a number from 1 to 100, got 'high'"):
        load_prism(folder)
    _mark_chosen(folder, 2, 1, False)
    with pytest.raises(DatasetError, match=r"row 3, column 'if_chosen': turn 1 of conversation 'c1-0' has no chosen"):
        load_prism(folder)
    survey = tmp_path / "survey.jsonl"
    survey.write_text(json.dumps({"user_id": "user0"}) + "\n")
    with pytest.raises(DatasetError, match="annotator 'user1' is not in the annotator table"):
        load_prism(folder / "utterances.jsonl", survey)
    survey.write_text(json.dumps({"id": "user0"}) + "\n")
    with pytest.raises(DatasetError, match="column 'user_id': missing PRISM survey column"):
        load_prism_survey(survey)


def test_learn_from_prism_finds_the_two_camps(tmp_path):
    """The learn job on a PRISM release folder (run in this process: what it writes is checked, not the command)."""
    folder = _release(tmp_path / "prism", people=24, conversations=4)
    run_learn(LearnConfig(data=f"prism:{folder}", estimator="mixture", k=2, group="gender"), tmp_path / "run",
              progress=False)
    metrics = pd.read_parquet(tmp_path / "run" / "metrics.parquet")
    held = metrics[(metrics.split == "unseen conversations") & (metrics.metric == "accuracy") & (metrics.group == "all")]
    accuracy = held.set_index("model")["value"]
    # one reward serves one camp (0.76 here, trained on the scores' rankings as well: chosen 80, the rest tied at 30)
    assert accuracy["MixtureBradleyTerry"] > 0.9 and accuracy["MixtureBradleyTerry"] - accuracy["BradleyTerry (one reward)"] > 0.2
    assert set(metrics[metrics.grouping == "group"]["group"]) >= {"Female", "Male"}  # --group gender, from the survey


def _scored_utterances(path, truth: np.ndarray, turns: int, rng: np.random.Generator) -> list[str]:
    """utterances.jsonl of one-turn conversations, each showing four of the answers; a person's slider lands at
    50 + 10 (reward + Gumbel noise), rounded to 5 so that some scores tie, and the top-scored answer is chosen."""
    texts = [f"Answer {i}." for i in range(len(truth))]
    rows = []
    for c in range(turns):
        shown = rng.choice(len(truth), 4, replace=False)
        scores = np.clip(5 * np.round((50 + 10 * (truth[shown] + rng.gumbel(size=4))) / 5), 1, 100)
        rows += [{"conversation_id": f"c{c}", "user_id": f"user{c % 10}", "turn": 0, "within_turn_id": w,
                  "user_prompt": "Which is best?", "model_response": texts[i], "score": float(s),
                  "if_chosen": w == int(np.argmax(scores))} for w, (i, s) in enumerate(zip(shown, scores))]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return texts


def test_the_scores_ranking_recovers_a_known_reward_closer_than_the_choices_alone(tmp_path):
    """Six answers with a known reward: one-hot features learned from the ranking PRISM's scores state (ties
    included) land nearer the truth than from the chosen answers alone, whose losers are rarely told apart, over
    five simulated releases, and put the six in their true order in each."""
    truth = np.array([2.0, 1.0, 0.5, 0.0, -0.5, -1.0])

    def error(fit: BradleyTerry) -> float:
        return float(np.sum((fit.coef_ - fit.coef_.mean() - truth + truth.mean()) ** 2))

    errors = []
    for seed in range(5):
        path = tmp_path / f"utterances-{seed}.jsonl"
        texts = _scored_utterances(path, truth, 150, np.random.default_rng(seed))
        comparisons, _ = load_prism(path)
        assert comparisons["ranking"].map(lambda places: any(len(p) > 1 for p in places)).mean() > 0.2  # ties
        choices = Choices(np.eye(len(texts)), [[texts.index(t) for t in c] for c in comparisons["candidates"]],
                          comparisons["chosen"].to_numpy(), comparisons["annotator_id"].to_numpy())
        ranked = with_rankings(choices, comparisons["ranking"])
        assert len(ranked) > 2.5 * len(choices)
        first, scored = BradleyTerry(alpha=1e-2).fit(choices), BradleyTerry(alpha=1e-2).fit(ranked)
        assert np.argsort(-scored.coef_).tolist() == list(range(len(truth)))
        errors.append([error(first), error(scored)])
    first, scored = np.array(errors).T
    assert scored.mean() < 0.3 * first.mean()  # 0.11 against 0.71 here
