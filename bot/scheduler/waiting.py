"""Messages waiting for someone the bot cannot reach yet, delivered together once it can.

On Teams a bot can only message a person in a chat the person opened (or installed the app for).
Until then their nudges and notifications wait (status 'waiting'); when the chat opens, the transport
asks for the backlog, sends it as one message, and says how it went. A check-in that went stale
meanwhile is dropped with the reason, visible in `coachbot nudges`.
"""
from __future__ import annotations

import uuid
from datetime import timedelta

from bot.scheduler import nudge_messages
from bot.core.identity import Actor, NewPerson, person_for
from bot.core.views import NudgeMessage
from flows import cadence
from storage import nudges, people
from storage.crypto import NotesCipher
from storage.db import Database

LEASE = timedelta(minutes=2)


class WaitingMessages:
    def __init__(self, db: Database, cipher: NotesCipher, clock, defaults: NewPerson):
        self.db = db
        self.cipher = cipher
        self.clock = clock
        self.defaults = defaults

    async def backlog(self, actor: Actor) -> tuple[str, list[NudgeMessage]]:
        """What waited for this person, built now (a closed plan's check-in is dropped, a stale one too);
        with the claim's owner, to report the outcome with."""
        now = self.clock.now()
        owner = f"backlog:{uuid.uuid4().hex[:12]}"
        ready: list[NudgeMessage] = []
        async with self.db.session() as s:
            me = await person_for(s, actor, self.defaults)
            for n in await nudges.claim_waiting(s, recipient_id=me.id, owner=owner, now=now, lease=LEASE):
                # A check-in or reminder can go stale; a message (a shared plan, an invitation) never does.
                if n.kind != "message" and cadence.is_stale(n.kind, n.due_at, now):
                    await nudges.cancel_claimed(s, nudge_id=n.id, owner=owner, reason=(
                        f"stale: waited from {n.due_at:%Y-%m-%d %H:%M} UTC for {me.name} to open a chat with "
                        "coachbot; too late to be useful"))
                    continue
                try:
                    ready.append(await nudge_messages.build(s, self.cipher, n, me, now))
                except nudge_messages.Skip as skip:
                    await nudges.cancel_claimed(s, nudge_id=n.id, owner=owner, reason=str(skip))
        return owner, ready

    async def delivered(self, owner: str, messages: list[NudgeMessage], ref: str | None) -> None:
        """The backlog reached the person."""
        async with self.db.session() as s:
            await nudges.mark_sent_many(s, owner=owner, now=self.clock.now(), refs=[(m.nudge_id, ref) for m in messages])

    async def undelivered(self, owner: str, messages: list[NudgeMessage], reason: str) -> None:
        """The backlog could not be sent: each goes back to the scheduler, which retries with back-off."""
        now = self.clock.now()
        async with self.db.session() as s:
            for m in messages:
                await nudges.retry_later(s, nudge_id=m.nudge_id, owner=owner, due_at=now + timedelta(minutes=1),
                                         error=reason)

    async def app_removed(self, actor: Actor, reason: str) -> int:
        """The person removed the app: nothing can reach them, so their scheduled messages wait, saying why,
        until they add it again (then what is still useful arrives, as any backlog does)."""
        async with self.db.session() as s:
            me = await people.find_person(s, platform=actor.platform, workspace=actor.workspace, user=actor.user)
            if me is None:  # never met, or erased: nothing to stop, and no one to create
                return 0
            await people.set_chat_ref(s, person=me, ref=None)
            return await nudges.park_for_person(s, recipient_id=me.id, reason=reason)
