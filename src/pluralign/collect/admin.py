"""What the admin page shows: progress by person and prompt, time per task, low-effort flags, how often people
who saw the same candidate set chose the same answer, which value poles the answered sets cover, and how many
generated answers the worker's checks replaced or dropped; in an active study, how uncertain each person's type
still is."""

from __future__ import annotations

from collections import Counter

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..data.collection import CandidateSet, Choice, Conversation, Person, Prompt
from ..data.axes import AXES, POLES
from ..candidates.checks import PROBLEMS
from ..candidates.measures import coverage
from .active import person_weights, uncertainty
from .core import effort_flags, pairwise_agreement
from .store import Store


NO_LABEL = "(no label)"  # people invited without --label


def _frame(store: Store, query) -> pd.DataFrame:
    with store.engine.connect() as connection:
        return pd.read_sql(query, connection)


def progress_report(store: Store) -> dict:
    """The admin page's tables (``people``, ``groups``, ``prompts``, ``languages``, ``sets``, the latest
    ``rationales``, ``coverage``, ``checks``) and numbers (``choices``, ``median_seconds``, ``agreement``,
    ``agreement_pairs``, ``chance``, ``answered_sets`` and of those ``answered_later_sets``, and ``uncertainty``:
    what a person's ``uncertainty`` measures, None before an active study's first fit). A person's ``surveyed`` is
    true when they gave at least one survey answer (one who skipped every question gave none)."""
    people = _frame(store, select(Person.id, Person.label, Person.language, Person.consented_at, Person.declined_at,
                                  Person.survey))
    people["surveyed"] = people.pop("survey").map(bool)
    choices = _frame(store, select(Choice.person_id, Choice.conversation_id, Choice.turn, Choice.chosen,
                                   Choice.order, Choice.position, Choice.seconds, Choice.candidate_set_id, Choice.rationale,
                                   Choice.created_at, CandidateSet.prompt_id).join(CandidateSet))
    conversations = _frame(store, select(Conversation.person_id, Conversation.prompt_id, Conversation.finished))
    prompts = _frame(store, select(Prompt.id, Prompt.language, Prompt.shared, Prompt.position)
                     .order_by(Prompt.position))
    sets = _frame(store, select(CandidateSet.status, CandidateSet.conversation_id.is_(None).label("first_turn")))

    by_person = choices.groupby("person_id")
    people["choices"] = people["id"].map(by_person.size()).fillna(0).astype(int)
    people["finished"] = people["id"].map(conversations[conversations.finished.astype(bool)].groupby("person_id").size()).fillna(0).astype(int)
    people["median_seconds"] = people["id"].map(by_person["seconds"].median())
    flags = {pid: ", ".join(effort_flags(list(part.seconds.dropna()), list(part.position))) for pid, part in by_person}
    people["flags"] = [flags.get(pid, "") for pid in people["id"]]
    labelled = choices.assign(label=choices.person_id.map(people.set_index("id")["label"]).fillna(NO_LABEL))
    groups = (people.assign(label=people["label"].fillna(NO_LABEL), consented=people.consented_at.notna())
              .groupby("label", sort=True)
              .agg(people=("id", "size"), consented=("consented", "sum"), surveyed=("surveyed", "sum"),
                   finished=("finished", "sum"), choices=("choices", "sum"))
              .join(labelled.groupby("label")["seconds"].median().rename("median_seconds")).reset_index())
    prompts["people"] = prompts["id"].map(conversations.groupby("prompt_id").size()).fillna(0).astype(int)
    first = choices[choices.turn == 1]
    people["uncertainty"], uncertain = type_uncertainty(store, people["id"], first)
    # the same set and the same answers of its pool shown
    seen = first.candidate_set_id.astype(str) + ":" + first["order"].map(lambda order: str(sorted(order)))
    agreement, pairs = pairwise_agreement({s: list(part.chosen) for s, part in first.groupby(seen)})
    said = choices.dropna(subset=["rationale"]).sort_values("created_at", ascending=False).head(20)
    return {"people": people, "groups": groups, "prompts": prompts, "languages": language_table(store, prompts, people),
            "rationales": said[["person_id", "prompt_id", "turn", "rationale"]],
            "sets": sets.value_counts().rename("count").reset_index(),
            "coverage": value_coverage(store), "checks": check_counts(store),
            "answered_sets": int(choices.candidate_set_id.nunique()),
            "answered_later_sets": int(choices[choices.turn > 1].candidate_set_id.nunique()),
            "choices": len(choices), "median_seconds": float(choices.seconds.median()) if len(choices) else None,
            "agreement": agreement, "agreement_pairs": pairs, "chance": 1 / store.study.k, "uncertainty": uncertain}


