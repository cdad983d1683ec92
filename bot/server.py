"""`coachbot serve`: one aiohttp server for Slack, Teams, OAuth installs, CRM webhooks and health checks."""
from __future__ import annotations

import asyncio
import gc
import logging
import signal

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from bot.ops import observe
from bot.core.clock import SystemClock
from bot.ops.keys import KeyWatch, load_cipher
from bot.core import untrusted
from bot.core.identity import NewPerson
from bot.core.service import CoachService
from bot.ops.settings import Settings
from bot.slack.forms import to_bolt_request as slack_request
from bot.core.crm import NewDeals
from bot.webhooks import WebhookRoutes
from storage.db import Database

log = logging.getLogger("coachbot.server")
MAX_BODY = 1024 * 1024  # Slack payloads are far smaller; anything larger is refused with 413


def build_web_app(db: Database, slack: AsyncApp | None, *, slack_http: bool = True,
                  webhooks: WebhookRoutes | None = None, teams=None, keys: KeyWatch | None = None
                  ) -> web.Application:
    """The HTTP surface: /slack/* when Slack is configured over HTTP, /api/messages for Teams, /hooks/*,
    and /healthz always (`keys`: whether this replica's key reads the notes, for /readyz)."""
    app = web.Application(client_max_size=MAX_BODY, middlewares=[observe.observe_requests])
    app.router.add_get("/metrics", observe.metrics_handler(db))
    if webhooks is not None:
        webhooks.register(app)
    if teams is not None:
        teams.register(app)

    async def healthz(_request: web.Request) -> web.Response:
        ok = await db.ping()
        return web.json_response({"ok": ok, "database": "up" if ok else "down"}, status=200 if ok else 503)

    async def readyz(_request: web.Request) -> web.Response:
        # Ready = the database answers and its schema is the one this code expects, so a load
        # balancer only sends traffic to a replica that can serve it (e.g. not mid-upgrade), and this
        # replica's key reads the notes (another replica may have started with another key).
        problem = await db.readiness() or (keys.problem if keys is not None else None)
        return web.json_response({"ready": problem is None, **({"problem": problem} if problem else {})},
                                 status=200 if problem is None else 503)

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    if slack is not None and slack_http:
        async def slack_events(request: web.Request) -> web.Response:
            stamp = request.headers.get("X-Slack-Request-Timestamp")
            if stamp is not None and untrusted.header_int(stamp) is None:
                # Bolt's verifier would raise on it (a 500); it is simply not a signed Slack request.
                return web.json_response({"ok": False, "error": "invalid request timestamp"}, status=401)
            try:
                bolt_request = await slack_request(request)
            except untrusted.Refused as exc:
                return web.json_response({"ok": False, "error": f"malformed body: {exc}"}, status=400)
            except (ValueError, UnicodeDecodeError):
                return web.json_response({"ok": False, "error": "malformed body: not valid JSON or form data"},
                                         status=400)
            return await to_aiohttp_response(await slack.async_dispatch(bolt_request))

        app.router.add_post("/slack/events", slack_events)
        flow = slack.oauth_flow
        if flow is not None:
            async def install(request: web.Request) -> web.Response:
                return await to_aiohttp_response(await flow.handle_installation(await to_bolt_request(request)))

            async def oauth_redirect(request: web.Request) -> web.Response:
                return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

            app.router.add_get(flow.install_path, install)
            app.router.add_get(flow.redirect_uri_path, oauth_redirect)
    return app


def start_scheduler(settings: Settings, db: Database, dispatcher, clock):
    """APScheduler in this process: the nudge tick and hourly housekeeping. The nudges table, not
    APScheduler's job store, is the schedule; these jobs only look at it."""
    from datetime import datetime, timezone

    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from bot.scheduler import housekeeping

    scheduler = AsyncIOScheduler(timezone="UTC")
    first = datetime.now(timezone.utc)
    scheduler.add_job(dispatcher.drain, "interval", seconds=settings.tick_seconds, max_instances=1,
                      coalesce=True, next_run_time=first, id="tick")
    scheduler.add_job(housekeeping.run, "interval", hours=1, args=[db, clock, settings.retention_months],
                      max_instances=1, coalesce=True,
                      next_run_time=first, id="housekeeping")
    scheduler.start()
    return scheduler


