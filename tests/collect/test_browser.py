"""A study served by the real CLI on the embedded model, answered in headless Chromium (a desktop and a phone) and
through the JSON API, watched and exported by the admin, and learned from."""

from __future__ import annotations

import base64
import json
import os
import shutil
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx
import pytest
import uvicorn
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select
from sqlalchemy.orm import Session

from pluralign.collect.app import create_app
from pluralign.collect.store import Store
from pluralign.collect.study import load_study
from pluralign.data import load_prompts
from pluralign.data import comparisons_from, load_community_alignment
from pluralign.data.collection import Choice

from ..conftest import free_port, invoke, start_server, stop_server
from ..report.test_report_browser import CHROMIUM_ARGS
from .conftest import CONTACT, RESEARCHER, write_study
from .test_app import serve_study

PAYLOAD = "<script>window.pwned = 1</script>"
PASSWORD = "browser-admin-pw"


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """The study, its invite links (two for the browser, eight for the API) and its server."""
    folder = tmp_path_factory.mktemp("collect")
    path = write_study(folder, "study.db", study={"rank": True}, prompts={"limit": 4},
                       candidates={"sampler": "independent", "k": 3, "max_tokens": 20},
                       overlap={"min_people": 2, "shared": 1, "quota": 4})
    def invite(n: int, *options: str) -> list[str]:
        made = invoke("collect", "invite", str(path), "-n", str(n), *options)
        assert made.returncode == 0, made.stderr
        return [line.rsplit("/", 1)[1] for line in made.stdout.split()]
    browser_people, api_people = invite(2, "--label", "browser"), invite(8, "--label", "api", "--language", "fr")
    server, url = start_server(lambda port: [sys.executable, "-m", "pluralign", "collect", "serve", str(path),
                                             "--port", str(port), "--password", PASSWORD], "/openapi.json")
    yield path, url, browser_people, api_people
    stop_server(server)


def answer_through_the_api(url: str, token: str, prefers_short: bool) -> int:
    """One simulated person: consent, survey, then every task, ranking the answers by length (shortest or longest
    first)."""
    api, answered = f"{url}/api/a/{token}", 0
    httpx.post(f"{api}/consent").raise_for_status()
    httpx.post(f"{api}/survey", json={"political": "Left" if prefers_short else "Right"}).raise_for_status()
    deadline = time.monotonic() + 600
    while (task := httpx.get(f"{api}/task").json())["state"] != "done" and time.monotonic() < deadline:
        if task["state"] != "task":
            time.sleep(0.5)
            continue
        lengths = [len(c) for c in task["candidates"]]
        ranking = sorted(range(len(lengths)), key=lambda i: lengths[i] if prefers_short else -lengths[i])
        recorded = httpx.post(f"{api}/choice", json={"nonce": f"{token[:20]}-{answered}", "set_id": task["set_id"],
                                                     "position": ranking[0], "ranking": ranking,
                                                     "shown_at": task["shown_at"], "form": task["form"]})
        recorded.raise_for_status()
        answered += 1
    return answered


