"""Study files: a good one loads with its defaults; a bad one is one line naming file, line and field, exit 2."""

from __future__ import annotations

import pytest

from pluralign.collect.study import StudyError, load_study

from ..conftest import invoke

GOOD = """[study]
name = "pilot"
researcher = "Dr. Ada Lovelace"
contact = "ada@example.org"
kept = "Your choices, for five years"
languages = ["en", "hi"]
rationale = "required"

[candidates]
sampler = "multi-model"
models = ["embedded", "llamacpp:embedded"]
k = 2

[overlap]
shared = 2
"""


def test_a_study_file_loads_with_defaults_and_a_database_beside_it(tmp_path):
    path = tmp_path / "pilot.toml"
    path.write_text(GOOD)
    study = load_study(path)
    assert study.languages == ("en", "hi") and study.rationale == "required" and study.shared == 2
    assert study.models == ("embedded", "llamacpp:embedded") and study.k == 2 and study.turns == 1
    assert study.database == str(tmp_path / "pilot.db")
    assert study.questions == ("age", "gender", "country", "languages", "education", "political")
    assert (study.policy, study.epsilon, study.refit, study.warmup, study.model, study.types) == \
        ("random", 0.1, 50, 3, "mixture", 3)


def test_an_active_study_reads_its_rule(tmp_path):
    path = tmp_path / "pilot.toml"
    path.write_text(GOOD.replace("shared = 2", 'shared = 2\npolicy = "active"\nepsilon = 0\nrefit = 20\nwarmup = 4\n'
                                               'model = "ideal-point"\ntypes = 5'))
    study = load_study(path)
    assert (study.policy, study.epsilon, study.refit, study.warmup, study.model, study.types) == \
        ("active", 0.0, 20, 4, "ideal-point", 5)


def test_a_pool_is_k_unless_a_larger_one_is_asked_for_and_never_smaller(tmp_path):
    path = tmp_path / "pilot.toml"
    path.write_text(GOOD)
    assert load_study(path).pool_size == 2  # every answer generated is shown, as before pools
    independent = GOOD.replace('sampler = "multi-model"', 'sampler = "independent"')
    path.write_text(independent.replace("k = 2", "k = 2\npool = 6"))
    assert (load_study(path).k, load_study(path).pool_size) == (2, 6)
    path.write_text(independent.replace("k = 2", "k = 4\npool = 3"))
    with pytest.raises(StudyError) as error:
        load_study(path)
    assert str(error.value) == (f"{path}, line 13, field 'candidates.pool': the pool is the answers generated, of "
                                "which k = 4 are shown, so it needs at least 4, got 3")


@pytest.mark.parametrize("change, line, field, problem", [
    (("k = 2", "k = 7"), 12, "candidates.k", "must be 2 to 4"),
    (("k = 2", 'k = "two"'), 12, "candidates.k", "expected int"),
    (("k = 2", "k = 2\npool = 9"), 13, "candidates.pool", "must be 2 to 8"),
    (("k = 2", "k = 2\npool = 4"), 13, "candidates.pool", "the multi-model sampler writes one answer per model"),
    (('rationale = "required"', 'rationale = "sometimes"'), 7, "study.rationale", "must be one of"),
    (("shared = 2", "shared = 2\nquorum = 3"), 16, "overlap.quorum", "unknown field"),
    (("[overlap]", "[overlaps]"), 14, "overlaps", "unknown section"),
    (('models = ["embedded", "llamacpp:embedded"]', 'models = ["embedded"]'), 11, "candidates.models", "needs k = 2 models"),
    (('name = "pilot"\n', ""), 1, "study.name", "required"),
    (('researcher = "Dr. Ada Lovelace"\n', ""), 1, "study.researcher", "required: the consent page names who runs"),
    (('contact = "ada@example.org"', 'contact = " "'), 4, "study.contact", "must say how people reach the researcher"),
    (('kept = "Your choices, for five years"\n', ""), 1, "study.kept", "required: the consent page says what is kept"),
    (("shared = 2", 'shared = 2\npolicy = "clever"'), 16, "overlap.policy", "must be one of random, active"),
    (("shared = 2", "shared = 2\nepsilon = 1.5"), 16, "overlap.epsilon", "must be a share between 0 and 1"),
    (("shared = 2", "shared = 2\nrefit = 0"), 16, "overlap.refit", "must be at least 1 choice"),
    (("shared = 2", "shared = 2\nwarmup = -1"), 16, "overlap.warmup", "must be 0 or more"),
    (("shared = 2", 'shared = 2\nmodel = "bradley-terry"'), 16, "overlap.model", "must be one of mixture, ideal-point"),
    (("shared = 2", "shared = 2\ntypes = 1"), 16, "overlap.types", "must be 2 to 20"),
])
def test_a_mistake_names_the_file_line_and_field(tmp_path, change, line, field, problem):
    path = tmp_path / "bad.toml"
    path.write_text(GOOD.replace(*change))
    with pytest.raises(StudyError) as error:
        load_study(path)
    assert str(error.value).startswith(f"{path}, line {line}, field '{field}': ") and problem in str(error.value)


def test_the_cli_refuses_a_bad_study_in_one_line_with_exit_2(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(GOOD.replace("k = 2", "k = 2 2"))
    result = invoke("collect", "invite", str(path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0 and f"{path}, line 12: not valid TOML" in result.stderr


def test_the_pages_exist_in_every_language_with_the_same_fields_and_options():
    from pluralign.collect.pages import page_strings, questions

    strings = page_strings()
    assert set(strings) >= {"en", "fr", "it", "pt", "hi"}
    for language in strings:
        asked = questions(("age", "gender", "education", "political", "country"), language)
        # answers are stored as the English option, whatever the page's language
        assert [value for value, _ in asked[1].options] == strings["en"]["survey"]["gender_options"]
        assert all(q.label for q in asked) and asked[-1].options == ()
        assert "{done}" in strings[language]["task"]["progress"] and "{k}" in strings[language]["task"]["choose"]


def test_the_readme_study_is_valid(tmp_path):
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    path = tmp_path / "pilot.toml"
    path.write_text(readme.split("```toml\n# pilot.toml", 1)[1].split("```", 1)[0])
    study = load_study(path)
    assert study.turns == 2 and study.sampler == "negatively-correlated" and study.shared == 2


def test_a_browser_language_is_the_first_the_study_has_by_weight():
    from pluralign.collect.pages import browser_language

    assert browser_language("de-DE, fr-CH;q=0.9, en;q=0.8", ("en", "fr")) == "fr"
    assert browser_language("en;q=0.2, pt-BR", ("en", "pt")) == "pt"
    assert browser_language("de, fr;q=junk", ("en", "fr")) is None and browser_language("", ("en",)) is None
