"""A study: what `pluralign collect` shows to whom, read from a TOML file and checked before anything starts.

    [study]
    name = "pilot"
    languages = ["en", "fr"]       # the interface's languages; a person's invite picks one
    rationale = "optional"         # optional | required | off
    rank = false                   # also rank every answer, best first (the choice is ranked first)
    consent = "..."                # the consent text (default: a short one in each language)
    researcher = "Dr. Ada Lovelace, University of X"  # who runs the study (required: the consent page names them)
    contact = "ada@example.org"    # how people reach them (required)
    kept = "Your choices, reasons and survey answers, without your name, for five years"  # what is kept (required)
    database = "pilot.db"          # SQLite file (relative to this file) or a URL, e.g. postgresql+psycopg://host/db
    seed = 0                       # candidate sampling and the order candidates are shown in

    [prompts]
    source = "builtin"             # builtin or a FILE of prompts (id, text, language)
    limit = 20                     # per language of the study; a person gets prompts in their invite's language

    [candidates]
    sampler = "negatively-correlated"  # one request for k diverse answers; or independent, or multi-model
    models = ["embedded"]          # model specs; multi-model takes one candidate from each
    k = 4                          # answers shown per set
    pool = 8                       # answers generated for each prompt's first turn (default: k), of which each
                                   # person is shown k: a uniform random k, or in an active study the k expected to
                                   # teach the most about them (docs/methods.md#a-larger-pool-of-candidates)
    temperature = 1.0
    max_tokens = 160
    judge = "embedded"             # places each set on the value poles for the admin page (default: the first
                                   # of models; "none": off)

    [turns]
    max = 2                        # 1 to 4; a later turn continues from the chosen answer with the person's message
    timeout = 120                  # seconds a person waits for a later turn's answers before they may ask again

    [overlap]
    min_people = 3                 # each prompt is answered by at least this many people before any gets more
    shared = 2                     # the first prompts of each language, answered by everyone in it
    quota = 10                     # conversations per person
    policy = "random"              # random: the fixed design above; active: after the warm-up, each next prompt by
                                   # what its answer is expected to teach about the person (docs/methods.md)
    epsilon = 0.1                  # active: the share of prompts drawn at random instead (keeps the fit unbiased)
    refit = 50                     # active: choices between refits of the population model (out of the requests)
    warmup = 3                     # active: a person's first conversations follow the fixed design
    model = "mixture"              # active: mixture (of `types` types) or ideal-point
    types = 3                      # active: the mixture's types, or the ideal points' prototypes

    [survey]
    questions = ["age", "gender", "country", "languages", "education", "political"]

A mistake is one `StudyError` naming the file, the line and the field.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..data.text import read_text
from ..errors import InputError
from ..candidates.samplers import SAMPLERS

RATIONALE = ("optional", "required", "off")
POLICIES = ("random", "active")
ACTIVE_MODELS = ("mixture", "ideal-point")
QUESTIONS = ("age", "gender", "country", "languages", "education", "political")


class StudyError(InputError):
    """A study file that cannot run; the message names file, line and field."""


@dataclass(frozen=True)
class Study:
    path: Path
    name: str
    database: str
    researcher: str
    contact: str
    kept: str
    languages: tuple[str, ...] = ("en",)
    rationale: str = "optional"
    rank: bool = False
    consent: str | None = None
    prompts_source: str = "builtin"
    prompts_limit: int | None = None
    sampler: str = "negatively-correlated"
    models: tuple[str, ...] = ("embedded",)
    k: int = 4
    pool: int | None = None  # None: k (every generated answer is shown)
    temperature: float = 1.0
    max_tokens: int = 160
    judge: str | None = None  # None: the first of models; "none": no live coverage
    turns: int = 1
    timeout: float = 120.0
    min_people: int = 1
    shared: int = 0
    quota: int = 10
    policy: str = "random"
    epsilon: float = 0.1
    refit: int = 50
    warmup: int = 3
    model: str = "mixture"
    types: int = 3
    questions: tuple[str, ...] = QUESTIONS
    seed: int = 0

    @property
    def placer_spec(self) -> str | None:
        """The model spec of the value placer, or None when the study turns live coverage off."""
        return None if self.judge == "none" else self.judge or self.models[0]

    @property
    def pool_size(self) -> int:
        """The answers generated for each prompt's first turn, of which a person is shown ``k``."""
        return self.pool or self.k


