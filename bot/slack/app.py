"""Bolt listeners: parse a Slack payload, call the service, render its outputs back into Slack.

Slack wants an acknowledgement within 3 seconds. The app runs with process_before_response=True,
so a listener's response goes out as soon as the listener returns (Bolt's other mode polls for the
ack every 10 ms per request). Listeners therefore ack, then hand slow work — Web API calls, DMs,
home refreshes — to `later()`, a tracked background task. Modal submissions run the (millisecond)
flow turn before the ack because Slack needs its result (errors, the next step) in the ack itself.
"""
from __future__ import annotations

import asyncio
import json
import logging
import re

import aiohttp
import orjson
from typing import Any, Awaitable

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.listener.async_builtins import AsyncTokenRevocationListeners
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler, AsyncRateLimitErrorRetryHandler, AsyncServerErrorRetryHandler,
)
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.commands import Command, PersonRef, help_text, spec_of, unknown_text
from bot.core.outage import DB_DOWN, UNAVAILABLE
from bot.core.views import LossPrompt, ReportView, ThreadReply, last_of, plain_text
from bot.core.identity import UNKNOWN_NAME, Actor
from bot.core.profiles import Profile, ProfileRefresher
from bot.core.retros import parse_amount
from bot.core.service import CoachService
from bot.ops.settings import Settings
from bot.slack import blocks, scopes
from bot.slack.tokens import client_with
from bot.slack.inbound import deal_from_message, loose_handles, parse_command
from flows.engine import Action, Answer
from flows.outputs import Cancelled, Done, Notify, Prompt, Refused, Say
from storage import events, slack_tables

log = logging.getLogger("coachbot.slack")
# What each scope is for: commands (/coach), chat:write (DMs, channel prompts, ephemeral notes),
# users:read (names, time zones), users:read.email (CRM owners by email), im:history (the DM
# history a re-sent nudge is checked against, and message.im events), im:write (opening a DM),
# files:write (the /coach report chart). slack/manifest.json must ask for the same list.
SCOPES = ["commands", "chat:write", "users:read", "users:read.email", "im:history", "im:write", "files:write"]
NOT_INSTALLED = (":warning: coachbot isn't installed in this workspace, so nothing was done. "
                 "A Slack admin can add it from the app's install page (/slack/install).")
# How long a request waits for users.info before going on with the names it has. A trigger_id
# lives 3 s and an acknowledgement is due within 3 s; a slow or rate-limited users.info finishes in
# the background and its names replace the stand-ins in the database when they arrive.
PROFILE_WAIT = 0.5
PICKED_WAIT = 2.0  # a form names a person only by id: worth waiting longer for their name (still < 3 s)
RESPONSES_PER_URL = 5  # messages a response_url takes (docs.slack.dev/interactivity/handling-user-interaction)


def sdk_logger() -> logging.Logger:
    """The logger for slack_sdk clients, with an explicit level.

    slack_sdk compares its logger's *own* level with DEBUG before building a debug line that holds the
    whole request; a logger left at NOTSET passes that test, so every call formatted and discarded
    one. An explicit INFO (or DEBUG when asked for) makes that cost disappear.
    """
    sdk = logging.getLogger("coachbot.slack_sdk")
    if sdk.level == logging.NOTSET:
        sdk.setLevel(logging.DEBUG if logging.getLogger("slack_sdk").isEnabledFor(logging.DEBUG) else logging.INFO)
    return sdk


def web_client(settings: Settings) -> AsyncWebClient:
    """A Web API client on SLACK_API_URL that retries 429 (after Retry-After), 5xx and network errors."""
    return AsyncWebClient(
        base_url=settings.slack_api_url,
        timeout=10,
        logger=sdk_logger(),
        retry_handlers=[
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
        ],
    )


class SlackSurface:
    """Everything Slack contributes to the server: the Bolt app, its listeners and the CRM intake."""

    def __init__(self, app: AsyncApp, listeners: "SlackListeners", intake, sender,
                 authorize: "SingleWorkspaceAuthorize | None" = None):
        self.app = app
        self.listeners = listeners
        self.intake = intake
        self.sender = sender
        self.authorize = authorize

    def start(self) -> None:
        """Learn the single token's workspace now, so no request has to wait for auth.test; a token
        that works means the app is installed there (again, perhaps)."""
        if self.authorize is None:
            return

        async def learn() -> None:
            team = (await self.authorize.identity(self.app.client)).get("team_id")
            if team:
                await self.listeners.service.workspace_back("slack", team)
        self.listeners.later(learn())


def build_slack(settings: Settings, service: CoachService) -> SlackSurface:
    """The Bolt app and what hangs off it, configured from settings."""
    from bot.slack.intake import SlackIntake

    listeners = SlackListeners(service, ProfileRefresher(service.db, service.clock,
                                                         renamed=service.steps.forget_about))
    single = None if settings.slack_oauth else SingleWorkspaceAuthorize(settings.slack_bot_token.get_secret_value())
    app = build_app(settings, listeners, single)
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token and not settings.slack_oauth \
        else None
    from bot.slack.sender import SlackSender

    sender = SlackSender(app, bot_token=token)
    listeners.workspace_gone = sender.forget
    return SlackSurface(app, listeners, SlackIntake(app, listeners, bot_token=token, authorize=single,
                                                    deal_channel=settings.crm_deal_channel), sender, single)


