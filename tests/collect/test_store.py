"""The collection database on SQLite and PostgreSQL: the overlap design, choices recorded once under retries and
races, tokens stored hashed, and the choices read back as comparison tables.

Candidate sets here are filled with fixed texts (the store's job is what happens to choices, not generation);
tests/collect/test_browser.py runs the whole study on the embedded model.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import uuid
from dataclasses import replace

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from pluralign.collect.admin import progress_report
from pluralign.collect.export import export_table
from pluralign.collect.store import Store, TaskError
from pluralign.collect.study import load_study
from pluralign.data import DatasetError, builtin_prompts, comparisons_from
from pluralign.data.collection import Choice, Person, Prompt, load_collection

from ..conftest import invoke
from .conftest import answer, fill_all, open_store, write_study


def test_the_overlap_design_shared_prompts_first_then_every_prompt_reaches_min_people(tmp_path, database):
    store = open_store(tmp_path, database, overlap={"min_people": 2, "shared": 1, "quota": 3})
    fill_all(store)
    people = [p.id for p in map(store.person, store.invite(4, "en"))]
    seen = {}
    for person in people:
        while (task := store.task(person)) is not None:
            seen.setdefault(person, []).append(task.prompt_id)
            assert answer(store, person) == "recorded"
    first = builtin_prompts()["id"].iloc[0]
    assert all(prompts[0] == first for prompts in seen.values())  # the shared prompt, answered by everyone first
    assert all(len(prompts) == 3 for prompts in seen.values())  # the quota
    counts = {p: sum(p in prompts for prompts in seen.values()) for p in builtin_prompts()["id"].head(4)}
    others = [n for p, n in counts.items() if p != first]
    # 8 answers for 3 other prompts: each reaches min_people (2), and the rest are spread, at most one apart
    assert counts[first] == 4 and min(others) >= 2 and max(others) - min(others) <= 1 and sum(others) == 8


def test_a_task_and_a_choice_take_a_few_statements_and_none_counts_the_whole_study(tmp_path, database):
    """The request path of a launch day: a person's task is assigned in 6 statements and read again in 3, a choice is
    recorded in 5, and none of them aggregates over the study's conversations (it read every one of them per task)."""
    store = open_store(tmp_path, database, turns={"max": 1})
    fill_all(store)
    people = [store.person(t).id for t in store.invite(3, "en")]
    statements: list[str] = []
    def record(_connection, _cursor, statement: str, *_) -> None:
        if statement != "BEGIN IMMEDIATE":  # SQLite's way to begin (engine_for), not a query
            statements.append(statement)
    event.listen(store.engine, "before_cursor_execute", record)
    counts = {}
    for person in people:
        for step, call in (("assign", lambda: store.task(person)), ("read", lambda: store.task(person)),
                           ("choose", lambda: answer(store, person))):
            statements.clear()
            assert call() is not None
            counts[step] = max(counts.get(step, 0), len(statements))
            assert not any("count(" in s.lower() or "group by" in s.lower() for s in statements), statements
    # answer() reads the task before it chooses: the choice alone is the rest
    assert counts == {"assign": 6, "read": 3, "choose": 3 + 5}
    with Session(store.engine) as session:  # each prompt counts the people given it, as the overlap design reads them
        given = dict(session.execute(select(Prompt.id, Prompt.people)).all())
    assert given == {p: 3 if i == 0 else 0 for i, p in enumerate(builtin_prompts()["id"].head(4))}