# Each field: (section, key, type, check, message when the check fails).
_FIELDS = {
    "name": ("study", "name", str, lambda v: bool(v.strip()), "must not be empty"),
    "languages": ("study", "languages", list, lambda v: bool(v) and all(isinstance(x, str) and x for x in v),
                  "must be a non-empty list of language codes"),
    "rationale": ("study", "rationale", str, lambda v: v in RATIONALE, f"must be one of {', '.join(RATIONALE)}"),
    "rank": ("study", "rank", bool, lambda v: True, ""),
    "consent": ("study", "consent", str, lambda v: bool(v.strip()), "must not be empty"),
    "researcher": ("study", "researcher", str, lambda v: bool(v.strip()), "must name who runs the study"),
    "contact": ("study", "contact", str, lambda v: bool(v.strip()), "must say how people reach the researcher"),
    "kept": ("study", "kept", str, lambda v: bool(v.strip()), "must say what is kept of people's data"),
    "database": ("study", "database", str, lambda v: bool(v.strip()), "must not be empty"),
    "seed": ("study", "seed", int, lambda v: True, ""),
    "prompts_source": ("prompts", "source", str, lambda v: bool(v.strip()), "must not be empty"),
    "prompts_limit": ("prompts", "limit", int, lambda v: v > 0, "must be at least 1"),
    "sampler": ("candidates", "sampler", str, lambda v: v in SAMPLERS, f"must be one of {', '.join(SAMPLERS)}"),
    "models": ("candidates", "models", list, lambda v: bool(v) and all(isinstance(x, str) and x for x in v),
               "must be a non-empty list of model specs"),
    "k": ("candidates", "k", int, lambda v: 2 <= v <= 4, "must be 2 to 4 (Community Alignment's shape holds four)"),
    # C(8, 4) = 70 ways to show 4 of 8 per prompt: an active assignment scores each of them per request
    "pool": ("candidates", "pool", int, lambda v: 2 <= v <= 8, "must be 2 to 8"),
    "temperature": ("candidates", "temperature", float, lambda v: 0 <= v <= 2, "must be between 0 and 2"),
    "max_tokens": ("candidates", "max_tokens", int, lambda v: 1 <= v <= 4096, "must be 1 to 4096"),
    "judge": ("candidates", "judge", str, lambda v: bool(v.strip()), "must be a model spec or \"none\""),
    "turns": ("turns", "max", int, lambda v: 1 <= v <= 4, "must be 1 to 4"),
    "timeout": ("turns", "timeout", float, lambda v: 5 <= v <= 3600, "must be 5 to 3600 seconds"),
    "min_people": ("overlap", "min_people", int, lambda v: v >= 1, "must be at least 1"),
    "shared": ("overlap", "shared", int, lambda v: v >= 0, "must be 0 or more"),
    "quota": ("overlap", "quota", int, lambda v: v >= 1, "must be at least 1"),
    "policy": ("overlap", "policy", str, lambda v: v in POLICIES, f"must be one of {', '.join(POLICIES)}"),
    "epsilon": ("overlap", "epsilon", float, lambda v: 0 <= v <= 1, "must be a share between 0 and 1"),
    "refit": ("overlap", "refit", int, lambda v: v >= 1, "must be at least 1 choice"),
    "warmup": ("overlap", "warmup", int, lambda v: v >= 0, "must be 0 or more"),
    "model": ("overlap", "model", str, lambda v: v in ACTIVE_MODELS, f"must be one of {', '.join(ACTIVE_MODELS)}"),
    "types": ("overlap", "types", int, lambda v: 2 <= v <= 20, "must be 2 to 20"),
    "questions": ("survey", "questions", list, lambda v: all(q in QUESTIONS for q in v),
                  f"may only name {', '.join(QUESTIONS)}"),
}
# Required fields of [study], with why (the consent page shows the last three).
_REQUIRED = {"name": "", "researcher": ": the consent page names who runs the study",
             "contact": ": the consent page says how to reach the researcher",
             "kept": ": the consent page says what is kept of people's data, where and for how long"}