def build_app(settings: Settings, listeners: "SlackListeners", single: "SingleWorkspaceAuthorize | None") -> AsyncApp:
    """The Bolt app: multi-workspace OAuth when client id/secret are set, else the one SLACK_BOT_TOKEN
    (`single` authorizes with it)."""
    service = listeners.service
    client = web_client(settings)
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    common = dict(
        signing_secret=secret,
        client=client,
        process_before_response=True,
        user_facing_authorize_error_message=NOT_INSTALLED,
        # Socket Mode without a signing secret: the websocket is authenticated by the app token, and
        # the server does not mount /slack/events at all (see bot.server), so nothing goes unverified.
        request_verification_enabled=secret is not None,
    )
    if single is None:
        engine = service.db.engine
        client_id = settings.slack_client_id or ""
        store = AsyncSQLAlchemyInstallationStore(client_id=client_id, engine=engine,
                                                 bots_table_name=slack_tables.BOTS,
                                                 installations_table_name=slack_tables.INSTALLATIONS)
        state_store = AsyncSQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine,
                                                     table_name=slack_tables.OAUTH_STATES)
        app = AsyncApp(
            **common,
            authorize=StoredBotAuthorize(store),
            installation_store=store,
            oauth_settings=AsyncOAuthSettings(
                client_id=client_id,
                client_secret=settings.slack_client_secret.get_secret_value(),
                scopes=SCOPES,
                installation_store=store,
                state_store=state_store,
                install_path="/slack/install",
                redirect_uri_path="/slack/oauth_redirect",
            ),
        )
        listeners.revocation = AsyncTokenRevocationListeners(store)
        flow = app.oauth_flow
        installed = flow.success_handler

        async def on_installed(args) -> BoltResponse:
            team = args.installation.team_id or args.installation.enterprise_id or ""
            await service.workspace_back("slack", team)
            listeners.scope_gaps.forget(team)
            return await installed(args)
        flow.success_handler = on_installed
    else:
        app = AsyncApp(**common, authorize=single)
    listeners.register(app)
    return app


class SingleWorkspaceAuthorize(AsyncAuthorize):
    """Authorize with one bot token, and only for the workspace that token belongs to.

    Which workspace that is comes from one auth.test, made when the server starts (`identity`), so
    no request waits for it before its acknowledgement. A subclass rather than a function: Bolt
    calls it as is instead of inspecting a function's parameters on every request.
    """

    def __init__(self, token: str):
        super().__init__()
        self.token = token
        self.auth: dict[str, Any] | None = None

    async def identity(self, client: AsyncWebClient) -> dict[str, Any]:
        """auth.test for the token, once per process."""
        if self.auth is None:
            self.auth = (await client.auth_test(token=self.token)).data
        return self.auth

    async def __call__(self, *, context, enterprise_id, team_id, user_id, **_actor) -> AuthorizeResult | None:
        auth = await self.identity(context.client)
        if team_id and team_id != auth.get("team_id"):
            return None
        if not team_id and enterprise_id and enterprise_id != auth.get("enterprise_id"):
            return None
        return AuthorizeResult(enterprise_id=auth.get("enterprise_id"), team_id=auth.get("team_id"),
                               bot_token=self.token, bot_id=auth.get("bot_id"), bot_user_id=auth.get("user_id"))


class StoredBotAuthorize(AsyncAuthorize):
    """Authorize from the installation stored at OAuth time, with no Web API call.

    Bolt's own installation-store authorize calls auth.test on every request, before the
    acknowledgement and before any views.open: a slow or rate-limited auth.test would make Slack
    give up on the request and expire its trigger. The stored bot row already holds what
    auth.test would say (bot id, bot user id, team); a token that stopped working shows up as a
    failed call, and app_uninstalled / tokens_revoked remove the row.
    """

    def __init__(self, store: AsyncSQLAlchemyInstallationStore):
        super().__init__()
        self.store = store

    async def __call__(self, *, context, enterprise_id, team_id, user_id, **_actor) -> AuthorizeResult | None:
        bot = await self.store.async_find_bot(enterprise_id=enterprise_id, team_id=team_id,
                                              is_enterprise_install=context.is_enterprise_install)
        if bot is None or not bot.bot_token:
            return None
        return AuthorizeResult(enterprise_id=bot.enterprise_id, team_id=bot.team_id, bot_token=bot.bot_token,
                               bot_id=bot.bot_id, bot_user_id=bot.bot_user_id, bot_scopes=bot.bot_scopes)


