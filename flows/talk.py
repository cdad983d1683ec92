"""The six-step difficult conversation, as data: prompts, guidance, checks and the summary."""
from __future__ import annotations

from datetime import date
from typing import Any, Mapping

from flows import prospecting
from flows.brief import draft_of, from_params
from flows.coaching.facts import check_observed
from flows.coaching.ownership import check_own_part, check_rep_view
from flows.coaching.plan import check_options, check_plan, check_review, parse_plan, suggest_review
from flows.dates import format_day
from flows.model import Context, Flow, Step
from flows.outputs import Feedback, InputKind, Section

NAME = "talk"


def _rep(ctx: Context) -> str:
    return str(ctx.params.get("rep", "the rep"))


def _observed(value: str, ctx: Context) -> list[Feedback]:
    return check_observed(value, _rep(ctx))


def _own_part(value: str, ctx: Context) -> list[Feedback]:
    return check_own_part(value, _rep(ctx))


def _rep_view(value: str, ctx: Context) -> list[Feedback]:
    return check_rep_view(value, _rep(ctx))


def _options(value: str, ctx: Context) -> list[Feedback]:
    return check_options(value, _rep(ctx))


def _parse_plan(text: str, ctx: Context):
    # A "target: 5 new opportunities a week" line is the weekly target, not an action item.
    lines = text.splitlines()
    targets = [line for line in lines if prospecting.is_target_line(line)]
    rest = "\n".join(line for line in lines if not prospecting.is_target_line(line))
    if len(targets) > 1:
        return [], [Feedback("error", "target_many", "There are two target lines; keep one weekly target, "
                             "e.g. “target: 5 new opportunities a week”.")]
    items, errors = parse_plan(rest, ctx.today, _rep(ctx), str(ctx.params.get("manager", ""))) if rest.strip() \
        else ([], [])
    if targets:
        value, problems = prospecting.parse_target(targets[0])
        errors += problems
        if value is not None:
            items.append({"owner": "rep", "text": prospecting.target_text(value), "due": None, "due_phrase": None,
                          "target": value})
    if not items and not errors:
        errors.append(Feedback("error", "empty", "Write at least one action item, one per line."))
    return items, errors


def _options_notes(ctx: Context) -> tuple[Section, ...]:
    return prospecting.options_notes(ctx.params)


def _plan_notes(ctx: Context) -> tuple[Section, ...]:
    return prospecting.plan_notes(ctx.params)


def _plan(items: list[dict[str, Any]], ctx: Context) -> list[Feedback]:
    return check_plan(items, _rep(ctx))


def _review(value: str, ctx: Context) -> list[Feedback]:
    return check_review(date.fromisoformat(value), ctx.today, ctx.answers.get("plan") or [])


def _suggest_review(ctx: Context) -> str:
    return suggest_review(ctx.today).isoformat()


def _brief(ctx: Context) -> tuple[Section, ...]:
    # Only a talk started on a confirmed line carries a brief (bot/core/talks.py decides).
    return from_params(ctx.params, "sections")


def _brief_and_draft(ctx: Context) -> tuple[Section, ...]:
    if draft_of(ctx.params) is None:
        return _brief(ctx)
    return _brief(ctx) + (Section("A start from the facts", (
        "Your answer below starts as a draft made only of these records. Make it yours: cut what doesn't "
        "matter, add what you saw yourself, or clear it and write your own.",)),)


def _draft(ctx: Context) -> str | None:
    return draft_of(ctx.params)


def _own(ctx: Context) -> tuple[Section, ...]:
    return from_params(ctx.params, "own")


