"""Prospecting focus on Slack (issue 17.4): a plan with a weekly target, through the signed modal, and the
rep's check-in DM showing the weeks against it — accepted by the strict Slack double."""
from __future__ import annotations

import json
import time
from datetime import date, datetime, timedelta, timezone

from flows.prospecting import Week
from tests.support.fakes.slack_api import manifest_scopes
from tests.support.served import query as sql, utc_text, wait_status
from tests.bot.slack.test_slack_nudges import make_due, pair, served  # noqa: F401 (the fixture)
from tests.bot.slack.test_slack_serve import walk_talk


def plan_with_a_target(served, fake) -> tuple[str, str, date]:  # noqa: F811
    """A talk held last week whose plan sets 3 new opportunities a week, and 2 answered for that week;
    both people at work around the clock. Returns the manager, the rep and last week's Monday."""
    mgr, rep = pair(fake)
    walk_talk(served, mgr, rep, plan="book 5 discovery calls by Friday\nme: join two calls in 2 weeks\n"
                                     "target: 3 new opportunities a week")
    fake.wait_for("views.publish", where=lambda c: c.body.get("user_id") == mgr)
    (target,) = sql(served, "SELECT c.weekly_target FROM conversations c JOIN people p ON p.id = c.rep_id "
                            "WHERE p.platform_user_id = :r", r=rep)
    assert target[0] == 3
    sql(served, "UPDATE people SET work_start = '00:00', work_end = '23:59', "
                "work_days = 'mon,tue,wed,thu,fri,sat,sun' WHERE platform_user_id IN (:m, :r)", m=mgr, r=rep)
    last_week = date.today() - timedelta(days=date.today().weekday() + 7)
    sql(served, "UPDATE conversations SET created_at = :t WHERE rep_id = (SELECT id FROM people "
                "WHERE platform_user_id = :r)", t=utc_text(datetime.combine(last_week, datetime.min.time(), timezone.utc)), r=rep)
    sql(served, "INSERT INTO opportunity_counts (workspace_id, person_id, week_start, count, source, updated_at) "
                "SELECT workspace_id, id, :w, 2, 'pulse', :t FROM people WHERE platform_user_id = :r",
        w=str(last_week), t=utc_text(datetime.now(timezone.utc)), r=rep)
    return mgr, rep, last_week


def _nudge(served, who: str, kind: str) -> int:
    (found,) = [row[0] for row in sql(served, "SELECT n.id FROM nudges n JOIN people p ON p.id = n.recipient_id "
                                              "WHERE p.platform_user_id = :w AND n.kind = :k "
                                              "ORDER BY n.due_at LIMIT 1", w=who, k=kind)]
    return found


def test_a_checkin_shows_the_weeks_against_the_plans_target(served, fake):  # noqa: F811
    mgr, rep, last_week = plan_with_a_target(served, fake)
    checkin = _nudge(served, rep, "checkin_rep")
    uploads_before = len(fake.calls_to("files.completeUploadExternal"))
    make_due(served, [checkin])
    wait_status(served, checkin, "sent")
    dm = next(c for c in fake.calls_to("chat.postMessage") if c.body.get("channel") == rep
              and "Quick check-in" in json.dumps(c.body))
    text = json.dumps(dm.body, ensure_ascii=False)
    assert "against the target of 3" in text
    assert f"wk {last_week.day} {last_week:%b}  ███████░░░ 2/3" in text
    assert len(fake.calls_to("files.completeUploadExternal")) == uploads_before  # a check-in stays text


def _packs_to(fake, mgr: str) -> list:
    return [c for c in fake.calls_to("chat.postMessage") if c.body.get("channel") == mgr
            and "Review day" in json.dumps(c.body)]


def test_the_review_pack_brings_a_chart_of_the_weeks_against_the_target_into_the_managers_dm(served, fake):  # noqa: F811
    mgr, rep, last_week = plan_with_a_target(served, fake)
    pack = _nudge(served, mgr, "review_pack")
    uploads_before = len(fake.calls_to("files.completeUploadExternal"))
    make_due(served, [pack])
    _, attempts, _, ref = wait_status(served, pack, "sent")
    dm = ref.split(":")[0]
    (sent,) = _packs_to(fake, mgr)
    text = json.dumps(sent.body, ensure_ascii=False)
    assert "against the target of 3" in text and f"wk {last_week.day} {last_week:%b}  ███████░░░ 2/3" in text
    # the chart follows the posted text, outside the send
    (shared,) = fake.wait_for("files.completeUploadExternal", count=uploads_before + 1)[uploads_before:]
    assert shared.body["channel_id"] == dm and attempts == 1
    files = shared.body["files"]
    (file,) = json.loads(files) if isinstance(files, str) else files
    assert "target of 3" in file.get("title", "")
    assert any(True for c in fake.calls_to("files.getUploadURLExternal") if c.body.get("filename", "").endswith(".png"))
    assert b"\x89PNG\r\n\x1a\n" in fake.uploads[file["id"]]  # the bytes Slack was given are a PNG


def test_without_files_write_the_review_pack_is_still_sent_once_and_only_the_chart_is_missing(served, fake):  # noqa: F811
    mgr, rep, last_week = plan_with_a_target(served, fake)
    pack = _nudge(served, mgr, "review_pack")
    fake.grant(fake.bot_token, manifest_scopes() - {"files:write"})
    posted = time.monotonic()
    try:
        make_due(served, [pack])
        _, attempts, error, ref = wait_status(served, pack, "sent")
        fake.wait_for("files.getUploadURLExternal", where=lambda c: c.token == fake.bot_token and c.at > posted)
        time.sleep(1.5)  # a few ticks: a nudge wrongly retried for its picture would post again
    finally:
        fake.scopes.pop(fake.bot_token)
    assert attempts == 1 and not error and ref.startswith("D")
    (sent,) = _packs_to(fake, mgr)
    assert f"wk {last_week.day} {last_week:%b}  ███████░░░ 2/3" in json.dumps(sent.body, ensure_ascii=False)
    assert {(r[0], r[1]) for r in fake.take_refusals()} == {("files.getUploadURLExternal", "missing_scope")}


def test_the_slack_chart_of_the_weeks_against_the_target_is_a_png():
    from bot.slack.charts import target_chart

    weeks = (Week(date(2026, 11, 2), 4), Week(date(2026, 11, 9), None),
             Week(date(2026, 11, 16), 6))
    png = target_chart(weeks, 5)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000
