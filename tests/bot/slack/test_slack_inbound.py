"""What Slack hands in, read back to what the person typed: commands, mentions, Slack's own markup."""
from __future__ import annotations

import pytest

from bot.core.commands import PersonRef
from bot.slack.inbound import deal_from_message, loose_handles, parse_command
from tests.support.slack_requests import typed


@pytest.mark.parametrize("sent,args,people", [
    # a picked person is a mention; what the person typed around it comes back as typed
    (f"lost {typed('R&D <Labs> 5>3')} 12k <@U0ALEX|alex>", ("R&D", "<Labs>", "5>3", "12k"), ("U0ALEX",)),
    # a typed "<@U999>" arrives escaped: it is text, not a mention
    (f"lost {typed('<@U999>')} Acme", ("<@U999>", "Acme"), ()),
    # Slack's markup for @here, #channel and links reads as the person typed it
    ("lost Acme <!here> <#C0123|deals> <https://crm.example/1> <https://crm.example/2|Deal two>",
     ("Acme", "@here", "#deals", "https://crm.example/1", "Deal", "two"), ()),
    ("lost Acme <!subteam^S0SALES|@sales> <mailto:a@b.example|a@b.example>", ("Acme", "@sales", "a@b.example"), ()),
])
def test_command_text_is_read_as_typed(sent, args, people):
    cmd = parse_command(sent)
    assert cmd.name == "lost" and cmd.args == args and tuple(p.external_id for p in cmd.people) == people


def test_the_subcommand_and_loose_handles():
    assert parse_command(typed("R&D<x>")).name == "r&d<x>"  # shown back once-escaped, not twice
    assert loose_handles("talk @alex") == ["alex"] and loose_handles("talk <@U0A|alex> <!here>") == []
    assert parse_command("talk @alex").people == () and parse_command("talk <@U0A|al &amp; ex>").people == (
        PersonRef("U0A", "al & ex"),)


@pytest.mark.parametrize("text,deal,amount", [
    (f"Deal *{typed('R&D <Labs>')}* moved to Closed Lost — $40,000", "R&D <Labs>", "$40,000"),
    ("Deal *Wayne <https://crm.example/w|Enterprises>* lost <https://crm.example/d/9|open in CRM>",
     "Wayne Enterprises", ""),
    ("Closed lost: Initech (renewal) €8.5k", "Initech", "€8.5k"),
])
def test_a_crm_post_gives_the_deal_as_written(text, deal, amount):
    assert deal_from_message(text) == (deal, amount)
