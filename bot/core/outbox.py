"""The outbox: what a finished flow tells other people is stored with the flow's result, not sent by hand.

A finished talk's shared plan, a check-in's "stuck" alert, a retrospective's summary for the manager and
its reply in the deal channel's thread, and the prompt a CRM's lost deal sends its rep: each is written
as a "message" nudge inside the transaction that stores what was agreed, so a crash after the commit
cannot lose it and a crash before it leaves neither. The dispatcher delivers it (woken right after the
commit), with its retries, back-off, waiting and Slack's history check.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from bot.core.views import plain_text
from flows.outputs import Done, Notify
from flows.subjects import subject
from storage import nudges
from storage.crypto import NotesCipher
from storage.models import Person
from storage.nudges import NewNudge


async def keep(s, cipher: NotesCipher, me: Person, outputs: list[Any], now: datetime, *, origin: str
               ) -> tuple[list[Any], int]:
    """Queue every message for someone else among `outputs` in the open transaction `s`; the outputs with
    those marked queued (the transport only tells the person who acted), and how many were queued.

    `origin` names the finish (a flow session id): a finish is stored once, so its keys are stable.
    """
    rows: list[NewNudge] = []
    shown: list[Any] = []
    for output in outputs:
        if not isinstance(output, Notify) or output.queued:
            shown.append(output)
            continue
        # A microsecond apart, so messages from one finish go out in the order they were made.
        rows.append(NewNudge(me.workspace_id, output.person_id, "message", subject("person", output.person_id),
                             f"done:{origin}:{len(rows)}", now + timedelta(microseconds=len(rows)),
                             payload(cipher, me, output)))
        shown.append(replace(output, queued=True))
    if rows:
        await nudges.schedule(s, rows, now=now)
    return shown, len(rows)


def loss_prompt(workspace_id: int, rep_id: int, retro_id: int, now: datetime, *, channel: str | None,
                thread: str | None = None, about: tuple[int | None, ...] = (),
                reach: dict[str, Any] | None = None) -> NewNudge:
    """The prompt asking a rep for a lost deal's retrospective, as a "message" row: posted in `channel` (in
    the thread of `thread`) or, when there is none or the bot can't post there, in the rep's DM. `reach` is
    what the platform needs to post in that channel (Teams: the channel's conversation reference).

    The row names only the retrospective: the deal's name and amount are read from it when it is sent,
    so erasing the rep (or the retrospective) leaves no copy of them here."""
    data: dict[str, Any] = {"loss": retro_id, "about": sorted({rep_id, *(i for i in about if i is not None)})}
    if channel:
        data["target"] = {"channel": channel, "thread": thread, "or_dm": True, **({"reach": reach} if reach else {})}
    return NewNudge(workspace_id, rep_id, "message", subject("retro", retro_id), f"loss:{retro_id}", now, data)


def payload(cipher: NotesCipher, me: Person, note: Notify) -> dict[str, Any]:
    """A queued message's row: its words sealed, whose words they are, and where it goes if not a DM."""
    # "about": everyone whose words it carries (the actor and the flow's others), so erasing any of them finds it
    data: dict[str, Any] = {"enc": cipher.encrypt(_text(note.output)),
                            "about": sorted({me.id, *(i for i in note.about if i is not None)})}
    if note.channel:
        data["target"] = {"channel": note.channel, "thread": note.thread}
    return data


def _text(output: Any) -> str:
    """The words of a message as its recipient reads them (a summary is titled as one)."""
    return plain_text(replace(output, title=f"{output.title} — summary") if isinstance(output, Done) else output)
