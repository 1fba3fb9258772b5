"""The collection app's safety: tokens, admin password, form tokens, escaping, rate limits, and no server errors on
any request the OpenAPI schema allows (schemathesis).

Candidate sets are filled with fixed texts, one of them HTML; tests/collect/test_browser.py runs the study on the
embedded model in Chromium.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pluralign.collect.app import create_app
from pluralign.collect.store import Store
from pluralign.collect.study import load_study
from pluralign.data import load_prompts
from pluralign.data.collection import CandidateSet, Choice, now

from .conftest import write_study

PAYLOAD = "<script>window.pwned = 1</script><b>bold</b>"


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
    return store, TestClient(create_app(store, "s3cret", requests_per_minute=60)), tokens


@pytest.fixture
def served(tmp_path):
    return serve_study(tmp_path)


def form_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'name="(\w+)" value="([^"]*)"', html))


def test_another_persons_token_cannot_read_or_answer_your_task(served):
    store, client, (alice, bob) = served
    alices = client.get(f"/api/a/{alice}/task").json()
    bobs = client.get(f"/api/a/{bob}/task").json()
    assert alices["set_id"] != bobs["set_id"]
    taken = client.post(f"/api/a/{bob}/choice", json={"nonce": "bob-nonce-1", "set_id": alices["set_id"], "position": 0})
    assert taken.status_code == 409
    assert client.get(f"/api/a/{alice}/task").json() == alices  # untouched
    assert client.get("/a/not-a-token").status_code == 404 and client.get("/api/a/not-a-token/task").status_code == 404


def test_admin_pages_need_the_password(served):
    _, client, _ = served
    for path in ("/admin", "/api/admin/progress", "/admin/export.csv"):
        assert client.get(path).status_code == 401
        assert client.get(path, auth=("admin", "wrong")).status_code == 401
    assert client.get("/admin", auth=("anyone", "s3cret")).status_code == 200
    progress = client.get("/api/admin/progress", auth=("anyone", "s3cret")).json()  # nothing chosen: nulls, not NaN
    assert progress["agreement"] is None and progress["answered_sets"] == 0
    assert progress["groups"] == [{"label": "(no label)", "people": 2, "consented": 2, "surveyed": 2, "finished": 0,
                                   "choices": 0, "median_seconds": None}]
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
    choice = {"nonce": "bob-ranks-1", "set_id": task["set_id"], "position": 0}
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
    assert refused.status_code == 422 and "rank every answer" in refused.text
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
    assert client.get(f"/api/a/{alice}/task").json() == {"state": "failed", "set_id": set_id,
                                                          "error": "no answers after 120 s"}
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
    admin = client.get("/admin", auth=("admin", "s3cret")).text
    assert "<script>window.pwned" not in admin and admin.count("&lt;script&gt;window.pwned = 1&lt;/script&gt;") == 1


def test_input_lengths_are_bounded_and_requests_per_token_limited(served):
    _, client, (alice, bob) = served
    task = client.get(f"/api/a/{alice}/task").json()
    too_long = client.post(f"/api/a/{alice}/choice", json={"nonce": "long-nonce-1", "set_id": task["set_id"],
                                                          "position": 0, "rationale": "x" * 2001})
    assert too_long.status_code == 422
    codes = [client.get(f"/api/a/{alice}/task").status_code for _ in range(70)]
    assert codes.count(429) >= 10 and set(codes) == {200, 429}
    assert client.get(f"/api/a/{bob}/task").status_code == 200  # another person's limit is their own


def test_no_request_the_schema_allows_makes_a_server_error(served):
    """Every operation of the OpenAPI schema, 40 generated requests each, with a real invite token and the admin
    password (so bodies reach the code behind them, not only the 404 of an unknown token)."""
    store, _, (token, _) = served
    app = create_app(store, "s3cret", requests_per_minute=100_000)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def check(case) -> None:
            if "token" in (case.path_parameters or {}):
                case.path_parameters["token"] = token
            case.headers = {**(case.headers or {}), "Authorization": "Basic " + base64.b64encode(b"a:s3cret").decode()}
            case.call_and_validate(checks=[not_a_server_error])

        check()
