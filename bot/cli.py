"""The `coachbot` command line."""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import typer

from bot.ops.settings import Settings

app = typer.Typer(help="coachbot — a coach for sales managers in Slack, Teams and the console.",
                  no_args_is_help=True, add_completion=False)


def _settings(database_url: str | None) -> Settings:
    try:
        settings = Settings()
    except Exception as exc:  # pydantic's ValidationError, shown without a traceback
        typer.echo(f"Configuration error: {exc}", err=True)
        raise typer.Exit(2)
    if database_url:
        settings.database_url = database_url
    return settings


def _with_db(settings: Settings, work):
    """Run `work(db)` against a migrated database and close it."""
    from storage.db import Database

    async def run():
        db = Database(settings.database_url)
        try:
            await db.migrate()
            return await work(db)
        finally:
            await db.close()
    return asyncio.run(run())


def _cipher(settings: Settings):
    from bot.ops.keys import MissingKey, load_cipher

    try:
        return load_cipher(settings, allow_generate=False)[0]
    except MissingKey as exc:
        typer.echo(f"Configuration error: {exc}", err=True)
        raise typer.Exit(2)


@app.command()
def demo(
    database_url: str = typer.Option(None, "--db", help="Database URL (default: DATABASE_URL or ./coachbot.db)."),
    user: str = typer.Option("sam", "--as", help="Who you are at the start (a handle, without @)."),
) -> None:
    """An interactive console chat with the coach on the embedded default database."""
    from bot.core.clock import SimulatedClock
    from bot.console.app import ConsoleDemo, make_writer, run
    from bot.ops.keys import load_cipher
    from bot.core.identity import NewPerson
    from bot.core.service import CoachService
    from storage.db import Database

    settings = _settings(database_url)

    async def main() -> None:
        db = Database(settings.database_url)
        try:
            await db.migrate()
            cipher, source = load_cipher(settings, allow_generate=True)
            clock = SimulatedClock()
            service = CoachService(db, cipher, clock, defaults=NewPerson.from_settings(settings))
            write = make_writer(sys.stdout)
            write(f"coachbot demo — data in {db.url} (notes encrypted with {source}).", "dim")
            await run(ConsoleDemo(service, clock, user=user.lstrip("@").lower(), write=write,
                                  default_tz=settings.default_timezone))
        finally:
            await db.close()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        typer.echo("\nBye. Anything unfinished is saved.")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on (0.0.0.0 for all)."),
    port: int = typer.Option(3978, help="Port to listen on."),
    no_scheduler: bool = typer.Option(False, "--no-scheduler", help="Do not run the nudge scheduler here."),
) -> None:
    """Serve Slack (/slack/events, OAuth install), Teams (/api/messages), webhooks, health checks and the scheduler."""
    from bot.ops.keys import MissingKey
    from bot.ops.observe import configure_logging
    from bot.server import serve as run_server

    settings = _settings(None)
    problem = settings.slack_problem()
    if problem:
        typer.echo(f"Configuration error: {problem}", err=True)
        raise typer.Exit(2)
    configure_logging(settings.log_format)
    try:
        asyncio.run(run_server(settings, host, port, scheduler=not no_scheduler))
    except MissingKey as exc:
        typer.echo(f"Configuration error: {exc}", err=True)
        raise typer.Exit(2)


@app.command("teams-package")
def teams_package(
    app_id: str = typer.Option(None, "--app-id", help="The bot's Entra app id (default: TEAMS_APP_ID)."),
    out: Path = typer.Option(Path("coachbot-teams.zip"), "--out", help="Where to write the zip."),
    version: str = typer.Option(None, "--version", help="App version, e.g. 1.0.1 (bump it for every upload)."),
) -> None:
    """Zip the Teams app package (manifest + icons) to upload in Teams or the Developer Portal."""
    from bot.teams.package import PackageError, build_package

    settings = _settings(None)
    try:
        path = build_package(app_id or settings.teams_app_id or "", out, version=version)
    except PackageError as exc:
        typer.echo(f"Can't build the package: {exc}", err=True)
        raise typer.Exit(2)
    typer.echo(f"Wrote {path} — upload it in Teams: Apps → Manage your apps → Upload an app.")


@app.command()
def migrate(database_url: str = typer.Option(None, "--db", help="Database URL (default: DATABASE_URL).")) -> None:
    """Bring the database schema up to date (Alembic upgrade to head)."""
    from storage.db import migrate as run_migrations

    settings = _settings(database_url)
    run_migrations(settings.database_url)
    typer.echo("Database is up to date.")


