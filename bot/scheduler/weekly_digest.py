"""The manager's weekly digest: their reps ranked by who needs their time, each with the reasons and the
signals behind it."""
from __future__ import annotations

from datetime import datetime

from bot.core import signals
from flows.signals import STRONG, describe
from storage import digest, people
from storage.crypto import NotesCipher
from storage.models import Person

TITLE = ("Who needs your time this week — before asking whether they failed, ask whether they got enough "
         "of you:")


async def ranked_lines(s, cipher: NotesCipher, manager: Person, now: datetime) -> tuple[str, ...]:
    """One numbered line per confirmed rep, most in need first, with their signals beneath (empty: no reps)."""
    reps = await people.reps_of_id(s, manager_id=manager.id)
    ranked = []
    for rep in reps:
        score, reasons = await _need(s, rep, manager, now)
        found = await signals.for_digest(s, cipher, rep=rep, manager=manager, now=now)
        score += sum(3 if f.strength == STRONG else 1 for f in found)
        ranked.append((score, rep.name, reasons, [f"   – {describe(f, rep.name)}" for f in found]))
    ranked.sort(key=lambda r: (-r[0], r[1]))
    return tuple(line for i, (_, name, reasons, facts) in enumerate(ranked, 1)
                 for line in (f"{i}. {name} — {', '.join(reasons) or 'all quiet'}", *facts))


async def _need(s, rep: Person, manager: Person, now: datetime) -> tuple[int, list[str]]:
    """How much a rep needs the manager this week, and why, from plans, actions, losses and check-ins."""
    sig = await digest.need_signals(s, rep=rep, now=now, manager_id=manager.id)
    score, reasons = 0, []
    if sig.open_plans:
        score += 2
        reasons.append("on a plan")
    if sig.overdue_actions:
        score += 2 * sig.overdue_actions
        reasons.append(_count(sig.overdue_actions, "overdue action"))
    if sig.losses_30d:
        score += sig.losses_30d
        reasons.append(_count(sig.losses_30d, "lost deal") + " in 30 days")
    unanswered = sig.checkins_sent_14d - sig.checkins_answered_14d
    if unanswered > 0:
        score += unanswered
        reasons.append(_count(unanswered, "check-in") + " unanswered")
    days = (now - sig.last_manager_checkin).days if sig.last_manager_checkin else None
    if days is None or days >= 7:
        score += 1 + (days or 14) // 7
        reasons.append("no check-in from you yet" if days is None else f"last check-in from you {days} days ago")
    return score, reasons


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"