UNCERTAINTY = {"entropy": "posterior entropy of the person's type (nats; 0: certain)",
               "variance": "posterior variance of the person's ideal point (trace; 0: certain)"}


def type_uncertainty(store: Store, people: pd.Series, first: pd.DataFrame) -> tuple[pd.Series, str | None]:
    """How uncertain each person's type is under the newest fit of an active study, from their first-turn choices
    (``first``: ``person_id``, ``prompt_id``, ``chosen``, ``order``), and what the number is (``UNCERTAINTY``); NaN and None
    before the first fit."""
    with Session(store.engine) as session:
        fit = store.fits.newest(session) if store.rule.active else None
    if fit is None:
        return pd.Series(float("nan"), index=people.index), None
    answered = {pid: list(zip(part.prompt_id, part.chosen, part["order"])) for pid, part in first.groupby("person_id")}
    return (people.map(lambda pid: uncertainty(fit, person_weights(fit, answered.get(pid, [])))),
            UNCERTAINTY[fit.target])


def language_table(store: Store, prompts: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    """Prompts and invited people per language (the study's, and any a person was invited in), with a ``note`` where
    a language has fewer prompts than the quota: people are given prompts in their own language only, so theirs stop
    short of it."""
    quota = store.study.quota
    table = pd.DataFrame({"language": list(dict.fromkeys([*store.study.languages, *people["language"]]))})
    for name, rows in (("prompts", prompts), ("people", people)):
        table[name] = table["language"].map(rows.groupby("language").size()).fillna(0).astype(int)
    table["note"] = [f"{n} prompts for a quota of {quota}: people in this language stop after {n} conversations"
                     if n < quota else "" for n in table["prompts"]]
    return table


def check_counts(store: Store) -> pd.DataFrame:
    """How many generated answers the worker's checks found with each problem, and how many of those it replaced
    from a new sample or dropped (one row per problem)."""
    with Session(store.engine) as session:
        done = Counter((c["problem"], c["done"]) for checks in session.scalars(select(CandidateSet.checks))
                       for c in checks or [])
    return pd.DataFrame([{"problem": p, "replaced": done[p, "replaced"], "dropped": done[p, "dropped"]}
                         for p in PROBLEMS])


def value_coverage(store: Store) -> pd.DataFrame:
    """Of the candidate sets people have answered, how many hold an answer at each value pole (``coverage``'s rule,
    on the positions the worker's judge gave each candidate): one row per pole, per axis (both its poles) and
    ``all four``, with ``sets``, ``judged`` (answered sets whose candidates were placed) and ``share``."""
    with Session(store.engine) as session:
        answered = session.execute(select(CandidateSet.id, CandidateSet.candidates)
                                   .where(CandidateSet.id.in_(select(Choice.candidate_set_id)))).all()
    placed = pd.DataFrame([{"set_id": set_id, **c["position"]} for set_id, candidates in answered
                           for c in candidates if "position" in c], columns=["set_id", *AXES])
    covered = coverage(placed).rename(columns={"both": "all four"})
    names = [*POLES, *AXES, "all four"]
    counts = covered[names].sum() if len(covered) else pd.Series(0, index=names)
    return pd.DataFrame({"poles": names, "sets": counts.astype(int).to_numpy(), "judged": len(covered),
                         "share": counts.to_numpy() / len(covered) if len(covered) else float("nan")})
