"""/coach: parse, acknowledge at once, then do the work and answer in as many messages as it takes."""
from __future__ import annotations

import logging

from slack_sdk.web.async_client import AsyncWebClient

from bot.core.commands import Command, help_text, spec_of, unknown_text
from bot.core.identity import Actor
from bot.core.outage import DB_DOWN, UNAVAILABLE
from bot.core.screen import screen_of
from bot.slack import blocks, scopes
from bot.slack.auth import actor_of
from bot.slack.inbound import loose_handles, parse_command
from bot.slack.listeners.nudges import NOT_OPENED_COMMAND
from bot.slack.listeners.show import Delivery
from bot.slack.org_chart import OrgChart
from flows.outputs import Say

log = logging.getLogger("coachbot.slack")
# How long a request waits for users.info before going on with the names it has. A trigger_id
# lives 3 s and an acknowledgement is due within 3 s; a slow or rate-limited users.info finishes in
# the background and its names replace the stand-ins in the database when they arrive.
PROFILE_WAIT = 0.5


class CommandListeners(Delivery):
    """/coach and direct messages to the bot."""

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
        self.later(self.run_command(cmd, command, respond, client, actor_of(context)), tell=respond)

    async def run_command(self, cmd: Command, command: dict, respond, client: AsyncWebClient, actor: Actor) -> None:
        """The work of a /coach command, after it was acknowledged."""
        try:
            await self._run_command(cmd, command, respond, client, actor)
        except UNAVAILABLE:
            log.warning("database unavailable during /coach %s", cmd.name, exc_info=True)
            await respond(response_type="ephemeral", replace_original=False,
                          **blocks.message(Say(DB_DOWN, tone="warning")))

    async def _run_command(self, cmd: Command, command: dict, respond, client: AsyncWebClient, actor: Actor) -> None:
        syncing = cmd.name == "team" and bool(cmd.args) and cmd.args[0].lower() == "sync"
        # team sync is for admins: wait for users.info to say whether the actor is one
        await self.refresh(client, actor, command.get("user_name", ""), cmd.people,
                           wait=None if syncing else PROFILE_WAIT)
        if syncing:
            for output in await OrgChart(self.service).sync(client, actor, cmd.args[1:]):
                await self.reply(respond, output)
            await self._tell_gaps(respond, actor)  # e.g. users:read missing: nobody's admin flag is known
            return
        if spec_of(cmd).form_when_bare and not cmd.args:
            view = blocks.settings_view(await self.service.account.settings(actor))
            await self._open_or_say(respond, client, command["trigger_id"], view)
            return
        screen = screen_of(await self.service.command(actor, cmd, channel=command.get("channel_id")))
        if screen.prompt is not None:
            await self._open_or_say(respond, client, command["trigger_id"], self.view_of(screen))
            return

        async def answer(output) -> None:
            await self.reply(respond, output, client=client, actor=actor)
        await self.deliver(client, actor, screen, answer)
        await self._tell_gaps(respond, actor)

    async def _open_or_say(self, respond, client: AsyncWebClient, trigger_id: str, view: dict) -> None:
        """Open the command's form, or tell the person privately that Slack refused it (else nothing happens)."""
        if not await self.open_view(client, trigger_id, view):
            await respond(response_type="ephemeral", replace_original=False,
                          **blocks.message(Say(NOT_OPENED_COMMAND, tone="warning")))

    async def _tell_gaps(self, respond, actor: Actor) -> None:
        """Explain the permissions this workspace's install lacks that the person hasn't heard of yet."""
        for gap in self.scope_gaps.untold(actor.workspace, actor.user):
            await self.reply(respond, Say(scopes.explain(gap), tone="warning"))

    async def on_message(self, event: dict, say) -> None:
        if event.get("channel_type") == "im" and not event.get("subtype") and not event.get("bot_id"):
            self.later(say(**blocks.message(Say("I work through the /coach command.\n\n" + help_text()))))