async def serve(settings: Settings, host: str, port: int, *, scheduler: bool = True,
                ready: asyncio.Event | None = None) -> None:
    """Run until SIGINT/SIGTERM: migrate, then serve HTTP (and Socket Mode when SLACK_APP_TOKEN is set)."""
    db = Database(settings.database_url)
    await db.migrate()
    cipher, source = load_cipher(settings, allow_generate=False)
    keys = KeyWatch(db, cipher)
    await keys.check_at_start()  # a wrong key stops here, before it writes notes the right one can't read
    clock = SystemClock()
    service = CoachService(db, cipher, clock, defaults=NewPerson.from_settings(settings))
    service.runner.on_unreadable(keys.unreadable)
    watching = asyncio.get_running_loop().create_task(keys.watch(settings.key_check_seconds))
    slack = None
    intake = None
    senders = {}
    if settings.slack_enabled:
        from bot.slack.app import build_slack

        surface = build_slack(settings, service)
        surface.start()
        slack, intake = surface.app, surface.intake
        senders["slack"] = surface.sender
    from bot.teams.endpoint import build_teams
    from bot.teams.sender import TeamsSender

    teams = build_teams(settings, service)
    senders["teams"] = TeamsSender(teams.bot)
    webhooks = WebhookRoutes(
        intake=intake,
        crm_secret=settings.crm_webhook_secret.get_secret_value() if settings.crm_webhook_secret else None,
        hubspot_secret=settings.hubspot_client_secret.get_secret_value() if settings.hubspot_client_secret else None,
        public_url=settings.public_url, new_deals=NewDeals(db, clock))
    slack_http = settings.slack_signing_secret is not None
    runner = web.AppRunner(build_web_app(db, slack, slack_http=slack_http, webhooks=webhooks, teams=teams, keys=keys),
                            access_log=None)
    await runner.setup()
    # Everything built so far (modules, flows, the apps) lives as long as the process. Moving it
    # out of the collector's sight keeps each garbage collection proportional to what requests
    # allocate, not to the whole program (a few per cent of every request's CPU under load).
    gc.collect()
    gc.freeze()
    await web.TCPSite(runner, host, port).start()
    socket_mode = None
    if slack is not None and settings.slack_app_token:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        socket_mode = AsyncSocketModeHandler(slack, settings.slack_app_token.get_secret_value())
        await socket_mode.connect_async()
    mode = "off" if slack is None else " + ".join(
        m for m, on in (("HTTP at /slack/events", slack_http), ("Socket Mode", socket_mode is not None)) if on)
    teams_mode = "anonymous (local Playground only)" if teams.anonymous else "JWT-validated"
    log.warning("coachbot serving on http://%s:%d — Slack: %s; Teams at /api/messages: %s; notes key from %s",
                host, port, mode, teams_mode, source)
    print(f"coachbot serving on http://{host}:{port} (Slack: {mode}; Teams: {teams_mode})", flush=True)
    jobs = None
    if scheduler:
        from datetime import timedelta

        from bot.scheduler.dispatch import Dispatcher

        dispatcher = Dispatcher(db, cipher, clock, senders, batch=settings.nudge_batch,
                                lease=timedelta(seconds=settings.lease_seconds), budget=settings.message_budget)
        jobs = start_scheduler(settings, db, dispatcher, clock)
        service.runner.on_queued(dispatcher.wake)
        log.warning("scheduler on: nudges every %ss as %s", settings.tick_seconds, dispatcher.owner)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if ready is not None:
        ready.set()
    try:
        await stop.wait()
    finally:
        watching.cancel()
        if jobs is not None:
            jobs.shutdown(wait=False)
        for sender in senders.values():
            await sender.close()
        if socket_mode is not None:
            await socket_mode.close_async()
        await runner.cleanup()
        await db.close()
