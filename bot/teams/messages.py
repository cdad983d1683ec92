"""Outputs shown as chat text in Teams (replies, notifications), and the help text.

Plans, settings and a team are written once in `bot.core.wording` and formatted here by `markdown()`.
An output with no Teams text is an error (TypeError), never its `str()`.
"""
from __future__ import annotations

from typing import Any

from bot.core.commands import help_text
from bot.core.views import Plans, ReportView, SettingsView, Team
from bot.core.wording import plans_lines, settings_lines, team_lines
from bot.teams.fit import BUDGET, split_text
from bot.teams.markdown import markdown, safe, teams_words
from flows.outputs import Cancelled, Done, Refused, Say
from flows.report import lines as report_lines

ICONS = {"error": "⚠️ ", "warning": "⚠️ ", "success": "✅ "}


def teams_help() -> str:
    """The help text, with commands as they are typed in Teams (markdown-escaped: `<deal>` must show)."""
    lines = []
    for line in help_text(prefix="").replace("•  ", "• ").replace("(e.g. /coach ", "(e.g. ").splitlines():
        syntax, _, example = line.partition("  (e.g. ")
        if example.rstrip(")") == syntax.removeprefix("• ").split(" — ")[0]:
            line = syntax  # "help (e.g. help)" says nothing twice
        lines.append(safe(line))
    return ("\n".join(lines) + "\n\nIn a personal chat just type the command; in a channel, @mention me first "
            "(e.g. @coachbot lost Acme 12k @Alex). Name people by @mention, or by name in our chat.")


def message_texts(output: Any, *, budget: int = BUDGET) -> list[str]:
    """An output as markdown messages — several when it is longer than one message holds."""
    return split_text(message_text(output), budget=budget)


def message_text(output: Any) -> str:
    """A chat message's markdown for outputs shown as text (replies, notifications), whatever its length."""
    if isinstance(output, Plans):
        return markdown(plans_lines(output))
    if isinstance(output, SettingsView):
        return markdown(settings_lines(output))  # Teams has no settings form: say how to change them by typing
    if isinstance(output, Team):
        return markdown(team_lines(output))
    if isinstance(output, ReportView):
        rows = report_lines(output.report)
        return f"**{safe(rows[0])}**\n\n" + "\n\n".join(safe(r) for r in rows[1:])
    if isinstance(output, Done):
        return "\n\n".join([f"**{safe(output.title)} — summary**"] + [
            f"**{safe(s.heading)}**\n\n" + "\n\n".join(safe(x) for x in s.lines) for s in output.sections])
    if isinstance(output, Refused):
        return "⚠️ " + safe(teams_words(output.reason))
    if isinstance(output, (Say, Cancelled)):
        return ICONS.get(getattr(output, "tone", ""), "") + safe(teams_words(output.text))
    raise TypeError(f"no Teams message for {type(output).__name__}")
