"""`pluralign collect`: serve a study to annotators, invite them, export what they chose."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import InputError
from .common import err, guarded, note, out
from .datasets import warn_restricted

commands = typer.Typer(help="Collect choices from people who disagree: a study file, invite links, a web app, exports.",
                       no_args_is_help=True, rich_markup_mode="markdown")
PASSWORD_VARIABLE = "PLURALIGN_COLLECT_PASSWORD"
StudyFile = Annotated[Path, typer.Argument(help="The study's TOML file (see `pluralign collect --help`).")]


def _open(study_file: Path):
    """The study's store, migrated, with its prompts added (each with a first-turn set waiting for candidates)."""
    from ..data import prompts_from
    from ..collect.store import Store
    from ..collect.study import load_study

    study = load_study(study_file)
    store = Store(study)
    store.migrate()
    store.add_prompts(prompts_from(study.prompts_source))  # the limit is per language: add_prompts keeps it
    return store


@commands.command(epilog="""
**Example**

    pluralign collect invite pilot.toml -n 20 --language fr --label "panel A" --base-url https://study.example.org
""")
@guarded
def invite(
    study_file: StudyFile,
    n: Annotated[int, typer.Option("-n", help="How many invite links to make.")] = 1,
    language: Annotated[Optional[str], typer.Option(help="The pages' language for these people (default: the study's first).")] = None,
    label: Annotated[Optional[str], typer.Option(help="Your note on who these people are (shown on the admin page only).")] = None,
    base_url: Annotated[str, typer.Option(help="Where the study is served, as people will reach it.")] = "http://127.0.0.1:8800",
) -> None:
    """Make invite links, one per person. Only a hash of each link's token is stored: keep the printed links."""
    store = _open(study_file)
    language = language or store.study.languages[0]
    if language not in store.study.languages:
        raise InputError(f"language {language!r} is not one of the study's ({', '.join(store.study.languages)})")
    for token in store.invite(n, language, label):
        out.print(f"{base_url.rstrip('/')}/a/{token}", highlight=False, soft_wrap=True)


@commands.command(epilog="""
**Example**

    PLURALIGN_COLLECT_PASSWORD=... pluralign collect serve pilot.toml --port 8800
    pluralign collect serve pilot.toml --allow-host study.example.org    # behind a TLS reverse proxy
    pluralign collect serve pilot.toml --workers 4                      # a panel arriving at once (PostgreSQL)

Annotators open their invite links (`pluralign collect invite`); you open /admin with the user name admin and the
password. Beyond loopback, serve it behind a reverse proxy that speaks HTTPS (README: collect).
""")
@guarded
def serve(
    study_file: StudyFile,
    host: Annotated[str, typer.Option(help="Address to listen on; anything but loopback is reachable from your network.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8800,
    password: Annotated[Optional[str], typer.Option(envvar=PASSWORD_VARIABLE, help="The admin pages' password, 12 characters at least (default: a new one, printed).")] = None,
    rate: Annotated[int, typer.Option(min=1, help="Requests per minute one invite link may make.")] = 120,
    allow_host: Annotated[list[str], typer.Option(help="A host name people reach the server by (a proxy's name), besides loopback and --host; requests naming any other host are refused.")] = [],
    workers: Annotated[int, typer.Option(min=1, help="Processes answering requests; the candidate worker (and an active study's refits) run once, in this command's own process. Meant for PostgreSQL: SQLite takes one writer at a time.")] = 1,
) -> None:
    """Serve a study: consent, survey and tasks for annotators; progress, agreement, value-pole coverage and exports
    for you. Candidate sets for first turns are written ahead by a background worker, a later turn's set as soon as
    someone asks; the study's value judge places each answer on the value axes as it is written. The models are
    loaded when the worker first has a set to write."""
    from ..collect.app import create_app, for_workers
    from ..collect.background import Background, end_now
    from ..serving import check_address, serve

    check_address(host, port)
    os.environ.pop(PASSWORD_VARIABLE, None)  # not for the workers, nor any child (a vLLM engine): they get a digest
    store = _open(study_file)
    generated = password is None
    password = secrets.token_urlsafe(12) if generated else password
    hosts = [*allow_host, *([] if host in ("0.0.0.0", "::") else [host])]
    app = create_app(store, password, rate, hosts) if workers == 1 else \
        for_workers(store, study_file, password, rate, hosts)
    background = Background(store)
    background.start()
    if generated:
        out.print(f"admin password: {password}", highlight=False)
    if host not in ("127.0.0.1", "localhost", "::1"):
        err.print(f"[yellow]note:[/] listening on {host}: anyone who can reach it can open the invite and admin pages; "
                  "put it behind a reverse proxy that speaks HTTPS")
    out.print(f"pluralign collect: http://{host}:{port}/admin  (Ctrl-C to stop)", highlight=False)
    try:
        # idle connections kept 30 s: a person reading the answers reuses theirs for the submit
        serve(app, host, port, timeout_keep_alive=30, workers=workers, factory=workers > 1)
    finally:
        stopped = background.stop()
    if not stopped:  # a thread is inside a model: finalising would abort the process (collect/background.py)
        note("stopped while a model was at work; its candidate sets stay pending and are written at the next start")
        end_now()


@commands.command(epilog="""
**Examples**

    pluralign collect export pilot.toml --out pilot-ca.parquet
    pluralign collect export pilot.toml --shape comparisons --out choices.jsonl
    pluralign learn --data collect:pilot.db --estimator mixture --group country --out runs/pilot
""")
@guarded
def export(
    study_file: StudyFile,
    out_file: Annotated[Path, typer.Option("--out", "-o", help="File to write (.csv, .jsonl or .parquet).")],
    shape: Annotated[str, typer.Option(help="ca (Community Alignment's wide shape), comparisons (one row per choice), trl (TRL's pairwise shape) or annotators.")] = "ca",
    force: Annotated[bool, typer.Option(help="Replace OUT if it exists.")] = False,
) -> None:
    """Write the choices collected so far. With --shape trl, a warning when the study's prompts come from a dataset
    whose card restricts training or commercial use."""
    from ..collect.export import export_table, write_export
    from ..collect.study import load_study
    from ..data import card, source_card

    study = load_study(study_file)
    table = export_table(study, shape)
    if shape == "trl":
        warn_restricted([card("collect"), source_card(study.prompts_source, "prompts")])
    write_export(table, out_file, force)
    out.print(f"{len(table)} rows → {out_file}", highlight=False)
