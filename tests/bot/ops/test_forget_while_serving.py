"""`coachbot forget` run beside a live `coachbot serve`: the server remembers the last flow steps it
showed (bot/core/step_cache.py), and must show nothing of an erased person from that memory."""
from __future__ import annotations

from tests.bot.ops.test_data_rights import run_cli
from tests.support import slack_requests as sr
from tests.support.evidence import attempted
from tests.support.lines import confirm_served
from tests.support.served import flat, new_person, query

EMPTY_CHOICE = {"answer": {"value": {"type": "radio_buttons", "selected_option": None}}}  # as Slack sends it


def test_a_running_server_shows_nothing_of_a_person_forgotten_by_the_cli(served, fake):
    forget_beside(served, fake)


def test_the_same_on_postgresql(fake, pg_server, tmp_path):
    from tests.support.pgdb import fresh_pg_database
    from tests.support.served import Served

    with fresh_pg_database(pg_server) as url:
        served = Served(fake, tmp_path, database_url=url)
        try:
            forget_beside(served, fake)
        finally:
            served.stop()


def forget_beside(served, fake) -> None:
    """A manager's talk with a rep is open in the server (remembered there); the CLI erases the rep."""
    mgr, rep = new_person(fake, "Cara Keeper"), new_person(fake, "Zebedee Forgotten")
    confirm_served(served, mgr, rep)
    view = served.open_modal(f"talk <@{rep}>", user=mgr)  # the server now remembers this step
    # Left empty: nothing to write, so the step is answered from what the server remembers.
    again = served.submit(view, EMPTY_CHOICE, user=mgr)
    assert again.status == 200 and again.json()["response_action"] == "errors", again.text
    erased = run_cli("forget", rep, "--yes", env={"DATABASE_URL": served.database_url,
                                                    "COACHBOT_ENCRYPTION_KEY": served.key})
    assert erased.returncode == 0, erased.stderr
    assert "already delivered stay in Slack or Teams" in erased.stdout
    assert query(served, "SELECT id FROM flow_sessions WHERE subject_id IN "
                         "(SELECT id FROM people WHERE name = 'Zebedee Forgotten')") == []
    for answer in (EMPTY_CHOICE, sr.radio_answer("no")):  # shown from memory, or written over it: neither
        reply = served.submit(view, answer, user=mgr)
        said = flat(reply.json()) if reply.text.startswith("{") else reply.text
        refused = reply.status == 200 and "doesn't exist" in said and "Zebedee" not in said
        attempted("a running server showing a step about a person `coachbot forget` erased", refused)
        assert refused, (reply.status, said[:400])
    assert query(served, "SELECT count(*) FROM flow_sessions s JOIN people p ON p.id = s.user_id "
                         "WHERE p.platform_user_id = :m AND s.status = 'active'", m=mgr) == [(0,)]


def test_an_expired_step_leaves_memory_at_the_next_step_taken():
    from bot.core.step_cache import StepCache
    from flows.engine import FlowState

    now = [0.0]
    cache = StepCache(ttl=60, clock=lambda: now[0])
    owner = ("slack", "T1", "U0SAM")
    cache.put("erased-persons-draft", owner, FlowState(flow="talk", step="observed", version=2))
    now[0] = 61
    cache.put("someone-elses", owner, FlowState(flow="talk", step="observed", version=1))
    assert len(cache) == 1  # the expired entry, and the notes it held, are gone without being asked for
