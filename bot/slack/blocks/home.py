"""The App Home tab, and the *Show all* modal that pages through everything it lists."""
from __future__ import annotations

from datetime import datetime

from bot.core.views import Home
from bot.core.wording import followup_lines, plan_lines
from bot.slack.blocks.messages import mrkdwn_blocks
from bot.slack.mrkdwn import MODAL_BLOCKS, MODAL_TITLE, context, escape, plain, section
from flows.dates import format_day

HOME_PAGE = "home_page"
SHOW_ALL = "home_show_all"


def home_view(h: Home, now: datetime) -> dict:
    """The App Home tab: unfinished drafts, plans led, reps needing time, and the person's own plan.

    Slack shows at most 100 blocks. The main buttons always come last and always fit; when the
    rest does not, the tab says how many items are left out and offers *Show all* (`home_items_view`).
    """
    head = [{"type": "header", "text": plain(f"Hi {h.name} — your coaching", 150)}]
    main = [{"type": "button", "action_id": "home_start_talk", "text": plain("Start a difficult conversation", 75),
             "style": "primary"},
            {"type": "button", "action_id": "home_settings", "text": plain("Settings", 75)}]
    if h.own:
        main.insert(0, {"type": "button", "action_id": "home_checkin", "text": plain("Check in", 75)})
        main[1].pop("style")
        main[0]["style"] = "primary"
    tail = [{"type": "actions", "block_id": "home_main", "elements": main},
            context("Type `/coach help` anywhere to see every command.")]
    items = home_items(h, now, buttons=True)
    room = MODAL_BLOCKS - len(head) - len(tail)
    shown: list[dict] = []
    count = 0
    for item in items:
        if len(shown) + len(item) > room - (1 if count + 1 < len(items) else 0):
            break
        shown += item
        count += 1
    if count < len(items):
        left = len(items) - count
        shown.append({"type": "section", "text": {"type": "mrkdwn", "text": f"{left} more item{'s' if left != 1 else ''}"
                                                                             " didn't fit on this page."},
                      "accessory": {"type": "button", "action_id": SHOW_ALL, "text": plain("Show all", 75),
                                    "value": "1"}})
    return {"type": "home", "blocks": head + shown + tail}


def home_items(h: Home, now: datetime, *, buttons: bool) -> list[list[dict]]:
    """Everything the home tab lists, one list of blocks per item (a heading travels with its first item)."""
    items: list[list[dict]] = []
    for u in h.unfinished:
        what = f"Conversation with {escape(u.about)}" if u.flow == "talk" else "Your check-in"
        items.append([_with_button(f":pencil2: *{what}* — unfinished (saved {format_day(u.updated_at.date())})",
                                   "home_resume", "Continue", u.session_id, buttons)])
    for retro_id, deal in h.waiting_retros:
        items.append([_with_button(f":chart_with_downwards_trend: *{escape(deal)}* was lost — a short retrospective "
                                   "is waiting for you", "retro_start", "Start", str(retro_id), buttons)])
    if h.followups:
        items.append(mrkdwn_blocks(followup_lines(h.followups)))
    team = [mrkdwn_blocks(plan_lines(plan, h.viewer_id, h.today)) for plan in h.leading]
    for rep in h.needs_contact(now):
        when = "no check-in or conversation yet" if rep.last_contact is None else \
            f"last contact {(now - rep.last_contact).days} days ago"
        team.append([_with_button(f"*{escape(rep.name)}* — {when}", "home_checked_in", "I checked in",
                                  rep.external_id, buttons)])
    if team:
        team[0].insert(0, {"type": "header", "text": plain("Your team", 150)})
    own = [mrkdwn_blocks(plan_lines(plan, h.viewer_id, h.today)) for plan in h.own]
    if own:
        own[0].insert(0, {"type": "header", "text": plain("Your plan", 150)})
        if h.next_checkin:
            own[-1].append(context(f"Next check-in: {format_day(h.next_checkin.date())} around "
                                   f"{h.next_checkin:%H:%M} — or check in any time with the *Check in* button."))
    return items + team + own


def _with_button(text: str, action_id: str, label: str, value: str, buttons: bool) -> dict:
    block = section(text)
    if buttons:
        block["accessory"] = {"type": "button", "action_id": action_id, "text": plain(label, 75), "value": value}
    return block


def home_items_view(h: Home, now: datetime, page: int) -> dict:
    """Everything on the home tab, a page at a time, in a modal (the tab itself holds 100 blocks)."""
    pages: list[list[dict]] = [[]]
    for item in home_items(h, now, buttons=False):
        if pages[-1] and len(pages[-1]) + len(item) > MODAL_BLOCKS - 3:
            pages.append([])
        pages[-1] += item
    page = min(max(page, 1), len(pages))
    nav = []
    if page > 1:
        nav.append({"type": "button", "action_id": f"{HOME_PAGE}.prev", "text": plain("← Previous", 75),
                    "value": str(page - 1)})
    if page < len(pages):
        nav.append({"type": "button", "action_id": f"{HOME_PAGE}.next", "text": plain("Next →", 75),
                    "value": str(page + 1)})
    blocks = [context(f"Page {page} of {len(pages)}")] + (pages[page - 1] or [section("Nothing to show.")])
    if nav:
        blocks.append({"type": "actions", "block_id": "pages", "elements": nav})
    return {"type": "modal", "callback_id": "home_items", "title": plain("Your coaching", MODAL_TITLE),
            "close": plain("Close", 24), "blocks": blocks}