def test_a_choice_and_the_next_task_in_one_transaction_give_the_task_a_read_would_in_fewer_statements(tmp_path,
                                                                                                        database):
    """``choose_then_task``: one transaction of 9 statements where ``choose`` then ``task`` take two of 5 + 6, and the
    task it gives is the one ``task`` reads after it; a retried submit is a duplicate, with the same task."""
    store = open_store(tmp_path, database, turns={"max": 1}, overlap={"min_people": 1, "shared": 1, "quota": 3})
    fill_all(store)
    person = store.person(store.invite(1, "en")[0]).id
    statements, commits = [], []
    event.listen(store.engine, "before_cursor_execute",
                 lambda _c, _cursor, statement, *_: statement != "BEGIN IMMEDIATE" and statements.append(statement))
    event.listen(store.engine, "commit", lambda _connection: commits.append(1))
    unwaited = lambda task: task and replace(task, waited=0.0)  # noqa: E731 (the seconds since the set was asked for)
    task, seen = store.task(person), []
    while task is not None:
        submit = dict(nonce=f"nonce-{task.set_id}", set_id=task.set_id, position=1, rationale=None, next_message=None,
                      seconds=2.0)
        statements.clear(), commits.clear()
        outcome, then = store.choose_then_task(person, **submit)
        seen.append((outcome, len(statements), len(commits)))
        again, later = store.choose_then_task(person, **submit)
        assert again == "duplicate" and unwaited(later) == unwaited(then)
        assert unwaited(store.task(person)) == unwaited(then)  # what a read after it gives: conversation, set, order
        task = then
    # the last choice ends the quota: nothing to assign, nothing read after the choice's 5
    assert seen == [("recorded", 9, 1), ("recorded", 9, 1), ("recorded", 5, 1)]
    with Session(store.engine) as session:
        assert len(session.scalars(select(Choice)).all()) == 3


def test_people_get_prompts_in_their_invites_language_and_the_admin_says_which_language_has_too_few(tmp_path, database):
    store = Store(load_study(write_study(tmp_path, database, study={"languages": ["en", "fr", "pt", "hi"]},
                                         prompts={"limit": 3}, overlap={"min_people": 1, "shared": 1, "quota": 3})))
    store.migrate()
    store.add_prompts(builtin_prompts())  # four prompts in each of seven languages, none in Hindi
    fill_all(store)
    seen = {}
    for language in ("en", "fr", "pt", "hi"):
        person = store.person(store.invite(1, language)[0]).id
        while (task := store.task(person)) is not None:
            seen.setdefault(language, []).append(task.prompt_id)
            assert answer(store, person) == "recorded"
    assert seen == {language: [f"{language}-{i}" for i in (1, 2, 3)] for language in ("en", "fr", "pt")}
    languages = progress_report(store)["languages"].set_index("language")
    assert languages[["prompts", "people"]].to_dict("index") == {"en": {"prompts": 3, "people": 1}, "fr": {"prompts": 3, "people": 1},
                                                                 "pt": {"prompts": 3, "people": 1}, "hi": {"prompts": 0, "people": 1}}
    assert languages["note"].to_dict() == {"en": "", "fr": "", "pt": "",
                                           "hi": "0 prompts for a quota of 3: people in this language stop after 0 conversations"}


def test_a_retried_submit_is_recorded_once_and_an_old_page_is_stale(tmp_path, database):
    store = open_store(tmp_path, database)
    fill_all(store)
    person = store.person(store.invite(1, "en")[0]).id
    task = store.task(person)
    submit = dict(nonce="n" * 16, set_id=task.set_id, position=2, rationale=None, next_message="and then?", seconds=3.0)
    assert store.choose(person, **submit) == "recorded"
    assert store.choose(person, **submit) == "duplicate"
    assert store.choose(person, **{**submit, "nonce": "m" * 16}) == "stale"  # the same page, submitted from a second tab
    with Session(store.engine) as session:
        choices = session.scalars(select(Choice)).all()
    assert len(choices) == 1
    assert choices[0].chosen == task.order[2] and choices[0].position == 2
    later = store.task(person)  # the next turn waits for its candidates, continuing from the chosen answer
    assert later.turn == 2 and later.status == "pending"
    assert later.context[-2:] == [{"role": "assistant", "content": task.candidates[choices[0].chosen]["text"]},
                                  {"role": "user", "content": "and then?"}]


