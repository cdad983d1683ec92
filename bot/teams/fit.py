"""Keeping what is sent within Teams' message size: measuring it as it goes over the wire, and splitting a
card or a text that is too long into parts that say they continue. Nothing is ever cut off.
"""
from __future__ import annotations

import json
from typing import Any

from bot.teams.adaptive import card, text_block

# Teams refuses a message over its size limit (100 KB as UTF-16 in today's docs, 40 KB in older ones,
# about 28 KB as met in practice). A card or text is kept under BUDGET UTF-8 bytes of JSON, leaving
# room for the activity around it; whatever is longer goes out as several messages.
BUDGET = 24_000


def size(payload: Any) -> int:
    """Bytes of a card (or any JSON) as it goes over the wire: the SDK sends JSON with every non-ASCII
    character escaped (\\u00fc is six bytes, an emoji twelve)."""
    return len(json.dumps(payload, separators=(",", ":")))


def head_that_fits(text: str, room: int) -> str:
    """The longest start of `text` whose JSON is at most `room` bytes, never ending inside a markdown
    escape (a lone backslash) — the rest goes on in the next part."""
    lo, hi = 1, len(text)
    while lo < hi:  # binary search on the escaped size, which grows with the prefix
        mid = (lo + hi + 1) // 2
        if size(text[:mid]) <= room:
            lo = mid
        else:
            hi = mid - 1
    cut = lo
    while cut > 1 and text[cut - 1] == "\\":
        cut -= 1
    return text[:cut]


def fit(head: list[dict], items: list[dict], actions: list[dict] | None = None, *, budget: int = BUDGET) -> list[dict]:
    """Cards holding `items` under `head`, as many as it takes to stay under the size budget. The parts
    say they continue; the actions go on the last one. Nothing is cut."""
    parts: list[list[dict]] = [[]]
    # What the card adds around the items, plus room for a fallback text of 300 characters in any script.
    room = budget - size(card(head + [text_block("Part 99 of 99")], actions, fallback="")) - 1300
    for item in items:
        for piece in _smaller(item, room):
            if parts[-1] and size(parts[-1] + [piece]) > room:
                parts.append([])
            parts[-1].append(piece)
    if len(parts) == 1:
        return [card(head + parts[0], actions)]
    n = len(parts)
    return [card(head + part + [text_block(f"Part {i + 1} of {n}" + (", continued in the next message." if i < n - 1
                                                                     else "."), isSubtle=True, size="Small")],
                 actions if i == n - 1 else None)
            for i, part in enumerate(parts)]


def split_card(whole: dict) -> list[dict]:
    """A card as two or more cards of about half its size (Teams refused it as too large)."""
    return fit([], whole.get("body") or [], whole.get("actions"), budget=max(size(whole) // 2, 4000))


def split_text(text: str, *, budget: int = BUDGET) -> list[str]:
    """Markdown as messages under the budget, split at paragraphs (or inside one longer than a message);
    the parts say which part they are."""
    parts: list[str] = [""]
    for para in text.split("\n\n"):
        while size(para) > budget // 2:
            piece = head_that_fits(para, budget // 2)
            parts.append(piece)
            para = para[len(piece):]
        if parts[-1] and size(parts[-1] + "\n\n" + para) > budget:
            parts.append("")
        parts[-1] = f"{parts[-1]}\n\n{para}" if parts[-1] else para
    parts = [p for p in parts if p]
    if len(parts) > 1:
        parts = [f"{p}\n\n_Part {i + 1} of {len(parts)}_" for i, p in enumerate(parts)]
    return parts or [" "]


def _smaller(item: dict, room: int) -> list[dict]:
    """An element cut into TextBlocks that each fit `room` (only a TextBlock can be, at paragraph breaks)."""
    if size(item) <= room or item.get("type") != "TextBlock":
        return [item]
    pieces, current = [], []
    for para in item["text"].split("\n\n"):
        while size(para) > room // 2:  # one paragraph longer than a card: cut it, never inside an escape
            piece = head_that_fits(para, room // 2)
            pieces.append({**item, "text": piece})
            para = para[len(piece):]
        if current and size({**item, "text": "\n\n".join(current + [para])}) > room:
            pieces.append({**item, "text": "\n\n".join(current)})
            current = []
        current.append(para)
    if current:
        pieces.append({**item, "text": "\n\n".join(current)})
    return pieces