class SkipRedeliveredEvents(AsyncMiddleware):
    """Slack retries an event it thinks was missed; act on each event id once, across replicas.

    A middleware class rather than a function: Bolt calls it directly instead of building the
    keyword arguments a function middleware may ask for, and it runs on every request.
    """

    def __init__(self, service: CoachService):
        self.service = service

    async def async_process(self, *, req, resp, next):
        body = req.body
        event_id = body.get("event_id") if isinstance(body, dict) else None
        if event_id and body.get("type") == "event_callback":
            async with self.service.db.session() as s:
                first = await events.first_sighting(s, event_id=event_id, team_id=req.context.team_id or "",
                                                    now=self.service.clock.now())
            if not first:
                log.info("ignoring redelivered event %s", event_id)
                return BoltResponse(status=200, body="")
        return await next()


def actor_of(context) -> Actor:
    """The neutral actor for a Bolt request (the workspace is the team, or the org for org-wide apps)."""
    return Actor("slack", context.team_id or context.enterprise_id or "", context.user_id or "")


class SlackListeners:
    def __init__(self, service: CoachService, refresher: ProfileRefresher):
        self.service = service
        self.refresher = refresher
        self.revocation: AsyncTokenRevocationListeners | None = None  # OAuth: forgets uninstalled workspaces
        self.workspace_gone = lambda team: None  # set by build_slack: drop what is cached for a workspace
        self.scope_gaps = scopes.Gaps()
        self._background: set[asyncio.Task] = set()

    def later(self, work: Awaitable[None]) -> asyncio.Task:
        """Run `work` after the response has gone to Slack; failures are logged, never swallowed."""
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background Slack work failed", exc_info=task.exception())

    def register(self, app: AsyncApp) -> None:
        app.middleware(SkipRedeliveredEvents(self.service))
        app.command("/coach")(self.on_command)
        app.view(blocks.FLOW_STEP)(self.on_step)
        app.view_closed(blocks.FLOW_STEP)(self.on_step_closed)
        app.view(blocks.SETTINGS)(self.on_settings)
        app.view(blocks.PICK_REP)(self.on_pick_rep)
        app.view(blocks.LOST_DEAL)(self.on_lost_deal)
        app.action("retro_start")(self.on_retro_start)
        # "nudge_checkin" (messages posted before action ids were unique per block) or "nudge_checkin.stuck"
        app.action(re.compile("^(" + "|".join(self.service.buttons.actions) + r")(\.[\w-]+)?$"))(self.on_nudge_button)
        app.shortcut("start_loss_retro")(self.on_loss_shortcut)
        app.action("flow_back")(self.on_back)
        app.action("flow_discard")(self.on_discard)
        app.action("home_resume")(self.on_home_resume)
        app.action("home_start_talk")(self.on_home_start_talk)
        app.shortcut("start_talk")(self.on_home_start_talk)
        app.action("home_checkin")(self.on_home_checkin)
        app.action("home_checked_in")(self.on_home_checked_in)
        app.action("home_settings")(self.on_home_settings)
        app.action(blocks.SHOW_ALL)(self.on_home_page)
        app.action(re.compile("^" + blocks.HOME_PAGE + r"\.(prev|next)$"))(self.on_home_page)
        app.event("app_home_opened")(self.on_home_opened)
        app.event("message")(self.on_message)
        # Answered in every install mode, so Slack never retries them: both stop the workspace's nudges.
        app.event("app_uninstalled")(self.on_uninstalled)
        app.event("tokens_revoked")(self.on_tokens_revoked)

    # ---- /coach ------------------------------------------------------------------------------

    async def on_command(self, ack, command: dict, respond, client: AsyncWebClient, context) -> None:
        cmd = parse_command(command.get("text", ""))
        unknown = loose_handles(command.get("text", ""))
        if unknown:
            names = ", ".join(f"“@{n}”" for n in unknown)
            await ack(**blocks.message(Say(
                f"I can't tell who {names} is: Slack sends a person only when you pick them from the list that "
                f"appears as you type @. Try again and choose them there.", tone="error")))
            return
        spec = spec_of(cmd)
        if spec is None:
            await ack(**blocks.message(Say(f"{unknown_text(cmd.name)}\n\n{help_text()}", tone="error")))
            return
        if spec.name == "help":  # answered in the acknowledgement itself: nothing to look up
            await ack(**blocks.message(Say(help_text())))
            return
        await ack()
        self.later(self.run_command(cmd, command, respond, client, actor_of(context)))

    async def run_command(self, cmd: Command, command: dict, respond, client: AsyncWebClient, actor: Actor) -> None:
        """The work of a /coach command, after it was acknowledged."""
        try:
            await self._run_command(cmd, command, respond, client, actor)
        except UNAVAILABLE:
            log.warning("database unavailable during /coach %s", cmd.name, exc_info=True)
            await respond(response_type="ephemeral", replace_original=False,
                          **blocks.message(Say(DB_DOWN, tone="warning")))

    async def reply(self, respond, output, *, client: AsyncWebClient | None = None, actor: Actor | None = None) -> None:
        """An ephemeral answer to a command, in as many messages as it takes.

        A response_url takes at most five messages (docs.slack.dev/interactivity/handling-user-interaction),
        and one command may need a few: past the fourth, the rest goes to the person's DMs.
        """
        parts = blocks.messages(output)
        if len(parts) > RESPONSES_PER_URL - 1 and client is not None and actor is not None:
            for part in parts[:RESPONSES_PER_URL - 2]:
                await respond(response_type="ephemeral", replace_original=False, **part)
            await respond(response_type="ephemeral", replace_original=False, **blocks.message(Say(
                f"{len(parts) - RESPONSES_PER_URL + 2} more parts are in your DMs with coachbot.")))
            for part in parts[RESPONSES_PER_URL - 2:]:
                await client.chat_postMessage(channel=actor.user, unfurl_links=False, **part)
            return
        for part in parts:
            await respond(response_type="ephemeral", replace_original=False, **part)

    async def _run_command(self, cmd: Command, command: dict, respond, client: AsyncWebClient, actor: Actor) -> None:
        await self.refresh(client, actor, command.get("user_name", ""), cmd.people, wait=PROFILE_WAIT)
        if spec_of(cmd).form_when_bare and not cmd.args:
            await self.open_view(client, command["trigger_id"], blocks.settings_view(await self.service.account.settings(actor)))
            return
        outputs = await self.service.command(actor, cmd, channel=command.get("channel_id"))
        prompt = last_of(outputs, Prompt)
        if prompt is not None:
            intro = " ".join(o.text for o in outputs if isinstance(o, Say))
            await self.open_view(client, command["trigger_id"], blocks.prompt_view(prompt, intro or None))
            return
        for output in outputs:
            if isinstance(output, Notify):
                await self.dm(client, output.external_id, output.output, actor.workspace)
            elif isinstance(output, LossPrompt):
                problem = await self.post_loss_prompt(client, actor, output, thread_ts=None)
                if problem:
                    await self.reply(respond, Say(problem))
            elif isinstance(output, ReportView):
                await self.reply(respond, output, client=client, actor=actor)
                if output.report.reasons:
                    problem = await self.upload_chart(client, actor, output)
                    if problem:
                        await self.reply(respond, Say(problem, tone="warning"))
            else:
                await self.reply(respond, output, client=client, actor=actor)
        for gap in self.scope_gaps.untold(actor.workspace, actor.user):
            await self.reply(respond, Say(scopes.explain(gap), tone="warning"))

    async def upload_chart(self, client: AsyncWebClient, actor: Actor, view: ReportView) -> str | None:
        """The report's chart as a PNG in the person's DM with the bot (reports are never posted publicly);
        what went wrong, for the person, when it could not be delivered."""
        from bot.slack.charts import reasons_chart

        png = await asyncio.to_thread(reasons_chart, view.report)
        try:
            dm = (await client.conversations_open(users=actor.user))["channel"]["id"]
            self.scope_gaps.works(actor.workspace, "im:write")
            await client.files_upload_v2(channel=dm, content=png, filename="loss-reasons.png",
                                         title=f"Why deals were lost — {view.report.period.label}")
            self.scope_gaps.works(actor.workspace, "files:write")
        except SlackApiError as exc:
            log.warning("chart upload failed: %s", _error(exc))
            gap = self.scope_gaps.note(actor.workspace, exc)
            if gap:
                self.scope_gaps.told(actor.workspace, actor.user, gap)
                return scopes.explain(gap)
            return "The chart couldn't be delivered to your DMs this time; the report above is complete."
        return None

    async def post_loss_prompt(self, client: AsyncWebClient, actor: Actor, prompt: LossPrompt,
                               thread_ts: str | None) -> str | None:
        """Post the lost-deal prompt in its channel (or DM the rep if the bot can't post there)."""
        message = blocks.loss_prompt_message(prompt)
        channel = prompt.channel or prompt.rep_external_id
        try:
            sent = await client.chat_postMessage(channel=channel, thread_ts=thread_ts, unfurl_links=False, **message)
        except SlackApiError as exc:
            if _error(exc) not in ("not_in_channel", "channel_not_found", "is_archived"):
                log.error("posting a loss prompt failed: %s", _error(exc))
                gap = self.scope_gaps.note(actor.workspace, exc)
                why = scopes.explain(gap) + " " if gap else ""
                return f"{why}I couldn't post the retrospective prompt; the rep can still start it with /coach retro."
            sent = None
        if sent is None:
            try:
                sent = await client.chat_postMessage(channel=prompt.rep_external_id, unfurl_links=False, **message)
            except SlackApiError as exc:
                log.error("DM of a loss prompt failed: %s", _error(exc))
                gap = self.scope_gaps.note(actor.workspace, exc)
                why = scopes.explain(gap) + " " if gap else ""
                return f"{why}I couldn't reach the rep either; they can start it with /coach retro."
            note = ("I'm not in that channel, so I sent the prompt to the rep directly. Invite me "
                    "(/invite @coachbot) to post lost deals there.")
        else:
            note = None
        await self.service.retros.record_prompt((actor.platform, actor.workspace), prompt.retro_id,
                                                sent["channel"], thread_ts or sent["ts"])
        return note

    # ---- flow modals -------------------------------------------------------------------------

    async def on_step(self, ack, body: dict, view: dict, client: AsyncWebClient, context) -> None:
        actor = actor_of(context)
        meta = _meta(view.get("private_metadata"))
        if meta is None:
            await ack(response_action="update", view=blocks.notice_view("Out of date", "This form is from an older "
                      "version of coachbot. Run the command again to continue where you left off."))
            return
        value = blocks.read_answer(view.get("state", {}).get("values", {}), meta.get("kind", ""))
        try:
            outputs = await self.service.answer(actor, Answer(value, version=meta.get("v"), step=meta.get("step")),
                                                meta.get("sid"))
        except UNAVAILABLE:
            log.warning("database unavailable while answering a step", exc_info=True)
            await ack(errors_ack(view, {blocks.ANSWER_BLOCK: DB_DOWN}))
            return
        prompt, refused, done = last_of(outputs, Prompt), last_of(outputs, Refused), last_of(outputs, Done)
        cancelled = last_of(outputs, Cancelled)
        if prompt is not None and prompt.errors and refused is None and prompt.step_id == meta.get("step"):
            await ack(errors_ack(view, {blocks.ANSWER_BLOCK: " ".join(e.message for e in prompt.errors)}))
        elif prompt is not None:
            await ack(view_ack(response_action="update",
                               view=blocks.prompt_view(prompt, refused.reason if refused else None)))
        elif done is not None:
            await ack(view_ack(response_action="update", view=blocks.done_view(done)))
            self.later(self.after_done(client, actor, outputs))
        elif cancelled is not None:
            await ack(view_ack(response_action="update", view=blocks.notice_view("Discarded", cancelled.text)))
        else:
            reason = refused.reason if refused else " ".join(getattr(o, "text", "") for o in outputs)
            await ack(view_ack(response_action="update", view=blocks.notice_view("Nothing to do", reason)))

    async def on_step_closed(self, ack) -> None:
        # Every completed step is already saved; the same command picks the draft up again.
        await ack()

    async def on_back(self, ack, body: dict, action: dict, client: AsyncWebClient, context) -> None:
        await ack()
        self.later(self._nav(body, action, client, context, Action.BACK))

    async def on_discard(self, ack, body: dict, action: dict, client: AsyncWebClient, context) -> None:
        await ack()
        self.later(self._nav(body, action, client, context, Action.CANCEL))

    async def _nav(self, body, action, client, context, what: Action) -> None:
        meta = _meta(action.get("value")) or {}
        outputs = await self.service.answer(actor_of(context), Answer(action=what, version=meta.get("v"),
                                                                      step=meta.get("step")), meta.get("sid"))
        prompt, refused, cancelled = last_of(outputs, Prompt), last_of(outputs, Refused), last_of(outputs, Cancelled)
        if prompt is not None:
            view = blocks.prompt_view(prompt, refused.reason if refused else None)
        elif cancelled is not None:
            view = blocks.notice_view("Discarded", cancelled.text)
        else:
            view = blocks.notice_view("Nothing to do", refused.reason if refused else "Nothing changed.")
        try:
            await client.views_update(view_id=body["view"]["id"], hash=body["view"].get("hash"), view=view)
        except SlackApiError as exc:
            log.warning("views.update failed after %s: %s", what, _error(exc))

    async def after_done(self, client: AsyncWebClient, actor: Actor, outputs: list) -> None:
        """After a flow finishes: the summary to the actor by DM, notifications to others, fresh home tabs."""
        for output in outputs:
            if isinstance(output, ThreadReply):
                if output.channel:
                    try:
                        for part in blocks.messages(Say(output.text)):
                            await client.chat_postMessage(channel=output.channel, thread_ts=output.thread_ts,
                                                          unfurl_links=False, **part)
                    except SlackApiError as exc:
                        log.warning("thread reply failed: %s", _error(exc))
            elif isinstance(output, Notify):
                await self.dm(client, output.external_id, output.output, actor.workspace)
                await self.publish_home(client, Actor("slack", actor.workspace, output.external_id))
            elif isinstance(output, (Done, Say)):
                await self.dm(client, actor.user, output, actor.workspace)
        await self.publish_home(client, actor)

    # ---- settings and picking a rep ----------------------------------------------------------

    async def on_settings(self, ack, view: dict, context) -> None:
        values = view["state"]["values"]
        tz = (values.get("tz", {}).get("value", {}) or {}).get("value")
        try:
            errors = await self.service.account.update_settings(
                actor_of(context),
                tz=tz, clear_tz=not tz,
                work_start=values["work_start"]["value"].get("selected_time"),
                work_end=values["work_end"]["value"].get("selected_time"),
                work_days=[o["value"] for o in values["work_days"]["value"].get("selected_options") or []],
            )
        except UNAVAILABLE:
            log.warning("database unavailable while saving settings", exc_info=True)
            errors = {"tz": DB_DOWN}
        if errors:
            await ack(errors_ack(view, {k if k in ("tz", "work_end", "work_days") else "tz": v
                                        for k, v in errors.items()}))
        else:
            await ack()

    async def on_pick_rep(self, ack, body: dict, view: dict, client: AsyncWebClient, context) -> None:
        actor = actor_of(context)
        rep_id = view["state"]["values"]["rep"]["value"].get("selected_user")
        rep = PersonRef(rep_id, UNKNOWN_NAME)
        await self.refresh(client, actor, body["user"].get("name", ""), (rep,), wait=PICKED_WAIT)
        try:
            outputs = await self.service.command(actor, Command("talk", people=(rep,)))
        except UNAVAILABLE:
            log.warning("database unavailable while starting a talk", exc_info=True)
            await ack(errors_ack(view, {"rep": DB_DOWN}))
            return
        prompt = last_of(outputs, Prompt)
        if prompt is None:
            problems = [o for o in outputs if isinstance(o, Refused) or getattr(o, "tone", "") == "error"]
            await ack(errors_ack(view, {"rep": _text_of(problems or outputs)}))
            return
        intro = " ".join(o.text for o in outputs if isinstance(o, Say))
        await ack(response_action="update", view=blocks.prompt_view(prompt, intro or None))

    # ---- loss retrospectives -------------------------------------------------------------------

    async def on_retro_start(self, ack, body: dict, action: dict, client: AsyncWebClient, context) -> None:
        await ack()
        actor = actor_of(context)
        channel = (body.get("channel") or {}).get("id")

        async def work() -> None:
            try:
                retro_id = int(action.get("value", ""))
            except ValueError:
                retro_id = -1
            outputs = await self.service.retros.start(actor, retro_id)
            prompt = last_of(outputs, Prompt)
            if prompt is not None:
                await self.open_view(client, body["trigger_id"], blocks.prompt_view(prompt))
                return
            text = _text_of(outputs)
            try:
                await client.chat_postEphemeral(channel=channel or actor.user, user=actor.user,
                                                **blocks.message(Say(text)))
            except SlackApiError as exc:
                log.warning("ephemeral note failed: %s", _error(exc))
        self.later(work())

    async def on_nudge_button(self, ack, body: dict, action: dict, respond, client: AsyncWebClient, context) -> None:
        """A button on a nudge DM: do it, replace the buttons with the outcome, tell whoever else should know."""
        await ack()
        actor = actor_of(context)

        async def work() -> None:
            outputs = await self.service.buttons.press(actor, action["action_id"], action.get("value", ""))
            for output in outputs:
                if isinstance(output, Notify):
                    await self.dm(client, output.external_id, output.output, actor.workspace)
            said = [o for o in outputs if isinstance(o, (Say, Refused))]
            if said:
                outcome = " ".join(getattr(o, "reason", None) or o.text for o in said)
                try:
                    await respond(replace_original=True, **blocks.answered(body.get("message") or {}, outcome))
                except Exception as exc:  # noqa: BLE001 - the action itself is done; only the echo failed
                    log.warning("could not update the nudge message: %s", exc)
            if action["action_id"].partition(".")[0] in ("item_done", "plan_close", "nudge_checked_in"):
                await self.publish_home(client, actor)
        self.later(work())

    async def on_loss_shortcut(self, ack, body: dict, shortcut: dict, client: AsyncWebClient) -> None:
        await ack()
        message = shortcut.get("message") or {}
        deal, amount = deal_from_message(message.get("text", ""))
        author = message.get("user")
        rep = shortcut["user"]["id"] if not author or message.get("bot_id") else author
        view = blocks.lost_deal_view(deal, amount, rep, (shortcut.get("channel") or {}).get("id", ""),
                                     message.get("thread_ts") or message.get("ts"))
        self.later(self.open_view(client, shortcut["trigger_id"], view))

    async def on_lost_deal(self, ack, body: dict, view: dict, client: AsyncWebClient, context) -> None:
        actor = actor_of(context)
        values = view["state"]["values"]
        meta = json.loads(view.get("private_metadata") or "{}")
        deal = ((values.get("deal", {}).get("value") or {}).get("value") or "").strip()
        amount = ((values.get("amount", {}).get("value") or {}).get("value") or "").strip()
        rep = (values.get("rep", {}).get("value") or {}).get("selected_user")
        value = parse_amount(amount.replace(" ", "")) if amount else None
        if amount and value is None:
            await ack(errors_ack(view, {"amount": f"“{amount}” isn't an amount; try 12000 or 12k."}))
            return
        picked = PersonRef(rep, UNKNOWN_NAME) if rep and rep != actor.user else None
        await self.refresh(client, actor, body["user"].get("name", ""), (picked,) if picked else (), wait=PICKED_WAIT)
        try:
            outputs, field = await self.service.retros.log_lost(actor, deal, value, picked,
                                                                meta.get("channel") or None)
        except UNAVAILABLE:
            log.warning("database unavailable while logging a lost deal", exc_info=True)
            await ack(errors_ack(view, {"deal": DB_DOWN}))
            return
        prompt = last_of(outputs, LossPrompt)
        if prompt is None:
            await ack(errors_ack(view, {field or "deal": _text_of(outputs)}))
            return
        await ack()
        self.later(self.post_loss_prompt(client, actor, prompt, thread_ts=meta.get("thread_ts")))

    # ---- App Home ----------------------------------------------------------------------------

    async def on_home_opened(self, event: dict, client: AsyncWebClient, context) -> None:
        if event.get("tab", "home") != "home":
            return
        actor = actor_of(context)

        async def work() -> None:
            await self.refresh(client, actor, "", ())
            await self.publish_home(client, actor)
        self.later(work())

    async def publish_home(self, client: AsyncWebClient, actor: Actor) -> None:
        """Render and publish a person's home tab."""
        home = await self.service.account.home(actor)
        try:
            await client.views_publish(user_id=actor.user, view=blocks.home_view(home, self.service.clock.now()))
        except SlackApiError as exc:
            log.warning("views.publish failed: %s", _error(exc))

    async def on_home_resume(self, ack, body: dict, action: dict, client: AsyncWebClient, context) -> None:
        await ack()
        actor = actor_of(context)

        async def work() -> None:
            outputs = await self.service.resume_session(actor, action.get("value", ""))
            await self._open_outputs(client, body["trigger_id"], outputs)
        self.later(work())

    async def on_home_start_talk(self, ack, body: dict, client: AsyncWebClient) -> None:
        await ack()
        self.later(self.open_view(client, body["trigger_id"], blocks.pick_rep_view()))

    async def on_home_checkin(self, ack, body: dict, client: AsyncWebClient, context) -> None:
        await ack()
        actor = actor_of(context)

        async def work() -> None:
            outputs = await self.service.command(actor, Command("checkin"))
            await self._open_outputs(client, body["trigger_id"], outputs)
        self.later(work())

    async def on_home_checked_in(self, ack, action: dict, client: AsyncWebClient, context) -> None:
        await ack()
        actor = actor_of(context)
        rep = action.get("value", "")

        async def work() -> None:
            await self.service.command(actor, Command("checkin", people=(PersonRef(rep, rep),)))
            await self.publish_home(client, actor)
        self.later(work())

    async def on_home_settings(self, ack, body: dict, client: AsyncWebClient, context) -> None:
        await ack()
        actor = actor_of(context)

        async def work() -> None:
            view = blocks.settings_view(await self.service.account.settings(actor))
            await self.open_view(client, body["trigger_id"], view)
        self.later(work())

    async def _open_outputs(self, client, trigger_id: str, outputs: list) -> None:
        prompt = last_of(outputs, Prompt)
        if prompt is not None:
            await self.open_view(client, trigger_id, blocks.prompt_view(prompt))
        else:
            text = _text_of(outputs)
            await self.open_view(client, trigger_id, blocks.notice_view("coachbot", text or "Nothing to do."))

    async def on_home_page(self, ack, body: dict, action: dict, client: AsyncWebClient, context) -> None:
        """*Show all* on the home tab opens every item in a modal; its page buttons turn the pages."""
        await ack()
        actor = actor_of(context)
        try:
            page = max(1, int(action.get("value") or 1))
        except ValueError:
            page = 1

        async def work() -> None:
            view = blocks.home_items_view(await self.service.account.home(actor), self.service.clock.now(), page)
            if action["action_id"] == blocks.SHOW_ALL:
                await self.open_view(client, body["trigger_id"], view)
                return
            try:
                await client.views_update(view_id=body["view"]["id"], hash=body["view"].get("hash"), view=view)
            except SlackApiError as exc:
                log.warning("views.update of a home page failed: %s", _error(exc))
        self.later(work())

    # ---- the app leaves a workspace ----------------------------------------------------------

    async def on_uninstalled(self, body: dict, context) -> None:
        """app_uninstalled: forget the install and stop the workspace's nudges, saying why."""
        if self.revocation is not None:
            await self.revocation.handle_app_uninstalled_events(context)
        await self._workspace_gone(body, "coachbot was uninstalled from this Slack workspace")

    async def on_tokens_revoked(self, event: dict, body: dict, context) -> None:
        """tokens_revoked: forget the revoked tokens; a revoked bot token stops the workspace's nudges."""
        if self.revocation is not None:
            await self.revocation.handle_tokens_revoked_events(event, context)
        if (event.get("tokens") or {}).get("bot"):
            await self._workspace_gone(body, "coachbot's bot token was revoked in this Slack workspace")

    async def _workspace_gone(self, body: dict, why: str) -> None:
        team = body.get("team_id") or ""
        when = self.service.clock.now()
        stopped = await self.service.stop_nudges(
            "slack", team, f"stopped: {why} ({when:%Y-%m-%d %H:%M} UTC); re-install coachbot to resume")
        self.workspace_gone(team)
        log.warning("%s (%s): %d scheduled nudge(s) stopped", why, team, stopped)

    # ---- DMs to the bot ----------------------------------------------------------------------

    async def on_message(self, event: dict, say) -> None:
        if event.get("channel_type") == "im" and not event.get("subtype") and not event.get("bot_id"):
            self.later(say(**blocks.message(Say("I work through the /coach command.\n\n" + help_text()))))

    # ---- helpers -----------------------------------------------------------------------------

    async def refresh(self, client: AsyncWebClient, actor: Actor, user_name: str, mentioned, *,
                      wait: float | None = None) -> None:
        """Names and time zones from users.info (cached for a day), for the actor and anyone mentioned.

        The look-ups run side by side in the background; this waits for them at most `wait` seconds
        (None: until they are done). Whoever is not known by then is stored under the name Slack
        gave in the request, and renamed when users.info answers.
        """
        people = [(actor.user, user_name)] + [(p.external_id, p.name) for p in mentioned]
        tasks = [self.later(self.refresher.ensure("slack", actor.workspace, user,
                                                  self._users_info(client, actor.workspace, user), fallback))
                 for user, fallback in people]
        if wait is None:
            await asyncio.gather(*tasks)
        else:
            await asyncio.wait(tasks, timeout=wait)

    def _users_info(self, client: AsyncWebClient, team: str, user: str):
        async def fetch() -> Profile | None:
            try:
                data = (await client.users_info(user=user)).get("user") or {}
            except SlackApiError as exc:
                log.warning("users.info failed: %s", _error(exc))
                self.scope_gaps.note(team, exc)
                return None
            self.scope_gaps.works(team, "users:read")
            prof = data.get("profile") or {}
            name = prof.get("display_name") or prof.get("real_name") or data.get("real_name") or data.get("name")
            return Profile(name=name or UNKNOWN_NAME, tz=data.get("tz"), email=prof.get("email"))
        return fetch

    async def open_view(self, client: AsyncWebClient, trigger_id: str, view: dict) -> None:
        """Open a modal; an expired trigger (older than 3 s) is logged, not lost silently.

        Never retried: a trigger works once, so a second try after a 5xx or a 429 could only be
        refused (exchanged_trigger_id or expired_trigger_id).
        """
        try:
            await client_with(client, client.token, retry_handlers=[]).views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as exc:
            log.warning("views.open failed: %s", _error(exc))

    async def dm(self, client: AsyncWebClient, user: str, output: Any, workspace: str | None) -> None:
        """Send a DM (in as many messages as it takes). The client retries 429/5xx/network errors at once;
        if it still fails, what was not delivered is queued and the scheduler keeps trying with
        back-off, so nothing is dropped."""
        parts = blocks.messages(output)
        for i, part in enumerate(parts):
            try:
                await client.chat_postMessage(channel=user, unfurl_links=False, unfurl_media=False, **part)
                self.scope_gaps.works(workspace or "", "chat:write")
            except SlackApiError as exc:
                reason = _error(exc)
                self.scope_gaps.note(workspace or "", exc)
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                reason = exc.__class__.__name__
            else:
                continue
            text = plain_text(output) if i == 0 else blocks.plain_text_of(parts[i:])
            break
        else:
            return
        team = workspace
        if not team:
            log.error("DM to a user failed and no workspace is known to queue it: %s", reason)
            return
        log.warning("DM failed (%s); queued for the scheduler to retry", reason)
        await self.service.queue_message(Actor("slack", team, user), text)


