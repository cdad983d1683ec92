"""Property-based fuzzing (hypothesis) of every payload parser and of the flow engine.

Parsers: any input gives a well-formed result or the parser's own, documented refusal — never an
unexpected exception. Engine: any sequence of answers, clicks, back-steps, stale presses and cancels
leaves a state that round-trips through storage and that the engine can always show again.
"""
from __future__ import annotations

import json
import math
from datetime import date, datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from bot.core.commands import Command, parse
from bot.core.retros import parse_amount
from bot.slack import blocks
from bot.slack.inbound import deal_from_message
from bot.slack.mrkdwn import escape, long_text_sections
from bot.teams import cards
from bot.teams.inbound import parse_message, parse_submission
from bot.webhooks import WebhookError, parse_generic, parse_hubspot
from flows import engine
from flows.dates import find_date, parse_date
from flows.engine import Action, Answer, FlowState
from flows.outputs import Cancelled, Done, Prompt, Refused
from flows.registry import FLOWS

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20)
slackish = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300) | st.sampled_from([
    "talk <@U123|alex>", "lost Acme 12k <@U9>", "<!channel> talk", "pause until 2026-12-01", "@@@", "talk @",
    "report 90d", "team add @a @b <@W1|x>", "\u0000\u200b talk", "lost " + "x" * 5000])


@FUZZ
@given(slackish)
def test_command_parsing_never_fails_and_keeps_people_as_refs(text):
    cmd = parse(text)
    assert isinstance(cmd, Command) and cmd.name == cmd.name.lower()
    assert all(p.external_id and p.name for p in cmd.people)


@FUZZ
@given(st.text(max_size=400), st.lists(json_values | st.fixed_dictionaries(
    {"type": st.just("mention"), "mentioned": st.fixed_dictionaries({"id": st.text(max_size=8),
                                                                     "name": st.text(max_size=12)}),
     "text": st.text(max_size=20)}), max_size=4))
def test_teams_messages_parse_whatever_the_text_and_entities(text, entities):
    cmd = parse_message(text, entities, "28:bot")
    assert isinstance(cmd, Command)
    assert all(p.external_id != "28:bot" for p in cmd.people)


@FUZZ
@given(json_values)
def test_teams_card_submissions_are_ours_or_ignored(value):
    found = parse_submission(value)
    assert found is None or found.kind in ("step", "back", "discard", "retro_start", "nudge")


@FUZZ
@given(st.dictionaries(st.sampled_from(["answer", "kind", "x"]), json_values, max_size=3),
       st.sampled_from(["short_text", "long_text", "choice", "multi_choice", "date", "yes_no", "info", "?"]))
def test_card_and_modal_answers_read_back_as_text_lists_or_nothing(value, kind):
    got = cards.read_answer(value, kind)
    assert got is None or isinstance(got, (str, list))
    state = {"answer": {"value": value if isinstance(value, dict) else {}}}
    slack = blocks.read_answer(state, kind)
    assert slack is None or isinstance(slack, (str, list))


@FUZZ
@given(json_values)
def test_crm_payloads_parse_or_are_refused_with_422(data):
    for parser in (parse_generic, parse_hubspot):
        try:
            parser(data)
        except WebhookError as exc:
            assert exc.status in (400, 422) and exc.reason


@FUZZ
@given(st.text(max_size=80))
def test_dates_and_amounts_parse_or_say_no(text):
    found = parse_date(text, date(2026, 11, 23))
    assert found is None or isinstance(found, date)
    found, _ = find_date(text, date(2026, 11, 23))
    assert found is None or isinstance(found, date)
    amount = parse_amount(text)
    assert amount is None or amount >= 0
    deal, money = deal_from_message(text)
    assert isinstance(deal, str) and isinstance(money, str)


@FUZZ
@given(st.text(max_size=9000))
def test_escaped_text_never_holds_a_live_mention_and_is_split_whole(text):
    assert "<" not in escape(text) and ">" not in escape(text)
    parts = long_text_sections(text)
    assert all(len(p["text"]["text"]) <= 3000 for p in parts)
    if text.strip():  # an empty message is shown as one blank section, never as none at all
        assert "".join(p["text"]["text"] for p in parts) == escape(text)


# ---- the engine -------------------------------------------------------------------------------

