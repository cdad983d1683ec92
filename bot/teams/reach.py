"""Proactive sending: running work in a conversation through its stored reference (a person's chat, a
channel thread), after checking that the reference may be given the bot's token."""
from __future__ import annotations

import json
from typing import Any, Callable

from microsoft_agents.activity import Activity, ConversationAccount, ConversationReference
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import ClaimsIdentity, TurnContext


class UnsafeReference(Exception):
    """A stored conversation reference that points somewhere the bot must not send its token."""


class Reach:
    """The bot's part that reaches stored conversations (mixed into `CoachTeamsBot`)."""

    adapter: CloudAdapter
    app_id: str
    anonymous: bool
    safe_reference: Callable[[str | None], str | None]  # why a service URL must not get our token, or None

    def channel_reach(self, activity: Activity) -> dict[str, Any] | None:
        """What posting in this activity's channel later needs, kept from the activity itself: its service URL,
        conversation, bot and tenant (never the person who wrote it). The endpoint verified the activity's
        token and service URL; None when that URL is not one the bot may send its token to."""
        if self.safe_reference(activity.service_url):
            return None
        conversation, data = activity.conversation, activity.channel_data
        tenant = conversation.tenant_id or ((data.get("tenant") or {}).get("id") if isinstance(data, dict) else None)
        ref = ConversationReference(
            channel_id=activity.channel_id, service_url=activity.service_url, agent=activity.recipient,
            conversation=ConversationAccount(id=conversation.id, tenant_id=tenant,
                                             conversation_type=conversation.conversation_type))
        return json.loads(ref.model_dump_json(by_alias=True, exclude_none=True))

    async def on_ref(self, ref_json: str, work) -> None:
        """Run `work(turn_context)` in the conversation a stored reference points to."""
        ref = ConversationReference.model_validate_json(ref_json)
        problem = self.safe_reference(ref.service_url)
        if problem:
            raise UnsafeReference(f"the stored conversation reference can't be used: {problem}")
        continuation = ref.get_continuation_activity()
        if self.anonymous:
            await self.adapter.continue_conversation_with_claims(ClaimsIdentity(), continuation, work)
        else:
            await self.adapter.continue_conversation(self.app_id, continuation, work)

    async def in_chat(self, ref_json: str, work) -> None:
        """Run `work(turn_context)` in a stored conversation and raise what it raised. (Raised inside the
        turn, an error would reach the adapter's turn error handler, which would message the person and
        swallow it: the caller must see it instead.)"""
        failure: list[Exception] = []

        async def guarded(ctx: TurnContext) -> None:
            try:
                await work(ctx)
            except Exception as exc:  # noqa: BLE001 - raised again below, outside the turn
                failure.append(exc)
        await self.on_ref(ref_json, guarded)
        if failure:
            raise failure[0]

    async def send_to(self, ref_json: str, activity: Activity) -> Any:
        """Send one activity to a stored conversation; returns the platform's resource response, or raises
        what the connector answered."""
        outcome: dict[str, Any] = {}

        async def work(ctx: TurnContext) -> None:
            outcome["response"] = await ctx.send_activity(activity)
        await self.in_chat(ref_json, work)
        return outcome.get("response")
