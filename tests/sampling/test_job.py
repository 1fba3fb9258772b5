"""compare-samplers and sample end to end on the embedded model; the export round-trips through the CA loader."""

import json
from dataclasses import replace

import pandas as pd
import pytest
from playwright.sync_api import sync_playwright

from pluralign.data import builtin_prompts, load_community_alignment
from pluralign.metrics import check_results, degenerate, read_metrics
from pluralign.runs import read_records
from pluralign.sampling import SamplingConfig, run_compare_samplers, run_sample
from tests.golden import assert_golden
from tests.report.test_report_browser import CHROMIUM_ARGS

# Sets of 2, the fewest a set may hold: every measure, learner and check below reads pairs as it reads larger sets,
# and each candidate costs its placing (4 questions) and its share of the generation (benchmarks/RESULTS.md).
CONFIG = SamplingConfig(k=2, max_tokens=32, annotators=30, seed=1)


def prompts_file(prompts: pd.DataFrame, folder) -> str:
    """Chosen prompts as a JSONL file: the source a sampling config names."""
    prompts.to_json(folder / "prompts.jsonl", orient="records", lines=True, force_ascii=False)
    return str(folder / "prompts.jsonl")


@pytest.fixture(scope="module")
def compare_run(tmp_path_factory, fp32_model):
    """compare-samplers on 3 prompts in 3 languages (en-1, de-1, fr-1: 2 to train on, 1 held out; each sampler's
    sets of 2, the value placer's 44 checks, learning and the report), answered afresh: its records are the golden's."""
    out = tmp_path_factory.mktemp("compare") / "run"
    config = replace(CONFIG, prompts=prompts_file(builtin_prompts().iloc[[0, 4, 8]], out.parent))

    def run():
        return run_compare_samplers(config, out, progress=False, use_cache=False, models={"embedded": fp32_model}).path

    run.path = run()
    return run


def test_compare_samplers_reports_every_measure_per_sampler(compare_run):
    metrics = pd.read_parquet(compare_run.path / "metrics.parquet")
    overall = metrics[metrics["grouping"] == "overall"]
    for sampler in CONFIG.samplers:
        mine = overall[overall["sampler"] == sampler]
        assert {"covers_traditional", "covers_secular_rational", "covers_survival", "covers_self_expression",
                "covers_traditional_secular", "covers_both", "pairwise_distance", "vendi", "distinct_2",
                "spread_traditional_secular", "accuracy", "log_loss", "oracle_accuracy"} <= set(mine["metric"])
        acc = mine[mine["metric"] == "accuracy"]
        assert set(acc["estimator"]) == {"bradley-terry", "ideal-point", "ideal-point, adapted"}
        assert acc["value"].between(0, 1).all() and (acc["ci_low"] <= acc["value"]).all()
        ceiling = mine[mine["metric"] == "oracle_accuracy"].set_index("split")
        assert set(ceiling.index) == set(acc["split"]) and ceiling["value"].between(0, 1).all()
        # The ceiling is scored on the same held-out comparisons as the learners.
        assert (ceiling["n"] == acc[acc["estimator"] == "bradley-terry"].set_index("split")["n"]).all()
    candidates = pd.read_parquet(compare_run.path / "candidates.parquet")
    assert candidates.groupby("set_id").size().eq(CONFIG.k).all() and candidates["set_id"].nunique() == 2 * 3
    assert set(candidates.groupby("sampler")["nc_prompt"].first().fillna("none")) == {"none", "values"}
    assert json.loads((compare_run.path / "manifest.json").read_text())["config"]["nc_prompt"] == "values"
    assert candidates[["traditional_secular", "survival_self_expression"]].abs().le(1).all().all()
    assert len(pd.read_parquet(compare_run.path / "defaults.parquet")) == 3
    assert pd.read_parquet(compare_run.path / "judge_accuracy.parquet").set_index("axis").loc["all", "n"] == 44
    # The default margin is above every lean of the near-chance embedded judge on responses written at one pole.
    checks = pd.DataFrame([r for r in read_records(compare_run.path) if r["stage"] == "judge-check"])
    assert len(checks) == 44 and checks[["traditional_secular", "survival_self_expression"]].abs().max().max() < CONFIG.margin
    people = pd.read_parquet(compare_run.path / "people.parquet")
    assert len(people) == 2 * 30
    versus = pd.read_parquet(compare_run.path / "humans_vs_models.parquet")
    assert versus["quadrant_match"].between(0, 1).all()


def test_rerunning_adds_nothing(compare_run):
    before = (compare_run.path / "records.jsonl").read_text()
    compare_run()
    assert (compare_run.path / "records.jsonl").read_text() == before


def test_compare_report_in_chromium(compare_run):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page()
        errors = []
        page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
        page.goto((compare_run.path / "report.html").as_uri())
        assert errors == []
        shown = set(page.eval_on_selector_all("figure[data-figure]", "els => els.map(e => e.dataset.figure)"))
        assert shown == {"coverage", "diversity", "vendi", "learned", "humans-models"}
        assert page.locator("h2#judge + p + table tr").count() > 5
        # the embedded value judge is near chance: the report says first that coverage carries no information
        assert page.locator("section#warnings tr[data-check='value_judge_near_chance']").is_visible()
        browser.close()


def test_a_value_judge_near_chance_flags_every_samplers_coverage_and_learning(compare_run):
    metrics = read_metrics(compare_run.path)
    judge = pd.read_parquet(compare_run.path / "judge_accuracy.parquet").set_index("axis").loc["all"]
    check = check_results(metrics).set_index("check").loc["value_judge_near_chance"]
    assert check["value"] == judge["accuracy"] and check["setting"] == ""
    assert check["value"] < 0.75 and check["fires"]  # the embedded model, as a value judge, is near chance
    flagged = degenerate(metrics)
    for sampler in CONFIG.samplers:
        mine = flagged[flagged["setting"].str.contains(f"sampler={sampler}")]
        assert {"covers_both", "accuracy", "oracle_accuracy"} <= set(mine["metric"])


def test_sample_exports_annotation_tasks_that_the_ca_loader_reads_once_chosen(tmp_path, hf_model):
    prompts = builtin_prompts().iloc[[0, 4]].reset_index(drop=True)
    prompts.at[1, "context"] = [{"role": "user", "content": "Hallo"}, {"role": "assistant", "content": "Hallo!"}]
    config = SamplingConfig(prompts=prompts_file(prompts, tmp_path), samplers=["independent"], k=3, max_tokens=8)
    path = run_sample(config, tmp_path / "sets", progress=False, use_cache=False, models={"embedded": hf_model}).path
    tasks = pd.read_csv(path / "tasks.csv")
    assert list(tasks["conversation_id"]) == ["independent:en-1", "independent:de-1"]
    assert tasks[["first_turn_response_a", "first_turn_response_b", "first_turn_response_c"]].notna().all().all()
    assert tasks["first_turn_preferred_response"].isna().all()
    assert json.loads(tasks.loc[1, "context"])[0] == {"role": "user", "content": "Hallo"}
    # People fill in who they are and what they chose; the file is then Community Alignment data.
    tasks = tasks.assign(annotator_id=["p1", "p2"], first_turn_preferred_response=["response_b", "response_c"])
    tasks.drop(columns="context").to_csv(tmp_path / "done.csv", index=False)
    comparisons, _ = load_community_alignment(tmp_path / "done.csv")
    assert comparisons["chosen"].tolist() == [1, 2] and comparisons["candidates"].map(len).tolist() == [3, 3]


def test_compare_samplers_writes_what_it_wrote(compare_run):
    assert_golden("compare-samplers", compare_run.path)
