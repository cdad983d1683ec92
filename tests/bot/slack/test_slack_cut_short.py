"""A nudge cut short in Slack names the command that shows the whole of what it is about: a plan's nudge
`/coach plans`, a digest or a signal `/coach signals`, in a merged message too."""
from __future__ import annotations

from bot.core.views import NudgeMessage, merge
from bot.slack import blocks
from tests.support.fakes.block_kit import check_message


def notes(message: dict) -> list[str]:
    return [e["text"] for b in message["blocks"] if b["type"] == "context" for e in b["elements"]]


def long(nudge_id: int, kind: str) -> NudgeMessage:
    return NudgeMessage(nudge_id, kind, f"{kind} {nudge_id}", (("nudge_snooze.tomorrow", "Tomorrow", str(nudge_id)),),
                        tuple(f"{n}. Rep {n} — {'x' * 2900}" for n in range(60)))


def test_a_cut_short_digest_or_signal_points_to_coach_signals_and_a_plan_to_coach_plans():
    for kind, command in (("digest", "`/coach signals`"), ("signal", "`/coach signals`"),
                          ("review_pack", "`/coach plans`")):
        message = blocks.nudge_message(long(1, kind))
        assert check_message(message) == ([], [])
        (note,) = [n for n in notes(message) if "didn't fit in this message" in n]
        assert command in note, (kind, note)
        if kind != "review_pack":
            assert "`/coach plans` shows every plan" not in note


def test_each_item_of_a_merged_message_cut_short_names_its_own_command():
    message = blocks.nudge_message(merge([long(1, "digest"), long(2, "review_pack")]))
    assert check_message(message) == ([], [])
    cut = [n for n in notes(message) if "didn't fit in this message" in n]
    assert len(cut) == 2
    assert "`/coach signals`" in cut[0] and "`/coach plans` shows every plan in full." == cut[1].split(": ", 1)[1]
