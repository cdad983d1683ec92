"""Proactive sending: running work in a conversation through its stored reference (a person's chat, a
channel thread), after checking that the reference may be given the bot's token."""
from __future__ import annotations

from typing import Any, Callable

from microsoft_agents.activity import Activity, ConversationReference
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

    async def on_ref(self, ref_json: str, work) -> None:
        """Run `work(turn_context)` in the conversation a stored reference points to."""
        ref = ConversationReference.model_validate_json(ref_json)
        problem = self.safe_reference(ref.service_url)
        if problem:
            raise UnsafeReference(f"the stored chat can't be used: {problem}")
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