_SECTIONS = {"study", "prompts", "candidates", "turns", "overlap", "survey"}


def _line(text: str, section: str, key: str | None) -> int:
    """The line of ``key`` in ``[section]`` (or of the section's header), 1-based; 1 when neither is written."""
    header, in_section = None, False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_section = stripped.strip("[] ") == section
            header = number if in_section else header
        elif in_section and key and re.match(rf"{re.escape(key)}\s*=", stripped):
            return number
    return header or 1


def load_study(path: str | Path) -> Study:
    """Read and check a study file; raise StudyError (file, line, field) on the first problem (a file that is not
    UTF-8, the ``DatasetError`` that every reader gives, from ``data.text``)."""
    path = Path(path)
    try:
        text = read_text(path)
    except OSError as exc:
        raise StudyError(f"{path}: cannot read the study file ({exc.strerror})") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column \d+\)", str(exc))  # Python 3.11 keeps the line only in the text
        line = found.group(1) if found else str(len(text.splitlines()))  # else: "at end of document"
        message = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", str(exc))
        raise StudyError(f"{path}, line {line}: not valid TOML ({message})") from None
    for section, value in raw.items():
        if section not in _SECTIONS or not isinstance(value, dict):
            raise StudyError(f"{path}, line {_line(text, section, None)}, field '{section}': unknown section "
                             f"(a study has {', '.join(sorted(_SECTIONS))})")
        known = {key for s, key, *_ in _FIELDS.values() if s == section}
        for key in value:
            if key not in known:
                raise StudyError(f"{path}, line {_line(text, section, key)}, field '{section}.{key}': unknown field "
                                 f"(this section has {', '.join(sorted(known))})")
    values: dict = {}
    for name, (section, key, kind, check, problem) in _FIELDS.items():
        if key not in raw.get(section, {}):
            continue
        value = raw[section][key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        where = f"{path}, line {_line(text, section, key)}, field '{section}.{key}'"
        if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
            raise StudyError(f"{where}: expected {kind.__name__}, got {value!r}")
        if not check(value):
            raise StudyError(f"{where}: {problem}, got {value!r}")
        values[name] = tuple(value) if isinstance(value, list) else value
    for name, why in _REQUIRED.items():
        if name not in values:
            raise StudyError(f"{path}, line {_line(text, 'study', None)}, field 'study.{name}': required{why}")
    database = values.pop("database", f"{path.stem}.db")
    if "://" not in database:
        database = str((path.parent / database).resolve())
    study = Study(path=path, database=database, **values)
    if study.sampler == "multi-model" and len(study.models) != study.k:
        raise StudyError(f"{path}, line {_line(text, 'candidates', 'models')}, field 'candidates.models': the "
                         f"multi-model sampler takes one candidate from each model, so it needs k = {study.k} models, "
                         f"got {len(study.models)}")
    if study.pool_size < study.k:
        raise StudyError(f"{path}, line {_line(text, 'candidates', 'pool')}, field 'candidates.pool': the pool is the "
                         f"answers generated, of which k = {study.k} are shown, so it needs at least {study.k}, got "
                         f"{study.pool}")
    if study.sampler == "multi-model" and study.pool_size != study.k:
        raise StudyError(f"{path}, line {_line(text, 'candidates', 'pool')}, field 'candidates.pool': the multi-model "
                         f"sampler writes one answer per model, so its pool is k = {study.k}, got {study.pool}")
    return study