def test_a_nonce_is_the_persons_own_so_another_person_sending_it_is_recorded(tmp_path, database):
    store = open_store(tmp_path, database, overlap={"min_people": 1, "shared": 0, "quota": 3})
    fill_all(store)
    alice, carol = (store.person(token).id for token in store.invite(2, "en"))
    for person in (alice, carol):
        task = store.task(person)
        assert store.choose(person, nonce="same-nonce", set_id=task.set_id, position=0, rationale=None,
                            next_message=None, seconds=1.0) == "recorded"
    with Session(store.engine) as session:
        assert sorted(session.scalars(select(Choice.person_id).where(Choice.nonce == "same-nonce"))) == [alice, carol]
    task = store.task(alice)  # a nonce Alice already used is still hers alone: her next task does not take it
    assert store.choose(alice, nonce="same-nonce", set_id=task.set_id, position=0, rationale=None, next_message=None,
                        seconds=1.0) == "duplicate"


def test_the_survey_cannot_change_once_the_person_has_made_a_choice(tmp_path, database):
    store = open_store(tmp_path, database)
    fill_all(store)
    person = store.person(store.invite(1, "en")[0]).id
    assert store.save_survey(person, {"political": "Left"}) and store.save_survey(person, {"political": "Centre"})
    answer(store, person)
    assert not store.save_survey(person, {"political": "Right"})
    with Session(store.engine) as session:
        assert session.get(Person, person).survey == {"political": "Centre"}


def test_concurrent_submits_of_one_choice_and_of_one_turn_write_one_row(tmp_path, database):
    store = open_store(tmp_path, database)
    fill_all(store)
    people = [store.person(t).id for t in store.invite(2, "en")]
    tasks = {p: store.task(p) for p in people}
    outcomes: dict[int, list[str]] = {p: [] for p in people}
    def submit(person: int, nonce: str) -> None:
        outcomes[person].append(store.choose(person, nonce=nonce, set_id=tasks[person].set_id, position=0,
                                             rationale=None, next_message=None, seconds=1.0))
    # person 0 double-clicks (one nonce, eight times at once); person 1 submits from eight tabs (eight nonces)
    threads = [threading.Thread(target=submit, args=(people[0], "same-nonce-0")) for _ in range(8)]
    threads += [threading.Thread(target=submit, args=(people[1], f"tab-{i}-nonce")) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes[people[0]]) == ["duplicate"] * 7 + ["recorded"]
    assert sorted(outcomes[people[1]]) == ["recorded"] + ["stale"] * 7
    with Session(store.engine) as session:
        assert session.scalar(select(text("count(*)")).select_from(Choice)) == 2


def test_tokens_are_stored_hashed_and_a_person_sees_only_their_own_task(tmp_path, database):
    store = open_store(tmp_path, database, overlap={"min_people": 1, "shared": 0, "quota": 1})
    fill_all(store)
    tokens = store.invite(2, "en")
    with Session(store.engine) as session:
        hashes = session.scalars(select(Person.token_hash)).all()
    assert not set(tokens) & set(hashes) and all(len(h) == 64 for h in hashes)
    assert store.person("not-a-token") is None
    alice, bob = (store.person(t).id for t in tokens)
    alice_task, bob_task = store.task(alice), store.task(bob)
    assert alice_task.prompt_id != bob_task.prompt_id  # min_people 1: each prompt once before any gets a second
    assert store.choose(bob, nonce="bob-answers-alice", set_id=alice_task.set_id, position=0, rationale=None,
                        next_message=None, seconds=None) == "stale"


