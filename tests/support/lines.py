"""Confirming a reporting line quickly, the way people do: the manager invites, the rep accepts."""
from __future__ import annotations

from bot.core.commands import parse
from bot.core.identity import Actor


async def confirm_line(service, manager: Actor, rep: Actor) -> None:
    """`manager` invites `rep` (`/coach team add`) and `rep` accepts (`/coach team accept @manager`);
    nothing when the line is already confirmed."""
    mention = f"<@{rep.user}|{rep.name}>" if manager.platform == "slack" else f"@{rep.user}"
    added = await service.command(manager, parse(f"team add {mention}"))
    if "already on your team" in getattr(added[0], "text", ""):
        return
    boss = f"<@{manager.user}|{manager.name}>" if manager.platform == "slack" else f"@{manager.user}"
    out = await service.command(rep, parse(f"team accept {boss}"))
    assert "you report to" in getattr(out[0], "text", ""), out
