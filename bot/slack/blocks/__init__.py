"""Pure renderers: neutral outputs in, Block Kit dicts out. Every piece of user text is escaped here.

One module per Slack surface: `steps` (a flow step as a modal), `forms` (the other modals),
`messages` (chat messages and posts), `home` (the App Home tab). Listeners use them as `blocks.*`.
"""
from bot.slack.blocks.forms import (
    LOST_DEAL, NOTICE_PREFIX, PICK_REP, SETTINGS, lost_deal_view, notice_view, pick_rep_view, settings_view,
    with_notice,
)
from bot.slack.blocks.home import HOME_PAGE, SHOW_ALL, home_items, home_items_view, home_view
from bot.slack.blocks.messages import (
    answered, loss_prompt_message, message, messages, mrkdwn_blocks, mrkdwn_lines, nudge_message, plain_text_of, plans_message,
    report_message, settings_text, split_message, team_message,
)
from bot.slack.blocks.steps import (
    ANSWER_ACTION, ANSWER_BLOCK, FLOW_STEP, done_view, element_for, prompt_view, read_answer, step_meta,
    summary_blocks,
)

__all__ = [
    "ANSWER_ACTION", "ANSWER_BLOCK", "FLOW_STEP", "HOME_PAGE", "LOST_DEAL", "NOTICE_PREFIX", "PICK_REP", "SETTINGS",
    "SHOW_ALL", "answered", "done_view", "element_for", "home_items", "home_items_view", "home_view",
    "loss_prompt_message", "lost_deal_view", "message", "messages", "mrkdwn_blocks", "mrkdwn_lines", "nudge_message", "notice_view",
    "pick_rep_view", "plain_text_of", "plans_message", "prompt_view", "read_answer", "report_message",
    "settings_text", "settings_view", "split_message", "step_meta", "summary_blocks", "team_message", "with_notice",
]