export_app = typer.Typer(help="Export data: retrospectives as CSV, one person's data as JSON.", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("retros")
def export_retros(
    since: str = typer.Option(..., help="First loss date to include, e.g. 2026-01-01."),
    fmt: str = typer.Option("csv", "--format", help="Only csv for now."),
    workspace: str = typer.Option(None, help="platform:id, e.g. slack:T0123 (needed when there are several)."),
    output: str = typer.Option("-", "--output", "-o", help="File to write, or - for standard output."),
    database_url: str = typer.Option(None, "--db", help="Database URL (default: DATABASE_URL)."),
) -> None:
    """Loss retrospectives as CSV: deal, amount, rep, manager, reasons, status."""
    from datetime import date

    from bot.ops.export import ExportError, retros_csv

    if fmt != "csv":
        typer.echo(f"Unknown format “{fmt}”: only csv is supported.", err=True)
        raise typer.Exit(2)
    try:
        start = date.fromisoformat(since)
    except ValueError:
        typer.echo(f"--since must be a date like 2026-01-01 (got “{since}”).", err=True)
        raise typer.Exit(2)
    settings = _settings(database_url)
    try:
        text = _with_db(settings, lambda db: retros_csv(db, since=start, workspace=workspace))
    except ExportError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2)
    if output == "-":
        sys.stdout.write(text)
    else:
        with open(output, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        typer.echo(f"Wrote {text.count(chr(10)) - 1} retrospectives to {output}.", err=True)


@app.command()
def nudges(
    show_failed: bool = typer.Option(False, "--failed", help="List failed nudges with their reasons."),
    database_url: str = typer.Option(None, "--db", help="Database URL (default: DATABASE_URL)."),
) -> None:
    """Scheduled nudges by status — and, with --failed, what went wrong (nothing disappears silently)."""
    from storage import nudges as repo

    async def look(db):
        async with db.session() as s:
            return await repo.counts(s), (await repo.failed(s) if show_failed else [])

    counts, failed = _with_db(_settings(database_url), look)
    typer.echo("  ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "No nudges yet.")
    for n in failed:
        typer.echo(f"#{n.id} {n.kind} to person {n.recipient_id}, due {n.due_at:%Y-%m-%d %H:%M} UTC, "
                   f"{n.attempts} attempt(s): {n.last_error}")


@app.command()
def forget(
    who: str = typer.Argument(..., help="The person's platform user id: U0123ABC, @U0123ABC or <@U0123ABC|name>."),
    workspace: str = typer.Option(None, help="Slack team id or Teams tenant id, when the id is in several."),
    yes: bool = typer.Option(False, "--yes", help="Don't ask for confirmation."),
    database_url: str = typer.Option(None, "--db", help="Database URL (default: DATABASE_URL)."),
) -> None:
    """Erase one person's personal data (plans about them, their check-ins, retrospectives, drafts, nudges)."""
    from bot.ops.data_rights import PersonNotFound, forget as erase

    settings = _settings(database_url)
    cipher = _cipher(settings)  # queued messages for others are read to find the ones quoting this person
    if not yes and not typer.confirm(f"Erase everything stored about {who}? This can't be undone."):
        raise typer.Exit(1)
    try:
        name, counts = _with_db(settings, lambda db: erase(db, cipher, who, workspace=workspace))
    except PersonNotFound as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2)
    typer.echo(f"Erased {name}: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()) + ".")
    typer.echo("coachbot holds nothing of them any more, queued messages included. Messages it already "
               "delivered stay in Slack or Teams: delete them there if they must go too.")


@export_app.command("person")
def export_person(
    who: str = typer.Argument(..., help="The person's platform user id: U0123ABC, @U0123ABC or <@U0123ABC|name>."),
    workspace: str = typer.Option(None, help="Slack team id or Teams tenant id, when the id is in several."),
    output: str = typer.Option("-", "--output", "-o", help="File to write, or - for standard output."),
    database_url: str = typer.Option(None, "--db", help="Database URL (default: DATABASE_URL)."),
) -> None:
    """Everything stored about one person, decrypted, as JSON (a subject-access request)."""
    import json

    from bot.ops.data_rights import PersonNotFound, export_person as collect

    settings = _settings(database_url)
    cipher = _cipher(settings)
    try:
        data = _with_db(settings, lambda db: collect(db, cipher, who, workspace=workspace))
    except PersonNotFound as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2)
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if output == "-":
        sys.stdout.write(text)
    else:
        with open(output, "w", encoding="utf-8") as f:
            f.write(text)
        typer.echo(f"Wrote {output}.", err=True)


@app.command("import-team")
def import_team(
    path: Path = typer.Argument(..., help="CSV: workspace,rep,manager (ids or emails), optional rep_name etc."),
    database_url: str = typer.Option(None, "--db", help="Database URL (default: DATABASE_URL)."),
) -> None:
    """Confirmed reporting lines from your organisation's data: all rows or none; everyone concerned is told."""
    from bot.core.clock import SystemClock
    from bot.core.org_lines import ImportRefused, import_file, summary

    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        typer.echo(f"Can't read {path}: {exc}", err=True)
        raise typer.Exit(2)
    settings = _settings(database_url)
    cipher = _cipher(settings)  # the messages telling people of their new line are stored encrypted
    try:
        done = _with_db(settings, lambda db: import_file(db, cipher, SystemClock(), settings, text))
    except ImportRefused as exc:
        typer.echo("Nothing was imported:\n" + "\n".join(exc.problems), err=True)
        raise typer.Exit(1)
    typer.echo(summary(done))


@app.command("rotate-key")
def rotate_key(database_url: str = typer.Option(None, "--db", help="Database URL (default: DATABASE_URL).")) -> None:
    """Re-encrypt every stored note with COACHBOT_ENCRYPTION_KEY (put the old key in COACHBOT_PREVIOUS_KEYS)."""
    from bot.ops.data_rights import rotate_key as rotate

    settings = _settings(database_url)
    if not settings.coachbot_previous_keys:
        typer.echo("Set COACHBOT_PREVIOUS_KEYS to the old key (and COACHBOT_ENCRYPTION_KEY to the new one) first; "
                   "without the old key the notes can't be read to re-encrypt them.", err=True)
        raise typer.Exit(2)
    cipher = _cipher(settings)
    try:
        counts = _with_db(settings, lambda db: rotate(db, cipher))
    except ValueError as exc:
        typer.echo(f"Nothing was changed: {exc}", err=True)
        raise typer.Exit(2)
    typer.echo("Re-encrypted " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items())
               + ". You can now drop the old key from COACHBOT_PREVIOUS_KEYS.")


@app.command()
def keygen() -> None:
    """Print a new key for COACHBOT_ENCRYPTION_KEY."""
    from storage.crypto import NotesCipher

    typer.echo(NotesCipher.generate_key())
