"""PRISM's release shapes (conversations, utterances, survey), written small for the tests, into comparisons."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pluralign.data import DatasetError, left_out, load_prism, load_prism_survey
from pluralign.data.prism import AFTER_TIE, TIE

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


def _mark_chosen(folder, row: int, turn: int, chosen: bool) -> None:
    """Set every response of one turn of one conversation as chosen (a tie) or as not chosen."""
    rows = [json.loads(line) for line in (folder / "conversations.jsonl").read_text().splitlines()]
    for entry in rows[row]["conversation_history"]:
        if entry["role"] == "model" and entry["turn"] == turn:
            entry["if_chosen"] = chosen
    (folder / "conversations.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


@pytest.mark.parametrize("turn, left", [(1, {TIE: 1}), (0, {TIE: 1, AFTER_TIE: 1})])
def test_a_tie_leaves_out_its_turn_and_the_turns_after_it_and_counts_them(tmp_path, turn, left):
    folder = _release(tmp_path / "prism")
    _mark_chosen(folder, 2, turn, True)
    comparisons, _ = load_prism(folder)
    assert len(comparisons) == 4 * 2 * 2 - sum(left.values()) and left_out(comparisons) == left
    assert not comparisons["comparison_id"].isin([f"c1-0-{t + 1}" for t in range(turn, 2)]).any()


def test_bad_prism_data_names_row_and_column(tmp_path):
    folder = _release(tmp_path / "prism")
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


def test_learn_from_prism_finds_the_two_camps(cli, tmp_path):
    folder = _release(tmp_path / "prism", people=24, conversations=4)
    result = cli("learn", "--data", f"prism:{folder}", "--estimator", "mixture", "--k", "2", "--group", "gender",
                 "--out", str(tmp_path / "run"))
    assert result.returncode == 0, result.stderr
    metrics = pd.read_parquet(tmp_path / "run" / "metrics.parquet")
    held = metrics[(metrics.split == "unseen conversations") & (metrics.metric == "accuracy") & (metrics.group == "all")]
    accuracy = held.set_index("model")["value"]
    assert accuracy["MixtureBradleyTerry"] > 0.9 and accuracy["BradleyTerry (one reward)"] < 0.75
    assert set(metrics[metrics.grouping == "group"]["group"]) >= {"Female", "Male"}  # --group gender, from the survey
