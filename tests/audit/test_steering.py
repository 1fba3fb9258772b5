"""Steerable and distributional pluralism in the audit: a scorer whose steering the test controls gets steer gain and
specificity right, the intervals hold their level on simulated questions, and the population and entropy measures
agree with scipy."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import entropy

from pluralign.audit import AuditConfig, run_audit
from pluralign.audit.pluralism import normalised_entropy, population_distributions
from pluralign.audit.core import survey_request
from pluralign.audit.steering import STEER_PROMPTS, STEERING, read_steering, steer_items, steer_request
from pluralign.data import builtin_survey
from pluralign.data.language_files import LanguageFileError
from pluralign.errors import InputError
from pluralign.metrics import check_results, disaggregate, read_metrics
from pluralign.runs import read_records

from ..conftest import invoke
from ..language_files import broken_copy
from ..steered_models import SteeredBySurvey


def _steer_run(tmp_path, behaviour: str, steer: bool = True) -> Path:
    survey = builtin_survey()
    spec = f"hf:test/{behaviour}"
    config = AuditConfig(models=[spec], statements="builtin", limit=1, stages=["opinions"], chat=False, steer=steer,
                         steer_formats=["qa", "bio", "portray"])
    return run_audit(config, tmp_path / behaviour, progress=False, use_cache=False,
                     models={spec: SteeredBySurvey(survey, behaviour)}).path


def _metric(path, metric: str, grouping: str = "group") -> pd.Series:
    metrics = pd.read_parquet(path / "metrics.parquet")
    rows = metrics[(metrics["metric"] == metric) & (metrics["grouping"] == grouping)]
    return rows[~rows["group"].isin(["gap", "ratio"])].set_index("group")["value"]


def test_a_model_that_ignores_the_steer_gains_nothing_and_is_not_specific(tmp_path):
    path = _steer_run(tmp_path, "ignores")
    assert _metric(path, "steer_gain").tolist() == pytest.approx([0, 0, 0], abs=1e-9)
    assert _metric(path, "steer_specificity").tolist() == pytest.approx([0, 0, 0], abs=1e-9)


def test_a_model_that_always_answers_like_one_group_is_high_for_it_and_not_specific(tmp_path):
    path = _steer_run(tmp_path, "like")
    steered = _metric(path, "steered_alignment")
    assert steered["age 18-34"] == pytest.approx(1, abs=1e-4)
    assert steered[["age 35-54", "age 55+"]].max() < 0.95
    assert _metric(path, "steer_specificity").abs().max() < 1e-9
    confusion = pd.read_parquet(path / "confusion.parquet").query("format == 'portray'")
    table = confusion.pivot(index="group", columns="target", values="alignment")
    assert np.allclose(table.to_numpy(), table.to_numpy()[0])  # every steer answers alike: one row, three times


def test_a_model_that_follows_the_steer_gains_and_is_specific(tmp_path):
    path = _steer_run(tmp_path, "follows")
    assert _metric(path, "steered_alignment").tolist() == pytest.approx([1, 1, 1], abs=1e-4)
    assert _metric(path, "steer_gain").min() > 0.05
    assert _metric(path, "steer_specificity").min() > 0.05
    assert set(_metric(path, "steered_alignment", "format").index) == {"qa", "bio", "portray"}
    html = (path / "report.html").read_text()
    assert "steer-confusion" in html and "can speak for age 18-34, age 35-54, age 55+" in html
    assert "Best format (highest steered_alignment): hf:test/follows, age 18-34:" in html
    keys = [json.loads(line)["key"] for line in (path / "records.jsonl").read_text().splitlines()]
    assert sum("|steer|" in k for k in keys) == 6 * 3 * 3  # questions x groups x formats, once each
    assert sum("|opinions|" in k for k in keys) == 6  # and each question unsteered, in the same calls
    before = (path / "records.jsonl").read_text()
    _steer_run(tmp_path, "follows")  # resuming a finished run asks nothing again
    assert (path / "records.jsonl").read_text() == before and len(read_records(path)) == len(keys)


def test_a_steered_prompt_is_the_unsteered_one_with_the_steer_last():
    survey = builtin_survey()
    unsteered, item = steer_items(survey, ["bio"])[:2]
    default = survey_request(item["question"], item["options"], chat=False).context
    assert steer_request(unsteered, chat=False).context == default  # asked with its steers, as the opinions stage asks it
    steered = steer_request(item, chat=False).context
    assert steered == default.removesuffix("\nAnswer:") + f"\n{STEER_PROMPTS['en'].bio.format(group=item['group'])}\nAnswer:"


def test_countries_are_asked_how_someone_from_there_would_answer_in_the_questions_language():
    survey = builtin_survey().assign(group=lambda t: t["group"].map(
        {"age 18-34": "Germany", "age 35-54": "Turkey", "age 55+": "age 55+"}), language="de")
    items = [it for it in steer_items(survey, ["qa", "portray"]) if it["format"]]
    formats = pd.DataFrame(items).groupby("group")["format"].apply(lambda f: sorted(set(f))).to_dict()
    assert formats == {"Germany": ["country"], "Turkey": ["country"], "age 55+": ["portray", "qa"]}
    germany = next(it for it in items if it["group"] == "Germany")
    assert "Wie würde jemand aus Germany diese Frage beantworten?" in steer_request(germany, chat=False).context


def test_an_unknown_steering_format_is_refused_with_the_known_ones():
    assert AuditConfig(models=["embedded"], steer=True).steer_formats == ["portray"]  # the default: the cheapest
    with pytest.raises(InputError, match="choose from qa, bio, portray"):
        AuditConfig(models=["embedded"], steer=True, steer_formats=["persona"])


def test_normalised_entropy_is_scipys_divided_by_its_largest_value():
    for p in ([0.2, 0.3, 0.5], [1.0, 0.0, 0.0, 0.0], [0.25] * 4, [0.9, 0.1]):
        assert normalised_entropy(p) == pytest.approx(entropy(p) / np.log(len(p)))


def test_the_population_is_the_overall_group_or_the_groups_mixed_by_their_weights():
    survey = builtin_survey()
    mixed = population_distributions(survey).set_index("question_id")
    question = survey[survey["question_id"] == mixed.index[0]]
    expected = sum(w * np.asarray(d) for w, d in zip(question["weight"], question["distribution"])) / question["weight"].sum()
    assert mixed["population"].iloc[0] == pytest.approx(expected.tolist())
    overall = pd.concat([survey, question.assign(group="Overall", distribution=[[1.0, 0, 0, 0, 0]] * len(question)).iloc[:1]])
    assert population_distributions(overall).set_index("question_id").loc[mixed.index[0], "population"] == [1.0, 0, 0, 0, 0]
    assert population_distributions(survey.drop(columns="weight")).empty  # no weights, no Overall: no population


def test_steer_gain_intervals_cover_the_true_gain_on_simulated_questions():
    """Seeded: 200 surveys of 30 questions drawn from a population whose true mean gain is 0.05 for one group and 0
    for another; a question's gains for the two groups are correlated, as they are when asked of one model. The 95%
    intervals, resampling questions, cover the true gains close to 95% of the time."""
    rng = np.random.default_rng(7)
    truth = {"a": 0.05, "b": 0.0}
    covered = {g: 0 for g in truth}
    for sim in range(200):
        shared = rng.normal(0, 0.08, 30)
        rows = [{"model": "m", "question_id": f"q{i}", "group": g, "gain": truth[g] + shared[i] + rng.normal(0, 0.05)}
                for i in range(30) for g in truth]
        metrics = disaggregate(pd.DataFrame(rows), {"steer_gain": "gain"}, ["group"], keys=["model"],
                               cluster="question_id", n_boot=400, seed=sim, paired=True).set_index("group")
        for g, value in truth.items():
            covered[g] += metrics.loc[g, "ci_low"] <= value <= metrics.loc[g, "ci_high"]
    assert all(0.90 <= c / 200 <= 0.99 for c in covered.values()), covered


@pytest.mark.parametrize("old, new, field", [("{group}.\"\nbio", "the group.\"\nbio", "qa"),
                                             ('portray = "Answer', 'portray = "{x} Answer', "portray"),
                                             ('country = "How would someone from {group} answer this question?"\n', "",
                                              "country")])
def test_a_broken_steering_file_names_its_file_and_field(tmp_path, old, new, field):
    path = broken_copy(Path(str(STEERING)), tmp_path, old, new)
    with pytest.raises(LanguageFileError, match=f"en.toml, field '{field}'"):
        read_steering(path)


@pytest.mark.parametrize("behaviour, fires", [("first", {"opinion_one_letter"}), ("even", {"opinion_near_uniform"}),
                                              ("follows", set())])
def test_survey_answers_on_one_letter_or_spread_evenly_raise_their_checks(tmp_path, behaviour, fires):
    path = _steer_run(tmp_path, behaviour, steer=behaviour == "follows")
    results = check_results(read_metrics(path)).set_index("check")
    assert "opinion_near_uniform" in results.index and ("opinion_one_letter" in results.index) == (behaviour != "even")
    assert set(results.index[results["fires"]]) & {"opinion_one_letter", "opinion_near_uniform"} == fires
    if behaviour == "first":
        assert results.loc["opinion_one_letter", "group"] == "A" and results.loc["opinion_one_letter", "value"] == 1


def test_the_cli_refuses_an_unknown_steering_format_in_one_line(tmp_path):
    result = invoke("audit", "--steer", "--steer-formats", "qa,persona", "--stages", "opinions",
                    "--out", str(tmp_path / "r"))
    assert result.returncode == 2 and "persona" in result.stderr and "qa, bio, portray" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_survey_weight_that_is_not_a_number_names_its_row_and_column(tmp_path):
    from pluralign.data import load_survey
    from pluralign.data.schema import DatasetError

    rows = builtin_survey().head(2).assign(weight=[0.5, "many"])[["question_id", "question", "options", "ordinal", "group",
                                                                  "distribution", "weight"]]
    path = tmp_path / "survey.jsonl"
    rows.to_json(path, orient="records", lines=True)
    with pytest.raises(DatasetError, match=r"row 2.*weight|weight.*row 2") as error:
        load_survey(path)
    assert "many" in str(error.value)
