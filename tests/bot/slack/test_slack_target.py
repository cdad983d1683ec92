"""Prospecting focus on Slack (issue 17.4): a plan with a weekly target, through the signed modal, and the
rep's check-in DM showing the weeks against it — accepted by the strict Slack double."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

from flows.prospecting import Week
from tests.support.served import query as sql, utc_text, wait_status
from tests.bot.slack.test_slack_nudges import make_due, pair, served  # noqa: F401 (the fixture)
from tests.bot.slack.test_slack_serve import walk_talk


def test_a_checkin_shows_the_weeks_against_the_plans_target(served, fake):  # noqa: F811
    mgr, rep = pair(fake)
    walk_talk(served, mgr, rep, plan="book 5 discovery calls by Friday\nme: join two calls in 2 weeks\n"
                                     "target: 3 new opportunities a week")
    fake.wait_for("views.publish", where=lambda c: c.body.get("user_id") == mgr)
    (target,) = sql(served, "SELECT c.weekly_target FROM conversations c JOIN people p ON p.id = c.rep_id "
                            "WHERE p.platform_user_id = :r", r=rep)
    assert target[0] == 3
    sql(served, "UPDATE people SET work_start = '00:00', work_end = '23:59', "
                "work_days = 'mon,tue,wed,thu,fri,sat,sun' WHERE platform_user_id IN (:m, :r)", m=mgr, r=rep)
    # The talk was held last week: that week's pulse answer shows against the target.
    monday = date.today() - timedelta(days=date.today().weekday())
    sql(served, "UPDATE conversations SET created_at = :t WHERE rep_id = (SELECT id FROM people "
                "WHERE platform_user_id = :r)", t=utc_text(datetime.combine(monday - timedelta(days=7), datetime.min.time(), timezone.utc)), r=rep)
    sql(served, "INSERT INTO opportunity_counts (workspace_id, person_id, week_start, count, source, updated_at) "
                "SELECT workspace_id, id, :w, 2, 'pulse', :t FROM people WHERE platform_user_id = :r",
        w=str(monday - timedelta(days=7)), t=utc_text(datetime.now(timezone.utc)), r=rep)
    (checkin,) = [row[0] for row in sql(served, "SELECT n.id FROM nudges n JOIN people p ON p.id = n.recipient_id "
                                                "WHERE p.platform_user_id = :r AND n.kind = 'checkin_rep' "
                                                "ORDER BY n.due_at LIMIT 1", r=rep)]
    make_due(served, [checkin])
    wait_status(served, checkin, "sent")
    dm = next(c for c in fake.calls_to("chat.postMessage") if c.body.get("channel") == rep
              and "Quick check-in" in json.dumps(c.body))
    text = json.dumps(dm.body, ensure_ascii=False)
    assert "against the target of 3" in text
    assert f"wk {(monday - timedelta(days=7)).day} {(monday - timedelta(days=7)):%b}  ███████░░░ 2/3" in text


def test_the_slack_chart_of_the_weeks_against_the_target_is_a_png():
    from bot.slack.charts import target_chart

    weeks = (Week(date(2026, 11, 2), 4), Week(date(2026, 11, 9), None),
             Week(date(2026, 11, 16), 6))
    png = target_chart(weeks, 5)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000