def test_two_annotators_in_chromium_the_admin_and_an_export_that_learn_reads(study, tmp_path):
    path, url, (desktop_token, phone_token), api_tokens = study
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        errors: list[str] = []
        desktop = browser.new_page()
        desktop.on("pageerror", lambda exc: errors.append(str(exc)))
        desktop.goto(f"{url}/a/{desktop_token}")
        desktop.click("#agree")
        desktop.select_option("#q-age", "25-34")
        desktop.fill("#q-country", "France")
        desktop.click("#continue")
        desktop.wait_for_selector("#choice", timeout=300_000)  # the first turn's set, written ahead by the worker
        expect(desktop.locator("#progress")).to_contain_text("Conversation 1 of 4 · Turn 1 of 2")
        desktop.keyboard.press("2")
        assert desktop.locator("input[name=position]").nth(1).is_checked()
        ranks = desktop.locator("select.rank")
        assert [ranks.nth(i).input_value() for i in range(3)] == ["", "1", ""]  # the chosen answer ranked first
        ranks.nth(0).select_option("2")
        ranks.nth(2).select_option("2")  # the third takes the first's rank: the first is unranked again
        assert [ranks.nth(i).input_value() for i in range(3)] == ["", "1", "2"]
        ranks.nth(0).select_option("3")
        desktop.fill("#rationale", PAYLOAD)
        desktop.fill("#next_message", "What would my parents say?")
        chosen = desktop.locator("label.candidate .text").nth(1).inner_text()
        desktop.click("#submit")
        desktop.wait_for_selector("#choice", timeout=300_000)  # the second turn, generated live behind a spinner
        expect(desktop.locator("#progress")).to_contain_text("Turn 2 of 2")
        expect(desktop.locator(".message.assistant")).to_have_text(chosen.strip())
        expect(desktop.locator(".message.user").last).to_have_text("What would my parents say?")
        desktop.keyboard.press("1")
        ranks.nth(1).select_option("2")
        ranks.nth(2).select_option("3")
        desktop.click("#submit")
        expect(desktop.locator("#progress")).to_contain_text("Conversation 2 of 4", timeout=300_000)

        phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True).new_page()
        phone.on("pageerror", lambda exc: errors.append(str(exc)))
        phone.goto(f"{url}/a/{phone_token}")
        phone.click("#agree")
        phone.click("#continue")  # every survey question is optional
        phone.wait_for_selector("#choice", timeout=300_000)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
        phone.locator("label.candidate").nth(2).tap()
        phone_ranks = phone.locator("select.rank")
        assert [phone_ranks.nth(i).input_value() for i in range(3)] == ["", "", "1"]  # the tapped answer first
        phone_ranks.nth(0).select_option("1")  # ranking another answer first makes it the choice
        assert phone.locator("input[name=position]").nth(0).is_checked()
        assert [phone_ranks.nth(i).input_value() for i in range(3)] == ["1", "", ""]
        phone_ranks.nth(1).select_option("2")
        phone_ranks.nth(2).select_option("3")
        phone.click("#submit")
        expect(phone.locator("#progress")).to_contain_text("Conversation 2 of 4", timeout=300_000)

        answered = [answer_through_the_api(url, t, prefers_short=i % 2 == 0) for i, t in enumerate(api_tokens)]
        assert answered == [4] * 8

        admin = browser.new_context(http_credentials={"username": "admin", "password": PASSWORD},
                                    accept_downloads=True).new_page()
        admin.on("pageerror", lambda exc: errors.append(str(exc)))
        admin.goto(f"{url}/admin")
        rows = admin.locator("#people tr")
        expect(rows).to_have_count(11)  # a header and ten people
        expect(admin.locator("#rationales")).to_contain_text(PAYLOAD)  # shown as text, never run
        expect(admin.locator("#coverage tr")).to_have_count(1 + 7)  # four poles, two axes, all four
        expect(admin.locator("#groups tr")).to_have_count(1 + 2)  # the two invite labels
        assert admin.evaluate("window.pwned") is None
        with admin.expect_download() as download:
            admin.click("text=Community Alignment CSV")
        exported = tmp_path / "ca.csv"
        download.value.save_as(exported)
        browser.close()
    assert errors == []

    comparisons, annotators = load_community_alignment(exported)
    collected, people = comparisons_from(f"collect:{path.parent / 'study.db'}")
    assert len(comparisons) == len(collected) == 2 + 1 + 32
    assert sorted(comparisons.turn.unique()) == [1, 2] and sorted(collected.feedback.dropna()) == [PAYLOAD]
    assert set(annotators.columns) >= {"annotator_id", "age", "country", "political"}
    assert (people.political == "Left").sum() == 4
    desktop_first = collected[collected.feedback == PAYLOAD].iloc[0]
    assert desktop_first.ranking[0] == desktop_first.chosen and collected.ranking.map(len).eq(3).all()
    phone_choice = collected[collected.annotator_id.map(collected.annotator_id.value_counts()) == 1].iloc[0]
    assert phone_choice.position == 0 and phone_choice.ranking[0] == phone_choice.chosen

    unauthorised = httpx.get(f"{url}/admin/export.csv")
    assert unauthorised.status_code == 401
    auth = {"Authorization": "Basic " + base64.b64encode(f"admin:{PASSWORD}".encode()).decode()}
    progress = httpx.get(f"{url}/api/admin/progress", headers=auth).json()
    assert progress["choices"] == 35 and progress["agreement_pairs"] > 0
    assert progress["coverage"][0]["judged"] == progress["answered_sets"] > 0  # every answered set was placed
    groups = {g["label"]: g for g in progress["groups"]}
    assert (groups["api"]["people"], groups["api"]["choices"], groups["api"]["finished"]) == (8, 32, 32)
    assert (groups["browser"]["people"], groups["browser"]["choices"]) == (2, 3)

    learned = invoke("learn", "--data", f"collect:{path.parent / 'study.db'}", "--estimator", "group", "--group",
                     "political", "--worst-min-n", "2", "--out", str(tmp_path / "learn"))
    assert learned.returncode == 0, learned.stderr[-2000:]
    assert (tmp_path / "learn" / "metrics.parquet").exists()
    assert "later choices of their rankings" in learned.stdout  # three answers ranked: one more choice each


