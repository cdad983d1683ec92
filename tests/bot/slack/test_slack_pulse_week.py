"""On Slack, a pulse delivered after its week (held by a pause, or a late delivery) asks about that week by
name, in its DM and in the "6 or more…" modal, and the answer is stored for it; signed requests against the
strict Slack double."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from tests.bot.slack.test_slack_nudges import served  # noqa: F401 (the fixture)
from tests.bot.slack.test_slack_signals import around_the_clock
from tests.support.lines import confirm_served
from tests.support.served import flat, new_person, query as sql, utc_text, wait_status


def test_a_pulse_sent_after_its_week_names_that_week(served, fake):  # noqa: F811
    mgr, rep = new_person(fake, "Nora Pike"), new_person(fake, "Ravi Shah")
    confirm_served(served, mgr, rep)
    around_the_clock(served, mgr, rep)
    today = datetime.now(timezone.utc).date()
    last_week = today - timedelta(days=today.weekday() + 7)
    ((rep_id, ws),) = sql(served, "SELECT id, workspace_id FROM people WHERE platform_user_id = :r", r=rep)
    key = f"pulse:late:{rep_id}"
    sql(served, "INSERT INTO nudges (workspace_id, recipient_id, kind, subject, dedupe_key, due_at, status, attempts, "
                "payload, created_at) VALUES (:w, :r, 'pulse', :s, :k, :d, 'pending', 0, :p, :d)",
        w=ws, r=rep_id, s=f"person:{rep_id}", k=key, d=utc_text(datetime.now(timezone.utc) - timedelta(minutes=1)),
        p=json.dumps({"week": last_week.isoformat()}))
    ((pulse,),) = sql(served, "SELECT id FROM nudges WHERE dedupe_key = :k", k=key)
    wait_status(served, pulse, "sent")
    sent = next(c for c in fake.calls_to("chat.postMessage") if c.delivered
                and (c.body.get("metadata") or {}).get("event_payload", {}).get("nudge_id") == pulse)
    week = f"the week of {last_week:%d %b}"
    assert f"how many new opportunities did you open in {week}?" in flat(sent.body)
    assert "this week" not in flat(sent.body)
    more = sent.body["blocks"][-1]["elements"][-1]
    assert more["text"]["text"] == "6 or more…"
    trigger = fake.trigger()
    assert served.click(more["action_id"], more["value"], user=rep, channel="D" + rep[1:], message_ts="1.1",
                        trigger_id=trigger).status == 200
    view = fake.opened_view(fake.wait_for("views.open", where=lambda c: c.body.get("trigger_id") == trigger)[-1])
    assert f"How many new opportunities did you open in {week}?" in flat(view["blocks"][0])
    assert view["blocks"][-1]["label"]["text"] == f"New opportunities in {week}"
    done = served.submit(view, {"count": {"value": {"type": "number_input", "value": "8"}}}, user=rep)
    assert f"Noted: 8 new opportunities in {week}." in flat(done.json()["view"])
    assert not fake.take_refusals()
    assert sql(served, "SELECT o.week_start, o.count FROM opportunity_counts o JOIN people p ON p.id = o.person_id "
                       "WHERE p.platform_user_id = :r", r=rep) == [(last_week.isoformat(), 8)]