def test_choices_read_back_as_comparisons_with_each_turn_continuing_from_the_chosen_answer(tmp_path, database):
    store = open_store(tmp_path, database)
    fill_all(store)
    tokens = store.invite(2, "en")
    for token, age in zip(tokens, ("25-34", "65+")):
        person = store.person(token).id
        store.consent(person)
        store.save_survey(person, {"age": age, "country": "", "political": "Left"})
        assert answer(store, person, position=1, next_message="Tell me more.") == "recorded"
        fill_all(store)
        assert answer(store, person, position=0) == "recorded"
    comparisons, annotators = comparisons_from(f"collect:{database}")
    assert len(comparisons) == 4 and set(comparisons.turn) == {1, 2}
    for _, conversation in comparisons.groupby("conversation_id"):
        first, second = conversation.sort_values("turn").to_dict("records")
        assert second["context"][:2] == [*first["context"], {"role": "assistant", "content": first["candidates"][first["chosen"]]}]
    assert sorted(annotators["age"]) == ["25-34", "65+"] and "country" not in annotators  # an empty answer is no answer
    assert load_collection(database)[0].equals(comparisons)
    # TRL's pairwise shape: the chosen answer against each other candidate, every person's columns kept
    pairs = export_table(store.study, "trl")
    assert len(pairs) == len(comparisons) * (store.study.k - 1) and sorted(set(pairs["age"])) == ["25-34", "65+"]
    chosen = {c["comparison_id"]: c["candidates"][c["chosen"]] for c in comparisons.to_dict("records")}
    assert all(chosen[p["comparison_id"]] == p["chosen"][0]["content"] for p in pairs.to_dict("records"))


def test_the_database_is_created_by_migrations_and_migrating_again_changes_nothing(tmp_path, database):
    store = open_store(tmp_path, database)
    store.migrate()
    with store.engine.connect() as connection:
        assert connection.execute(text("select version_num from alembic_version")).scalar() == "0009"
    assert store.add_prompts(builtin_prompts().head(4)) == 0  # prompts already there are not added twice


def test_a_database_from_the_first_schema_keeps_its_choices_when_migrated(tmp_path, database):
    store = Store(load_study(write_study(tmp_path, database)))
    store.migrate("0001")
    store.add_prompts(builtin_prompts().head(store.study.prompts_limit))
    with store.engine.begin() as connection:  # a choice as the first schema stored it (no ranking column yet)
        for statement in (
                "insert into people (token_hash, language, created_at) values ('h', 'en', current_timestamp)",
                "insert into conversations (person_id, prompt_id, finished, created_at) select people.id, prompts.id, "
                "false, current_timestamp from people, prompts where prompts.position = 0",
                "insert into choices (nonce, person_id, conversation_id, candidate_set_id, turn, chosen, position, "
                "\"order\", created_at) select 'old-nonce', c.person_id, c.id, s.id, 1, 0, 0, '[0, 1, 2]', "
                "current_timestamp from conversations c join candidate_sets s on s.prompt_id = c.prompt_id"):
            connection.execute(text(statement))
    with pytest.raises(DBAPIError), Session(store.engine) as session:
        session.scalar(select(Choice.ranking))
    store.migrate()
    with Session(store.engine) as session:
        assert session.execute(select(Choice.nonce, Choice.ranking)).all() == [("old-nonce", None)]
        # the people each prompt was given to, counted from the conversations already there
        assert session.execute(select(Prompt.position, Prompt.people).order_by(Prompt.position)).all() == \
            [(0, 1), (1, 0), (2, 0), (3, 0)]


