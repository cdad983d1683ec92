"""The one place a turn's `Screen` becomes Slack: the modal that shows it, and its messages — to the
person, to others by DM, and posts in channels."""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.identity import Actor
from bot.core.screen import Screen
from bot.core.views import LossPrompt, ReportView
from bot.slack import blocks, scopes
from bot.slack.listeners.base import ListenerBase, error_code
from bot.slack.uploads import post_chart
from bot.slack.tokens import UNANSWERED
from flows.outputs import Say

log = logging.getLogger("coachbot.slack")
RESPONSES_PER_URL = 5  # messages a response_url takes (docs.slack.dev/interactivity/handling-user-interaction)
Answer = Callable[[Any], Awaitable[None]]


class Delivery(ListenerBase):
    """Showing a turn in Slack, for every listener that runs one."""

    @staticmethod
    def view_of(screen: Screen, *, nothing_title: str = "Nothing to do") -> dict:
        """The modal that shows a turn: its step (with its note), its summary, or why nothing follows."""
        if screen.prompt is not None:
            return blocks.prompt_view(screen.prompt, screen.note)
        if screen.done is not None:
            return blocks.done_view(screen.done)
        if screen.discarded is not None:
            return blocks.notice_view("Discarded", screen.discarded)
        return blocks.notice_view(nothing_title, screen.nothing)

    async def deliver(self, client: AsyncWebClient, actor: Actor, screen: Screen, answer: Answer, *,
                      homes: bool = False) -> None:
        """A turn's messages: the person's through `answer`, posts in their channels, others' by DM (and,
        with `homes`, their home tabs refreshed: what they were sent changed what they have)."""
        for output in screen.messages:
            await answer(output)
            if isinstance(output, ReportView) and output.report.reasons:
                problem = await self.upload_chart(client, actor, output)
                if problem:
                    await answer(Say(problem, tone="warning"))
        for post in screen.posts:
            problem = await self.post_loss_prompt(client, actor, post, thread_ts=None)
            if problem:
                await answer(Say(problem))
        for notice in screen.notices:
            if not notice.queued:  # a queued one is the dispatcher's to deliver, checked against the DM history
                await self.dm(client, notice.external_id, notice.output, actor.workspace)
            if homes:
                await self.publish_home(client, Actor("slack", actor.workspace, notice.external_id))

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

    async def upload_chart(self, client: AsyncWebClient, actor: Actor, view: ReportView) -> str | None:
        """The report's chart as a PNG in the person's DM with the bot (reports are never posted publicly);
        what went wrong, for the person, when it could not be delivered."""
        from bot.slack.charts import reasons_chart

        try:
            dm = (await client.conversations_open(users=actor.user))["channel"]["id"]
            self.scope_gaps.works(actor.workspace, "im:write")
            await post_chart(client, dm, reasons_chart, view.report, filename="loss-reasons.png",
                             title=f"Why deals were lost — {view.report.period.label}")
            self.scope_gaps.works(actor.workspace, "files:write")
        except SlackApiError as exc:
            log.warning("chart upload failed: %s", error_code(exc))
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
        except UNANSWERED as exc:  # the client's own retries are spent
            log.error("posting a loss prompt failed: %s", exc.__class__.__name__)
            return _unanswered(actor, prompt)
        except SlackApiError as exc:
            if error_code(exc) not in ("not_in_channel", "channel_not_found", "is_archived"):
                log.error("posting a loss prompt failed: %s", error_code(exc))
                gap = self.scope_gaps.note(actor.workspace, exc)
                why = scopes.explain(gap) + " " if gap else ""
                return f"{why}I couldn't post the retrospective prompt; the rep can still start it with /coach retro."
            sent = None
        if sent is None:
            try:
                sent = await client.chat_postMessage(channel=prompt.rep_external_id, unfurl_links=False, **message)
            except UNANSWERED as exc:
                log.error("DM of a loss prompt failed: %s", exc.__class__.__name__)
                return _unanswered(actor, prompt)
            except SlackApiError as exc:
                log.error("DM of a loss prompt failed: %s", error_code(exc))
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


def _unanswered(actor: Actor, prompt: LossPrompt) -> str:
    """Why the prompt may be missing when Slack didn't answer: it may have arrived or not, but the
    retrospective was committed before posting, and /coach retro starts it for its rep (and only them)."""
    who = "start it with /coach retro" if actor.user == prompt.rep_external_id else \
        f"{prompt.rep_name} can start it with /coach retro"
    return (f"Slack didn't answer when I posted the retrospective prompt for {prompt.deal_name}, so it may not be "
            f"showing. The retrospective is saved: {who}.")
