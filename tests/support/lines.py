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


def confirm_served(served, manager: str, rep: str) -> None:
    """The same through signed Slack requests to the served app: `/coach team add` by the manager, then
    `/coach team accept` by the rep (answered privately, like any team command)."""
    from tests.support.served import scalar

    if scalar(served, "SELECT count(*) FROM people r JOIN people m ON m.id = r.manager_id "
                      "WHERE r.platform_user_id = :r AND m.platform_user_id = :m", r=rep, m=manager):
        return
    assert served.command(f"team add <@{rep}>", user=manager).status == 200
    served.fake.wait_for_response(manager, containing="Invited")
    assert served.command(f"team accept <@{manager}>", user=rep).status == 200
    served.fake.wait_for_response(rep, containing="you report to")
