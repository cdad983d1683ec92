"""Teams markdown: escaping the person's words, paragraphs, commands as typed in Teams, and the core's lines.

Every piece of user text goes through `safe()` first, so nobody can smuggle a link, markup or a fake
mention into a message through a plan item or a deal name.
"""
from __future__ import annotations

import re
from typing import Any

from bot.core.wording import Line

_MARKUP = re.compile(r"([\\`*_\[\]<>#~|])")
_COMMAND = re.compile(r"/coach ")


def safe(text: Any) -> str:
    """User text with markdown and HTML characters escaped, so it shows literally and links can't hide."""
    return _MARKUP.sub(r"\\\1", str(text)).replace("\n", "\n\n") if text is not None else ""


def paragraphs(text: str) -> str:
    """Teams ignores a single line break in markdown: each line becomes its own paragraph."""
    return re.sub(r"(?<!\n)\n(?!\n)", "\n\n", text)


def teams_words(text: str) -> str:
    """Our own texts name Slack's `/coach x`; in Teams the command is typed without the slash prefix."""
    return _COMMAND.sub("", text)


def markdown(lines: list[Line]) -> str:
    """Lines written once in the core, as Teams markdown: a paragraph each, labels bold, words escaped once."""
    out = []
    for line in lines:
        text = safe(line.text)
        if line.label:
            text = f"**{safe(line.label)}**" + (f" {text}" if text else "")
        if line.kind == "item":
            text = f"• {text}"
        if line.flag:
            text += f" ⚠️ **{safe(line.flag)}**"
        if line.commands:
            text += (" " if text else "") + " · ".join(safe(c) for c in line.commands)
        out.append(text)
    return "\n\n".join(out)