@contextmanager
def served_here(store: Store) -> Iterator[str]:
    """``store``'s app served in this process (no model, no worker): its URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(store, PASSWORD), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join()


@pytest.fixture
def ranking_study(tmp_path):
    """A ranking study of fixed answers (no model), served in this process; its store, URL and two invite tokens."""
    store, _, tokens = serve_study(tmp_path, study={"rank": True})
    with served_here(store) as url:
        yield store, url, tokens


def test_in_chromium_ranks_start_unset_and_only_the_ranks_a_person_sets_are_stored(ranking_study):
    store, url, (token, _) = ranking_study
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(f"{url}/a/{token}")
        ranks = page.locator("select.rank")
        assert [ranks.nth(i).input_value() for i in range(3)] == ["", "", ""]
        page.keyboard.press("2")
        assert [ranks.nth(i).input_value() for i in range(3)] == ["", "1", ""]  # the choice ranked first, no other
        page.click("#submit")  # the two unranked menus keep the form from being sent
        assert page.locator("select.rank:invalid").count() == 2 and page.locator("#submit").is_enabled()
        ranks.nth(2).select_option("2")
        ranks.nth(0).select_option("3")
        page.click("#submit")
        expect(page.locator("#progress")).to_contain_text("Conversation 2 of 3")
        browser.close()
    with Session(store.engine) as session:
        order, ranking = session.execute(select(Choice.order, Choice.ranking)).one()
    assert ranking == [order[1], order[2], order[0]]


# A prompt and three answers in each of two languages, as a study shows them (several paragraphs, a list).
PAGES = {
    "en": ("Should parents decide which career their child chooses?",
           ["No. Parents can share what they know about work and money, but the choice belongs to the person who "
            "will live with it for forty years.\n\nA good conversation asks what the child enjoys and what they are "
            "good at, then leaves the decision with them.",
            "In many families the career is a shared decision. Parents have sacrificed for their children's "
            "education, and it is fair that they have a say in a choice that affects the whole family.",
            "It depends on the child's age and on what is at stake:\n1. Teenagers benefit from guidance.\n"
            "2. Adults should decide for themselves.\n3. Parents can still help by paying for a trial course."]),
    "fr": ("Les parents doivent-ils choisir le métier de leur enfant ?",
           ["Non. Les parents peuvent partager ce qu'ils savent du travail et de l'argent, mais le choix appartient "
            "à la personne qui vivra avec pendant quarante ans.\n\nUne bonne discussion demande ce que l'enfant "
            "aime et ce qu'il fait bien, puis lui laisse la décision.",
            "Dans beaucoup de familles, le métier est une décision commune. Les parents ont fait des sacrifices pour "
            "les études de leurs enfants, et il est juste qu'ils aient leur mot à dire.",
            "Cela dépend de l'âge de l'enfant et de l'enjeu :\n1. Les adolescents profitent d'être guidés.\n"
            "2. Les adultes décident eux-mêmes.\n3. Les parents peuvent aider en payant un stage d'essai."]),
}


@pytest.fixture
def pages_study(tmp_path):
    """A ranking study in English and French of fixed, realistic answers, served in this process: its store, URL and
    one invite per language, each past the consent page and the survey."""
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("".join(json.dumps({"id": language, "text": text, "language": language}) + "\n"
                               for language, (text, _) in PAGES.items()))
    store = Store(load_study(write_study(tmp_path, str(tmp_path / "study.db"), study={"rank": True},
                                         prompts={"source": str(prompts)}, turns={"max": 2},
                                         overlap={"min_people": 1, "shared": 0, "quota": 3})))
    store.migrate()
    store.add_prompts(load_prompts(prompts))
    for pending in store.pending(10):
        store.fill(pending["id"], [{"text": text, "source": "test"} for text in PAGES[pending["language"]][1]])
    tokens = {language: store.invite(1, language)[0] for language in PAGES}
    for token in tokens.values():
        store.consent(store.person(token).id)
        store.save_survey(store.person(token).id, {})
    with served_here(store) as url:
        yield store, url, tokens


PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 900}


def test_in_chromium_an_answers_radio_title_and_rank_share_one_line_and_its_text_follows(pages_study):
    _, url, tokens = pages_study
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for viewport, token in ((PHONE, tokens["en"]), (PHONE, tokens["fr"]), (DESKTOP, tokens["en"])):
            page = browser.new_page(viewport=viewport)  # French: the longest rank label, on a phone
            page.goto(f"{url}/a/{token}")
            for card in page.locator("label.candidate").all():
                box = card.bounding_box()
                radio, title, rank, text = (card.locator(s).bounding_box()
                                            for s in ("input[type=radio]", "strong", "select.rank", ".text"))
                middle = radio["y"] + radio["height"] / 2
                for other in (title, rank):  # one line: each centred on the radio's middle
                    assert abs(other["y"] + other["height"] / 2 - middle) < 4
                assert radio["x"] + radio["width"] <= title["x"] < rank["x"]
                assert radio["y"] - box["y"] < 20  # no blank line above (the card's padding only)
                assert 0 <= text["y"] - max(title["y"] + title["height"], rank["y"] + rank["height"]) < 12
            page.close()
        browser.close()


def test_in_chromium_refused_pages_are_in_the_persons_language_with_the_studys_look(pages_study):
    _, url, tokens = pages_study
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(locale="fr-FR")
        look = "(() => { const s = getComputedStyle(document.querySelector('main')); " \
               "return [s.maxWidth, s.backgroundColor, s.borderRadius, s.fontFamily]; })()"
        page.goto(f"{url}/a/{tokens['fr']}")
        task_look = page.evaluate(look)
        page.evaluate("document.querySelector('input[name=form]').value = 'stale'")  # a form this server did not sign
        page.locator("input[name=position]").first.check()
        for i, menu in enumerate(page.locator("select.rank").all()):
            menu.select_option(str(i + 1))
        page.click("#submit")
        expect(page.locator("h1")).to_have_text("Cela n'a pas fonctionné")
        expect(page.locator("#text")).to_contain_text("Cette page a expiré")
        assert page.evaluate(look) == task_look and page.evaluate("document.documentElement.lang") == "fr"
        page.click("#back")
        expect(page.locator("#choice")).to_be_visible()  # the task again, nothing recorded
        page.goto(f"{url}/a/not-an-invite")  # nobody known: the browser's language, as the study has it
        expect(page.locator("#text")).to_contain_text("Ce lien d'invitation est inconnu")
        assert page.evaluate(look) == task_look and page.locator("#back").count() == 0
        browser.close()


def test_in_chromium_the_consent_page_names_the_researcher_and_declining_ends_the_study(pages_study):
    store, url, _ = pages_study
    (token,) = store.invite(1, "en")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=PHONE)
        page.goto(f"{url}/a/{token}")
        expect(page.locator("#facts")).to_contain_text(RESEARCHER)
        expect(page.locator("#facts")).to_contain_text(CONTACT)
        page.click("#decline")
        expect(page.locator("h1")).to_have_text("Thank you")
        expect(page.locator("#text")).to_contain_text("You have declined")
        page.reload()
        expect(page.locator("#text")).to_contain_text("You have declined")  # asked nothing more, ever
        browser.close()
    assert store.person(token).declined_at is not None and store.person(token).consented_at is None


def test_in_chromium_the_admin_tables_take_the_windows_width(pages_study):
    _, url, _ = pages_study
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=DESKTOP, http_credentials={"username": "admin", "password": PASSWORD})
        page.goto(f"{url}/admin")
        assert page.locator("#people").bounding_box()["width"] > 1100
        assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
        line = page.evaluate("parseFloat(getComputedStyle(document.querySelector('#people th')).lineHeight)")
        assert all(th.bounding_box()["height"] < 2 * line for th in page.locator("th").all())  # no header wraps
        browser.close()


def test_screenshots_of_the_task_page_on_a_phone_and_a_desktop_in_two_languages(pages_study, tmp_path):
    """PNGs of the task page at 390×844 and 1280 wide, in English and French, under the test's folder and, where
    ``PLURALIGN_SCREENSHOTS`` names a folder, there too, to be looked at."""
    _, url, tokens = pages_study
    shots = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for language, token in tokens.items():
            for viewport in (PHONE, DESKTOP):
                page = browser.new_page(viewport=viewport)
                page.goto(f"{url}/a/{token}")
                page.locator("input[name=position]").nth(1).check()  # a chosen card, as a person sees it
                assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
                shots.append(tmp_path / f"task-{language}-{viewport['width']}.png")
                page.screenshot(path=shots[-1], full_page=True)
                page.close()
        browser.close()
    assert all(shot.stat().st_size > 10_000 for shot in shots)
    if os.environ.get("PLURALIGN_SCREENSHOTS"):
        folder = Path(os.environ["PLURALIGN_SCREENSHOTS"])
        folder.mkdir(parents=True, exist_ok=True)
        for shot in shots:
            shutil.copy(shot, folder)