STEPS = (
    Step(
        id="raised_before",
        kind=InputKind.YES_NO,
        title="Raised before?",
        prompt="Have you already talked to {rep} about this?",
        guidance="Before the six steps: a quick bit of context so the summary shows the history.",
        notes=_brief,
        next=lambda a: "last_time" if a.get("raised_before") else "observed",
        branches=("last_time", "observed"),
    ),
    Step(
        id="last_time",
        kind=InputKind.SHORT_TEXT,
        title="Last time",
        prompt="When was that, and what did you agree then?",
        placeholder="e.g. 14 Oct: Alex would add 10 new contacts a week",
        next="observed",
    ),
    Step(
        id="observed",
        kind=InputKind.LONG_TEXT,
        stage="Step 1 of 6",
        title="What you saw",
        prompt="What have you seen yourself? Describe the situation as facts.",
        guidance=(
            "Open with what you observed first-hand: dates, numbers, specific calls or meetings. "
            "Leave your feelings and other people's reports out of it — {rep} can argue with an "
            "opinion, but not with “2 demos in October against a target of 8”."
        ),
        placeholder="e.g. In October you booked 2 demos; the team target is 8.",
        checks=(_observed,),
        notes=_brief_and_draft,
        suggest=_draft,  # a draft made only of the records above, to edit (or clear)
    ),
    Step(
        id="own_part",
        kind=InputKind.LONG_TEXT,
        stage="Step 2 of 6",
        title="Your part",
        prompt="What is your own part in how things got here — and do you want to fix it together?",
        guidance=(
            "Owning your share first lowers the guard on the other side. Think about the time, "
            "help, clarity or follow-up you did not give. Say plainly that you want to sort it out."
        ),
        placeholder="e.g. I haven't joined one of your calls since September, and I want to change that.",
        checks=(_own_part,),
        notes=_own,
    ),
    Step(
        id="listen",
        kind=InputKind.INFO,
        stage="Step 3 of 6",
        title="Now listen",
        prompt="Hand the conversation to {rep} and let them talk — all the way through.",
        guidance=(
            "Ask an open question (“How do you see it?”) and then stay quiet. No corrections, no "
            "“yes, but”, no solutions yet — even the silences are theirs. Note the key points as you go; "
            "you will type them on the next screen."
        ),
    ),
    Step(
        id="rep_view",
        kind=InputKind.LONG_TEXT,
        stage="Step 3 of 6",
        title="Their view",
        prompt="How does {rep} see it? Record their view in their own words.",
        placeholder="e.g. Half my territory moved to the new team in September; my old leads went with it.",
        checks=(_rep_view,),
    ),
    Step(
        id="options",
        kind=InputKind.LONG_TEXT,
        stage="Step 4 of 6",
        title="Options",
        prompt="Which ways forward did you explore together? One per line.",
        guidance=(
            "Coach rather than prescribe: ask {rep} what could work before offering your ideas, and "
            "write down more than one. The options they come up with are the ones they will follow."
        ),
        placeholder="e.g. A prospecting campaign to the old accounts\nShadow Sam's discovery calls",
        checks=(_options,),
        notes=_options_notes,  # prospecting and opportunity-coaching ideas when opportunities are the issue
    ),
    Step(
        id="plan",
        kind=InputKind.LONG_TEXT,
        stage="Step 5 of 6",
        title="Action plan",
        prompt="The agreed plan: one action per line, each with who and by when.",
        guidance=(
            "Start a line with “me:” for what you will do and “{rep}:” for theirs; anything else counts as "
            "{rep}'s. Give every item a date (“by Friday”, “in 2 weeks”, “2026-12-04”). The plan should "
            "include at least one thing you will do too."
        ),
        placeholder="{rep}: book 5 discovery calls by Friday\nme: join two of {rep}'s calls in 2 weeks",
        parse=_parse_plan,
        checks=(_plan,),
        notes=_plan_notes,
    ),
    Step(
        id="review",
        kind=InputKind.DATE,
        stage="Step 6 of 6",
        title="Review date",
        prompt="When will you sit down together to review how it's going?",
        guidance="Pick a date once the first actions are due; two weeks out is a good default.",
        suggest=_suggest_review,
        checks=(_review,),
    ),
    Step(
        id="share",
        kind=InputKind.YES_NO,
        title="Share the plan",
        prompt="Send {rep} the agreed plan and the review date?",
        guidance="They get the actions and the date only — not your notes from the earlier steps.",
        required=True,
        next=None,
    ),
)


def summarize(answers: Mapping[str, Any], params: Mapping[str, Any]) -> tuple[Section, ...]:
    """The manager's summary of the whole conversation and the plan."""
    rep = str(params.get("rep", "the rep"))
    sections = []
    if answers.get("raised_before"):
        sections.append(Section("Raised before", (str(answers.get("last_time") or "yes"),)))
    sections += [
        Section("1. What you saw", (answers.get("observed", ""),)),
        Section("2. Your part", (answers.get("own_part", ""),)),
        Section(f"3. {rep}'s view", (answers.get("rep_view", ""),)),
        Section("4. Options explored", (answers.get("options", ""),)),
        Section("5. Action plan", plan_lines(answers.get("plan") or [], rep, str(params.get("manager", "you")))
                + _target_lines(answers.get("plan") or [])),
        Section("6. Review", (format_day(answers["review"]),) if answers.get("review") else ("not set",)),
    ]
    if "share" in answers:
        shared = f"The plan and review date were sent to {rep}." if answers["share"] else f"Not sent to {rep}."
        sections.append(Section("Shared", (shared,)))
    return tuple(sections)


def plan_lines(items: list[Mapping[str, Any]], rep: str, manager: str = "you") -> tuple[str, ...]:
    """One readable line per action item: owner, text and due date."""
    lines = []
    for item in items:
        if "target" in item:
            continue  # shown on its own line (`_target_lines`)
        who = manager if item["owner"] == "manager" else rep
        due = f" — due {format_day(item['due'])}" if item.get("due") else " — no date"
        lines.append(f"{who}: {item['text']}{due}")
    return tuple(lines)


def _target_lines(items: list[Mapping[str, Any]]) -> tuple[str, ...]:
    target = prospecting.target_of(items)
    return (f"Weekly target: {prospecting.target_text(target)}",) if target else ()


FLOW = Flow(
    name=NAME,
    title="Difficult conversation",
    steps=STEPS,
    summarize=summarize,
    cancel_text="Cancelled. The draft of this conversation was deleted; nothing was stored.",
)
