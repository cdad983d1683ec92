"""Pure renderers from neutral outputs to plain console text (styling is added by the caller)."""
from __future__ import annotations

import textwrap
from typing import Any

from bot.core.views import LossPrompt, Plans, ReportView, SettingsView, Team
from bot.core.wording import Line, plans_lines, settings_lines, team_lines
from flows.report import lines as report_lines
from flows.dates import format_day
from flows.outputs import Cancelled, Done, InputKind, Notify, Prompt, Refused, Say

WIDTH = 88


def render(output: Any) -> list[tuple[str, str]]:
    """Lines of text for one output, each paired with a style name (plain, title, hint, error, ...)."""
    if isinstance(output, Prompt):
        return _prompt(output)
    if isinstance(output, Done):
        return _done(output)
    if isinstance(output, Say):
        return [(line, output.tone) for line in _wrap(output.text)]
    if isinstance(output, Refused):
        return [(line, "warning") for line in _wrap("⚠ " + output.reason)]
    if isinstance(output, Cancelled):
        return [(output.text, "warning")]
    if isinstance(output, Notify):
        if output.queued:  # the scheduler delivers it, and the console prints it then
            return [(f"📨 Message to @{output.person_name.lower()} queued; the scheduler delivers it.", "dim")]
        inner = render(output.output)
        return [(f"📨 Message to @{output.person_name.lower()}:", "dim")] + [("   " + t, s) for t, s in inner]
    if isinstance(output, Plans):
        return styled(plans_lines(output))
    if isinstance(output, SettingsView):
        return styled(settings_lines(output))
    if isinstance(output, LossPrompt):
        amount = f" ({output.amount:,.0f})" if output.amount else ""
        where = f"#{output.channel}" if output.channel else "the deal channel"
        return [(f"📣 Posted in {where}: {output.deal_name}{amount} was lost. @{output.rep_external_id}, "
                 "a short retrospective is waiting for you.", "info"),
                (f"   [Start retrospective]  — in the console: /as @{output.rep_external_id}, then /coach retro", "dim")]
    if isinstance(output, ReportView):
        text = report_lines(output.report)
        return [(text[0], "bold")] + [(line, "plain") for line in text[1:]]
    if isinstance(output, Team):
        return styled(team_lines(output))
    raise TypeError(f"no console text for {type(output).__name__}")


def _prompt(p: Prompt) -> list[tuple[str, str]]:
    head = f"{p.stage} · {p.title}" if p.stage else p.title
    out: list[tuple[str, str]] = [("", "plain"), (f"── {head} " + "─" * max(3, 60 - len(head)), "title")]
    for note in p.notes:
        out.append((note.heading, "bold"))
        for line in note.lines:
            out += [("   " + w, "plain") for w in _wrap(str(line), WIDTH - 3)]
    if p.guidance:
        out += [(line, "dim") for line in _wrap(p.guidance)]
    out += [(line, "bold") for line in _wrap(p.text)]
    if p.kind in (InputKind.CHOICE, InputKind.MULTI_CHOICE):
        out += [(f"  {i}) {o.label}" + ("   ← press Enter for this" if o.value == p.suggestion else ""), "plain")
                for i, o in enumerate(p.options, 1)]
        if p.kind == InputKind.MULTI_CHOICE:
            out.append(("  (several: numbers separated by commas)", "dim"))
    elif p.kind == InputKind.YES_NO:
        out.append(("  (yes / no)", "dim"))
    elif p.kind == InputKind.INFO:
        out.append(("  (press Enter when you're ready to go on)", "dim"))
    elif p.kind == InputKind.DATE and p.suggestion:
        out.append((f"  (press Enter for {format_day(p.suggestion)}, or type a date: “Friday”, “in 3 weeks”, “2026-12-18”)", "dim"))
    elif p.kind in (InputKind.SHORT_TEXT, InputKind.LONG_TEXT) and p.suggestion:
        out.append(("  Draft — press Enter to use it as it is, or type your own answer:", "dim"))
        out += [("   " + w, "plain") for w in _wrap(p.suggestion, WIDTH - 3)]
    elif p.kind == InputKind.LONG_TEXT and p.placeholder and "\n" in p.placeholder:
        out.append(("  (one line here: separate items with “;”)", "dim"))
        out.append(("  " + p.placeholder.replace("\n", " ; "), "dim"))
    elif p.placeholder:
        out.append(("  " + p.placeholder, "dim"))
    for e in p.errors:
        out += [(line, "error") for line in _wrap("✗ " + e.message)]
    for h in p.hints:
        out += [(line, "hint") for line in _wrap("💡 " + h.message)]
    if p.hints:
        out.append(("   Type a revised answer, or /ok to keep what you wrote.", "dim"))
    if p.can_go_back:
        out.append(("   /back changes the previous answer · /cancel stops · /quit saves and leaves", "dim"))
    return out


def _done(d: Done) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = [("", "plain"), (f"══ Summary: {d.title} " + "═" * 30, "title")]
    for section in d.sections:
        out.append((section.heading, "bold"))
        for line in section.lines:
            out += [("   " + w, "plain") for w in _wrap(str(line), WIDTH - 3)]
    return out


STYLE_OF = {"heading": "bold", "field": "plain", "item": "plain", "info": "info", "hint": "dim"}


def styled(lines: list[Line]) -> list[tuple[str, str]]:
    """Lines written once in the core, as console lines: "Label: value" fields, indented bullets, commands
    as they are typed here."""
    out = []
    for line in lines:
        text = f"{line.label}: {line.text}" if line.kind == "field" else " ".join(t for t in (line.label, line.text) if t)
        if line.kind == "item":
            text = f"   • {text}"
        if line.flag:
            text += f"  ⚠ {line.flag}"
        if line.commands:
            text += " " + " · ".join(f"/coach {c}" for c in line.commands)
        out.append((text, "error" if line.flag else STYLE_OF.get(line.kind, "plain")))
    return out


def _wrap(text: str, width: int = WIDTH) -> list[str]:
    lines: list[str] = []
    for para in str(text).split("\n"):
        lines += textwrap.wrap(para, width, break_long_words=False, replace_whitespace=False) or [""]
    return lines