def test_a_ranking_is_stored_best_first_as_candidate_indices_with_the_choice_first(tmp_path, database):
    store = open_store(tmp_path, database, study={"rank": True})
    fill_all(store)
    person = store.person(store.invite(1, "en")[0]).id
    task = store.task(person)
    order = task.order
    submit = dict(set_id=task.set_id, position=1, rationale=None, next_message=None, seconds=2.0)
    for wrong in ([0, 1, 2], [1, 1, 2], [1, 0], [1, 0, 3]):  # the choice not first, a rank twice, one missing, not shown
        with pytest.raises(TaskError, match="rank each of the 3 answers once"):
            store.choose(person, nonce=uuid.uuid4().hex, ranking=wrong, **submit)
    assert store.choose(person, nonce="ranked-nonce", ranking=[1, 2, 0], **submit) == "recorded"
    comparisons = export_table(store.study, "comparisons")
    assert comparisons["ranking"].iloc[0] == [order[1], order[2], order[0]]
    assert comparisons["chosen"].iloc[0] == order[1]
    # TRL's pairs: every pair the ranking states (three of three answers), not only the chosen against the others (two)
    texts = [c["text"] for c in task.candidates]
    pairs = export_table(store.study, "trl")
    assert sorted((p["chosen"][0]["content"], p["rejected"][0]["content"]) for p in pairs.to_dict("records")) == \
        sorted([(texts[order[1]], texts[order[2]]), (texts[order[1]], texts[order[0]]), (texts[order[2]], texts[order[0]])])


def test_reading_a_study_with_no_choices_says_so(tmp_path):
    store = open_store(tmp_path, str(tmp_path / "empty.db"))
    with pytest.raises(ValueError, match="no choices collected yet"):
        load_collection(store.study.database)
    with pytest.raises(ValueError, match="no collection database"):
        load_collection(tmp_path / "missing.db")


def test_reading_a_database_server_that_cannot_be_reached_names_it_without_its_password():
    from tests.conftest import free_port

    url = f"postgresql+psycopg://postgres:hunter2-secret@127.0.0.1:{free_port()}/study"  # nothing listens there
    with pytest.raises(DatasetError) as refused:
        load_collection(url)
    message = str(refused.value)
    assert "hunter2" not in message and "postgres:***@127.0.0.1" in message, message
    assert "cannot read it as a collection database" in message


def test_exporting_opens_the_database_read_only_so_no_file_changes_someone_elses_included(tmp_path):
    """Before, reading switched any SQLite file to the write-ahead log (bytes 18-19 of its header) and took the write
    lock; now ``collect export`` reads a file read-only (``mode=ro``): neither its bytes nor its mtime move, and a
    SQLite file that is not a study's is one line, exit 2."""
    other = tmp_path / "notes.db"
    connection = sqlite3.connect(other)
    connection.execute("CREATE TABLE notes (text)")
    connection.commit()
    connection.close()
    (tmp_path / "ours").mkdir()
    store = open_store(tmp_path / "ours", str(tmp_path / "ours.db"), turns={"max": 1})
    fill_all(store)
    answer(store, store.person(store.invite(1, "en")[0]).id)
    store.engine.dispose()
    for path in (other, tmp_path / "ours.db"):
        os.utime(path, ns=(10**18, 10**18))
    before = {path: path.read_bytes() for path in (other, tmp_path / "ours.db")}
    foreign = invoke("collect", "export", str(write_study(tmp_path, str(other))), "--out", str(tmp_path / "notes.csv"))
    assert foreign.returncode == 2 and foreign.stderr.strip().splitlines() == [
        f"error: {other}: cannot read it as a collection database (no such table: choices)"], foreign.stderr
    ours = invoke("collect", "export", str(tmp_path / "ours" / "study.toml"), "--out", str(tmp_path / "ours.csv"))
    assert ours.returncode == 0 and (tmp_path / "ours.csv").is_file(), ours.stdout + ours.stderr
    assert {path: path.read_bytes() for path in before} == before
    assert all(path.stat().st_mtime_ns == 10**18 for path in before)


def test_reading_a_database_that_holds_no_study_says_so_and_leaves_the_file_alone(tmp_path):
    empty = tmp_path / "empty.db"
    empty.touch()  # SQLite would take it for a new database and write its header and WAL mode into it
    with pytest.raises(DatasetError, match="empty.db: not a collection database \\(not an SQLite file\\)"):
        load_collection(empty)
    assert empty.read_bytes() == b""
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE notes (text)")
    with pytest.raises(DatasetError, match="other.db: cannot read it as a collection database \\(no such table"):
        load_collection(other)
