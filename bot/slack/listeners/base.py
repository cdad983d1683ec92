"""What every Slack listener shares: background work after the ack, names from users.info, opening
modals, DMs that are queued when they fail, the home tab, and the one place a turn's `Screen` becomes
Slack messages."""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable

from slack_bolt.listener.async_builtins import AsyncTokenRevocationListeners
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.identity import UNKNOWN_NAME, Actor
from bot.core.profiles import Profile, ProfileRefresher
from bot.core.service import CoachService
from bot.core.views import Home, plain_text
from bot.slack import blocks, scopes
from bot.slack.tokens import UNANSWERED, client_with
from storage.crypto import NotReadable
from flows.outputs import Say

log = logging.getLogger("coachbot.slack")

# Said when work after the acknowledgement failed for a reason that is ours, not the person's.
WENT_WRONG = ("Something went wrong on my side, so I couldn't finish that. Please try again in a minute; "
              "if it keeps happening, let whoever installed coachbot know (the details are in its log).")


# What the home tab says when what it would list can't be decrypted: true, and no outage is claimed.
NOTES_UNREADABLE = ("Your coaching notes can't be read right now. coachbot is running with an encryption key "
                    "that doesn't open them, so this page can't show your plans or drafts. Nothing was changed "
                    "or lost: your notes are kept as they were. Please tell whoever runs coachbot; once the key "
                    "is set right, everything shows here again.")
UNREADABLE_HOME = {"type": "home", "blocks": [
    {"type": "header", "text": {"type": "plain_text", "text": "Your coaching"}},
    {"type": "section", "text": {"type": "mrkdwn", "text": NOTES_UNREADABLE}},
    {"type": "context", "elements": [{"type": "mrkdwn", "text": "Type `/coach help` anywhere to see every command."}]},
]}


class ListenerBase:
    """The parts of the Slack listeners that the feature listeners build on."""

    def __init__(self, service: CoachService, refresher: ProfileRefresher):
        self.service = service
        self.refresher = refresher
        self.revocation: AsyncTokenRevocationListeners | None = None  # OAuth: forgets uninstalled workspaces
        self.workspace_gone = lambda team: None  # set by build_slack: drop what is cached for a workspace
        # (uninstalled, revoked, or installed again with a new token)
        self.scope_gaps = scopes.Gaps()
        self._background: set[asyncio.Task] = set()
        self._told_unreadable = False  # the log has said the home tab met notes our keys don't open

    def later(self, work: Awaitable[None], *, tell: Callable[..., Awaitable[Any]] | None = None) -> asyncio.Task:
        """Run `work` after the response has gone to Slack; a failure is logged and, given `tell` (a
        `respond`), said to the person, who would otherwise see nothing happen."""
        task = asyncio.ensure_future(work if tell is None else _telling_failure(work, tell))
        self._background.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background Slack work failed", exc_info=task.exception())

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
                log.warning("users.info failed: %s", error_code(exc))
                self.scope_gaps.note(team, exc)
                return None
            self.scope_gaps.works(team, "users:read")
            prof = data.get("profile") or {}
            name = prof.get("display_name") or prof.get("real_name") or data.get("real_name") or data.get("name")
            return Profile(name=name or UNKNOWN_NAME, tz=data.get("tz"), email=prof.get("email"),
                           admin=bool(data.get("is_admin") or data.get("is_owner")))
        return fetch

    async def open_view(self, client: AsyncWebClient, trigger_id: str, view: dict) -> bool:
        """Open a modal; False when Slack refused it (an expired trigger, older than 3 s) or didn't answer,
        which is logged.

        Never retried: a trigger works once, so a second try after a 5xx, a 429 or a lost connection could
        only be refused (exchanged_trigger_id or expired_trigger_id).
        """
        try:
            await client_with(client, client.token, retry_handlers=[]).views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as exc:
            log.warning("views.open failed: %s", error_code(exc))
            return False
        except UNANSWERED as exc:  # the caller tells the person, as for a refusal
            log.warning("views.open failed: Slack didn't answer (%s)", exc.__class__.__name__)
            return False
        return True

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
                reason = error_code(exc)
                self.scope_gaps.note(workspace or "", exc)
            except UNANSWERED as exc:
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

    async def home_of(self, actor: Actor) -> Home | None:
        """What a person's home tab lists, or None when their notes don't open with our keys (logged once)."""
        try:
            return await self.service.account.home(actor)
        except NotReadable:
            if not self._told_unreadable:  # once per process: every home opened would say the same
                self._told_unreadable = True
                log.error("home tab: stored notes don't open with COACHBOT_ENCRYPTION_KEY or any key in "
                          "COACHBOT_PREVIOUS_KEYS (written with another key); showing a notice instead")
            return None

    async def publish_home(self, client: AsyncWebClient, actor: Actor) -> None:
        """Render and publish a person's home tab (a notice instead, when their notes don't open with our keys)."""
        home = await self.home_of(actor)
        view = UNREADABLE_HOME if home is None else blocks.home_view(home, self.service.clock.now())
        try:
            await client.views_publish(user_id=actor.user, view=view)
        except SlackApiError as exc:
            log.warning("views.publish failed: %s", error_code(exc))




def text_of(outputs: list) -> str:
    """The words of refusals and messages among outputs, joined (for an ephemeral note or a modal error)."""
    return " ".join(getattr(o, "reason", None) or getattr(o, "text", "") for o in outputs)


def error_code(exc: SlackApiError) -> str:
    """Slack's error code from a failed call, even when the body was not JSON (a proxy's 5xx page)."""
    data = getattr(exc.response, "data", None)
    return data.get("error", "unknown") if isinstance(data, dict) else f"HTTP {exc.response.status_code}"


async def _telling_failure(work: Awaitable[None], tell: Callable[..., Awaitable[Any]]) -> None:
    try:
        await work
    except Exception:
        try:
            await tell(response_type="ephemeral", replace_original=False,
                       **blocks.message(Say(WENT_WRONG, tone="error")))
        except Exception as exc:  # noqa: BLE001 - the failure itself is still logged below
            log.warning("could not tell the person their request failed: %s", exc)
        raise
