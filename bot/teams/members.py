"""Knowing people in Teams: their profile and personal chat, the app being installed or removed, the
welcome, and handing over what waited for someone to open a chat with the bot."""
from __future__ import annotations

import logging
from typing import Callable

from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core import TurnContext

from bot.core.identity import UNKNOWN_NAME, Actor
from bot.core.profiles import Profile, ProfileRefresher
from bot.core.service import CoachService
from bot.scheduler.waiting import WaitingMessages
from bot.teams.activities import PLATFORM, card_activity, is_personal, send_parts, text_activity
from bot.teams.message_cards import backlog_cards
from bot.teams.messages import teams_help

log = logging.getLogger("coachbot.teams")
CONNECTOR_CLIENT = "ConnectorClient"  # where the SDK keeps the turn's connector client in turn_state
WELCOME = ("👋 Hi, I'm coachbot. I help you prepare the hard conversations with your reps, learn from lost "
           "deals, and follow up so plans stick.\n\n")
GROUP_WELCOME = ("👋 Hi all, I'm coachbot, a coach for sales managers and reps. Here, @mention me to log a lost "
                 "deal (@coachbot lost Acme renewal 12k @Alex) and the rep gets a short retrospective. "
                 "Everything personal — conversations, plans, check-ins — stays in your private chat with me: "
                 "open it from Apps and type help.")


def named_admin(admins: frozenset[str], user: str, member: dict | None) -> bool:
    """Whether COACHBOT_TEAMS_ADMINS names this person (by AAD object id, UPN, email or Teams id)."""
    member = member or {}
    ids = {user, member.get("aadObjectId"), member.get("userPrincipalName"), member.get("email")}
    return any(i and i.lower() in admins for i in ids)


class Members:
    """The bot's part that knows people and their chats (mixed into `CoachTeamsBot`)."""

    service: CoachService
    admins: frozenset[str]  # lower-cased AAD object ids or UPNs of the workspace admins (settings)
    refresher: ProfileRefresher
    waiting: WaitingMessages
    actor_of: Callable[[Activity], Actor]
    _zones: dict[tuple[str, str], str]

    async def remember(self, ctx: TurnContext, actor: Actor) -> bool:
        """Know the person properly (name and email from the member look-up, zone from their client) and,
        in a personal chat, how to reach them later; a chat that just became reachable gets what waited
        (True then)."""
        activity = ctx.activity

        async def fetch() -> Profile | None:
            member = await self.member(ctx, actor.user)
            name = (member or {}).get("name") or actor.name
            if not name:
                return None  # a raw id is never a name: try again on the next turn
            return Profile(name=name, tz=actor.tz, email=(member or {}).get("email"),
                           admin=named_admin(self.admins, actor.user, member))
        await self.refresher.ensure(PLATFORM, actor.workspace, actor.user, fetch, actor.name or UNKNOWN_NAME)
        if actor.tz and self._zones.get((actor.workspace, actor.user)) != actor.tz:
            await self.service.account.note_zone(actor, actor.tz)
            self._zones[(actor.workspace, actor.user)] = actor.tz
        if is_personal(activity):
            ref = activity.get_conversation_reference()
            if await self.service.account.remember_chat(actor, ref.model_dump_json(by_alias=True, exclude_none=True)):
                await self.deliver_backlog(ctx, actor)
                return True
        return False

    async def member(self, ctx: TurnContext, user: str) -> dict | None:
        """The Teams member look-up (name, email, tenant), or None when the connector can't say."""
        client = ctx.turn_state.get(CONNECTOR_CLIENT)
        conversation = ctx.activity.conversation.id if ctx.activity.conversation else None
        if client is None or not conversation or not hasattr(client, "get_conversation_member"):
            return None
        try:
            found = await client.get_conversation_member(conversation, user)
        except Exception as exc:  # noqa: BLE001 - the profile stays as it was; the turn goes on
            log.info("member look-up failed (%s)", exc.__class__.__name__)
            return None
        return found.model_dump(exclude_none=True) if hasattr(found, "model_dump") else None

    async def deliver_backlog(self, ctx: TurnContext, actor: Actor) -> None:
        """What waited for this person to open a chat, as one message (split only if Teams needs it)."""
        owner, messages = await self.waiting.backlog(actor)
        if not messages:
            return
        try:
            sent = await send_parts(ctx, [card_activity(part) for part in backlog_cards(messages)])
        except Exception as exc:  # noqa: BLE001 - the scheduler will try each again
            log.warning("backlog not delivered (%s); back to the scheduler", exc.__class__.__name__)
            await self.waiting.undelivered(owner, messages, f"backlog not delivered: {exc.__class__.__name__}")
            return
        await self.waiting.delivered(owner, messages, str(getattr(sent, "id", "") or ""))

    async def on_members_added_activity(self, members_added, turn_context: TurnContext) -> None:
        """The bot joined a conversation: welcome the person in a personal chat, or the team in a channel."""
        activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient else ""
        if not any(m.id == bot_id for m in members_added or []):
            return
        if is_personal(activity):
            await self.welcome(turn_context)
        else:
            # Added to a team or a group chat: say hello there, briefly, and how to reach me in private.
            await turn_context.send_activity(text_activity(GROUP_WELCOME))

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        """The app was added: in a personal scope, the person becomes reachable (and gets what waited)."""
        if is_personal(turn_context.activity):
            await self.welcome(turn_context)

    async def welcome(self, ctx: TurnContext) -> None:
        """A personal chat opened: say hello once (Teams announces an install twice, as an installation
        update and as a member added) and hand over what waited."""
        actor = self.actor_of(ctx.activity)
        if actor.user and await self.remember(ctx, actor):
            await ctx.send_activity(text_activity(WELCOME + teams_help()))

    async def on_installation_update_remove(self, turn_context: TurnContext) -> None:
        """The app was removed from a person's chat: nothing can reach them, so their nudges wait, saying why.
        (An upgrade removes and adds the app too, as "remove-upgrade": that is no removal.)"""
        actor = self.actor_of(turn_context.activity)
        if turn_context.activity.action != "remove" or not actor.user or not is_personal(turn_context.activity):
            return
        when = self.service.clock.now()
        held = await self.waiting.app_removed(actor, (
            f"held: the person removed coachbot from their Teams chat on {when:%Y-%m-%d %H:%M} UTC; delivered "
            "if they add it again"))
        log.warning("a Teams user removed the app: %d scheduled message(s) held", held)