def _text_of(outputs: list) -> str:
    """The words of refusals and messages among outputs, joined (for an ephemeral note or a modal error)."""
    return " ".join(getattr(o, "reason", None) or getattr(o, "text", "") for o in outputs)


def _error(exc: SlackApiError) -> str:
    """Slack's error code from a failed call, even when the body was not JSON (a proxy's 5xx page)."""
    data = getattr(exc.response, "data", None)
    return data.get("error", "unknown") if isinstance(data, dict) else f"HTTP {exc.response.status_code}"


def view_ack(**body: Any) -> str:
    """A view_submission acknowledgement as JSON text.

    Bolt passes an acknowledgement that is a single string starting with "{" through as the JSON
    body; serialising the modal here with orjson instead of letting Bolt run json.dumps over it is
    most of the cost of acknowledging a step.
    """
    return orjson.dumps(body).decode()


FIELD_ERROR_MAX = 1000  # a message under a field longer than this is shown above the form instead


def errors_ack(submitted: dict, errors: dict[str, str]) -> str:
    """Messages for the fields of the view Slack handed in: `errors` when each names an input block
    of that view (the only blocks Slack accepts there), else the same view with the messages on top."""
    inputs = {b.get("block_id") for b in submitted.get("blocks") or [] if b.get("type") == "input"}
    if errors and all(key in inputs for key in errors) and all(len(v) <= FIELD_ERROR_MAX for v in errors.values()):
        return view_ack(response_action="errors", errors=errors)
    # Not about an input, or too long to read under a field: shown whole above the same form.
    return view_ack(response_action="update", view=blocks.with_notice(submitted, " ".join(errors.values())))


def _meta(raw: str | None) -> dict | None:
    try:
        meta = json.loads(raw or "")
        return meta if isinstance(meta, dict) and meta.get("sid") else None
    except (TypeError, ValueError):
        return None