answers = st.one_of(
    st.builds(Answer, value=st.none() | st.text(max_size=120) | st.sampled_from(
        ["yes", "no", "2030-01-15", "2020-01-01", "by Friday", "in 2 weeks", "price", "other", "competitor"])
        | st.lists(st.sampled_from(["price", "timing", "a", "b"]), max_size=3)),
    st.builds(Answer, action=st.sampled_from([Action.KEEP, Action.BACK, Action.SUBMIT])),
    st.builds(Answer, value=st.text(max_size=20), version=st.integers(-2, 40)),  # stale or future presses
    st.builds(Answer, value=st.text(max_size=20), step=st.text(max_size=10)),
    st.just(Answer(action=Action.CANCEL)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(FLOWS)), st.lists(answers, max_size=40))
def test_any_sequence_of_answers_leaves_a_valid_state(flow_name, moves):
    flow = FLOWS[flow_name]
    params = {"rep": "Alex", "rep_id": 2, "manager": "Sam", "manager_id": 1, "tz": "Europe/London",
              "deal": "Acme", "retro_id": 1}
    turn = engine.start(flow, params, NOW, "sid")
    state = turn.state
    for move in moves:
        before = state.version
        turn = engine.advance(flow, state, move, NOW, "sid")
        state = FlowState.from_dict(json.loads(json.dumps(turn.state.to_dict())))  # as storage would keep it
        assert state.version >= before
        assert state.status in ("active", "done", "cancelled")
        assert turn.outputs, "every turn says something"
        kinds = {type(o) for o in turn.outputs}
        if state.status == "active":
            assert state.step in {s.id for s in flow.steps}
            assert Prompt in kinds or Refused in kinds
            engine.resume(flow, state, NOW, "sid")  # the stored state can always be shown again
        else:
            assert Done in kinds or Cancelled in kinds or Refused in kinds


@FUZZ
@given(st.text(max_size=300) | json_values.map(json.dumps))
def test_modal_metadata_is_ours_or_treated_as_out_of_date(raw):
    from bot.slack.acks import step_meta_of as _meta

    meta = _meta(raw)
    assert meta is None or (isinstance(meta, dict) and meta.get("sid"))


form_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200)
raw_form = st.text(alphabet=st.sampled_from(list("%=&+ab3DdFfz0\n\r é~_")), max_size=60) | st.sampled_from([
    "%", "a=%", "a=%4", "a=%zz", "a=%%41", "a=%3D%3d", "a==b", "=", "&&", "a", "a=b=c", "p=%E2%80%9C", "p=%e2%80%9c",
    "x=%ZZ%41", "x=100%25", "x=%0A%0D", "x=%C3", "x=é%41"])


@FUZZ
@given(st.lists(st.tuples(form_text, form_text), max_size=6))
def test_slack_form_bodies_decode_exactly_as_the_standard_library_does(pairs):
    from urllib.parse import parse_qsl, urlencode

    from bot.slack.forms import parse_form

    body = urlencode(pairs)
    assert parse_form(body) == parse_qsl(body, keep_blank_values=True)
    assert parse_form(body) == list(pairs)


@FUZZ
@given(raw_form)
def test_malformed_form_bodies_decode_exactly_as_the_standard_library_does(body):
    from urllib.parse import parse_qsl

    from bot.slack.forms import parse_form

    assert parse_form(body) == parse_qsl(body, keep_blank_values=True)


@FUZZ
@given(json_values)
def test_slack_request_bodies_read_as_bolt_reads_them(value):
    from urllib.parse import urlencode

    from slack_bolt.request.internals import parse_body as bolt_parse_body

    from bot.core.untrusted import Refused, cleaned
    from bot.slack.forms import parse_body

    form = "application/x-www-form-urlencoded"
    for body, content_type in ((urlencode({"payload": json.dumps(value)}), form),
                               (urlencode({"command": "/coach", "text": json.dumps(value)}), form),
                               (json.dumps({"event": value}), "application/json"), ("", form)):
        if body and "command" not in body and not _finite(value):  # Infinity is no JSON number: refused
            with pytest.raises(Refused):
                parse_body(body, content_type)
            continue
        # The same, except that NUL characters (which PostgreSQL refuses in text) are dropped.
        assert parse_body(body, content_type) == cleaned(bolt_parse_body(body, content_type))


def _finite(value) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, (list, dict)):
        return all(_finite(v) for v in (value.values() if isinstance(value, dict) else value))
    return True
