"""`coachbot demo` driven through a pipe, from a fresh database to a stored plan, as a new user would."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from storage.crypto import NotesCipher

COACHBOT = Path(sys.executable).with_name("coachbot")
TALK = [
    "/coach talk @alex",
    "no",
    "Alex is lazy and never follows up.",  # hints: label, absolute, no specifics
    "In October you booked 2 demos; the team target is 8.",  # revised: accepted
    "The targets changed.",  # no ownership: hint
    "I haven't joined one of your calls since September.",
    "",  # the listening reminder
    "Half my territory moved to the new team in September.",
    "A prospecting campaign to old accounts; shadow Sam's discovery calls",
    "Alex: book 5 discovery calls by Friday; me: join two of Alex's calls in 2 weeks",
    "",  # accept the suggested review date
    "yes",
]
# Sam invites Alex to the team and Alex accepts: the reporting line is confirmed, so the plan can be shared.
CONFIRM = ["/coach team add @alex", "/as @alex", "/coach team accept", "/as @sam"]


def run_demo(tmp_path: Path, lines: list[str], *args: str, env_extra: dict | None = None,
             expect_rc: int = 0) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COACHBOT_", "DATABASE_URL", "WORK_"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'coachbot.db'}"
    env.update(env_extra or {})
    cmd = [str(COACHBOT)] if COACHBOT.exists() else [sys.executable, "-m", "bot"]
    proc = subprocess.run([*cmd, "demo", *args], input="\n".join(lines) + "\n", capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=120)
    assert proc.returncode == expect_rc, proc.stderr
    return proc.stdout + proc.stderr


def stored(tmp_path: Path, sql: str) -> list:
    engine = create_engine(f"sqlite:///{tmp_path / 'coachbot.db'}")
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql)))
    finally:
        engine.dispose()


def test_a_whole_conversation_through_a_pipe_ends_in_a_stored_plan(tmp_path):
    out = run_demo(tmp_path, CONFIRM + TALK + ["/coach plans"])
    assert "\x1b[" not in out  # no colour codes on a pipe
    assert "Done: you report to Sam." in out
    assert "“lazy” is a label" in out and "“never follows up”" in out
    assert "This doesn't say anything about you yet" in out
    assert "Hand the conversation to Alex" in out
    assert "press Enter for Mon 7 Dec 2026" in out or "press Enter for" in out
    summary = out[out.index("Summary: Difficult conversation"):]
    assert "In October you booked 2 demos" in summary
    assert "Alex: book 5 discovery calls by Friday — due" in summary
    assert "Sam: join two of Alex's calls in 2 weeks — due" in summary
    assert "Message to @alex" in out
    assert "Plan with Alex — review" in out.split("@sam> /coach plans")[1]

    talks = stored(tmp_path, "SELECT notes_encrypted, review_on, shared_with_rep FROM conversations")
    items = stored(tmp_path, "SELECT owner_role, text_encrypted, due_on FROM action_items ORDER BY id")
    assert len(talks) == 1 and talks[0][2] in (1, True)
    assert [i[0] for i in items] == ["rep", "manager"]
    assert "October" not in talks[0][0] and "discovery" not in items[0][1]
    key_file = tmp_path / "coachbot.db.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    notes = NotesCipher(key_file.read_text().strip()).decrypt(talks[0][0])
    assert notes["observed"].startswith("In October") and notes["share"] is True


def test_quit_halfway_and_resume_in_a_new_process(tmp_path):
    first = run_demo(tmp_path, TALK[:6] + ["/quit"])
    assert "Bye. Anything unfinished is saved" in first
    second = run_demo(tmp_path, ["/coach talk @alex"] + TALK[6:])
    assert "unfinished conversation with Alex" in second
    assert second.index("Now listen") < second.index("Their view")
    assert "Summary: Difficult conversation" in second
    assert "I haven't joined one of your calls" in second  # the answer from the first run is kept
    assert len(stored(tmp_path, "SELECT id FROM conversations")) == 1


def test_the_rep_sees_the_plan_and_overdue_items_after_time_passes(tmp_path):
    out = run_demo(tmp_path, CONFIRM + TALK + ["/as @alex", "/coach plans", "/clock +8d", "/coach plans"])
    rep_part = out.split("You are now @alex.")[-1]
    first_plans, rest = rep_part.split("@alex> /clock +8d")
    during_clock, second_plans = rest.split("@alex> /coach plans")
    assert "Your plan with Sam" in first_plans and "overdue" not in first_plans
    assert "book 5 discovery calls by Friday" in second_plans and "⚠ overdue" in second_plans
    # the scheduler ran while the clock moved: check-ins and the due-date reminder arrived on the way
    assert "to @alex: Quick check-in on the plan you agreed with Sam" in during_clock
    # due the same morning as a check-in, the reminder comes in the same message (the message budget)
    assert "to @alex: Two things for you today:" in during_clock
    assert "   • Reminder: “book 5 discovery calls by Friday” is due" in during_clock
    assert "to @sam: It's been" in during_clock


def test_mistakes_get_specific_messages_and_nothing_is_lost(tmp_path):
    out = run_demo(tmp_path, [
        "hello?",  # no conversation yet
        "/dance",
        "/coach dance",
        "/coach talk",
        "/coach talk @sam",
        "/coach talk @alex",
        "maybe",  # not yes/no
        "no",
        "/back",
        "no",
        "/cancel",
        "/coach plans",
    ])
    assert "You're not in a conversation right now" in out
    assert "There is no /dance command" in out
    assert "I don't know “dance”" in out
    assert "Name the rep you want to talk to. Usage: /coach talk @rep" in out
    assert "That's you" in out
    assert "Please answer yes or no (you wrote “maybe”)" in out
    assert out.count("── Raised before?") >= 3  # shown, re-shown after the error, and after /back
    assert "Cancelled. The draft of this conversation was deleted" in out
    assert "No open plans" in out


def test_help_lists_console_and_coach_commands(tmp_path):
    out = run_demo(tmp_path, ["/help", "/coach help"])
    for word in ("/as @name", "/ok", "/back", "/cancel", "/clock +3d", "/quit", "/coach talk @rep", "/coach plans"):
        assert word in out


@pytest.mark.parametrize("flag", ["--as"])
def test_start_as_another_user(tmp_path, flag):
    out = run_demo(tmp_path, ["/whoami"], flag, "kim")
    assert "You are @kim" in out


def test_working_hours_settings_apply_to_new_people(tmp_path):
    out = run_demo(tmp_path, ["/coach settings"], env_extra={
        "DEFAULT_TIMEZONE": "Asia/Kolkata", "WORK_START": "10:00", "WORK_END": "18:30", "WORK_DAYS": "sun,mon,tue,wed,thu"})
    assert "Time zone: Asia/Kolkata" in out
    assert "Working hours: 10:00–18:30" in out
    assert "Working days: Mon, Tue, Wed, Thu, Sun" in out


def test_a_bad_setting_is_refused_with_the_reason(tmp_path):
    out = run_demo(tmp_path, ["/coach settings"], env_extra={"WORK_DAYS": "weekdays"}, expect_rc=2)
    assert "Configuration error" in out and "list working days like mon,tue,wed,thu,fri" in out
