"""`/coach team sync` through signed Slack requests: a Slack admin confirms reporting lines from the
manager field of Slack profiles (read with team.profile.get and users.profile.get from the strict
double), with no cycle, every change audited, everyone concerned told by DM, a page at a time; a
member can't, a missing permission is explained, and a workspace without such a field is told so.
The double's own rules for those two methods are broken on purpose at the end."""
from __future__ import annotations

import json
import urllib.request

import pytest

from tests.support.evidence import attempted
from tests.support.fakes.slack_api import FakeSlack, manifest_scopes
from tests.support.lines import confirm_served
from tests.support.served import Served, eventually, flat, new_person as person, query as rows, scalar

FIELD = "Xf02MANAGER"


@pytest.fixture
def fake():
    f = FakeSlack().start()
    f.define_field("Xf01PHONE", "Phone extension", "text")
    f.define_field(FIELD, "Reports to", "user")
    yield f
    f.stop()


def serve(fake: FakeSlack, workdir, url: str | None = None) -> Served:
    return Served(fake, workdir, database_url=url, extra_env={"COACHBOT_TICK_SECONDS": "0.3"})


def meet(served: Served, *users: str) -> None:
    """Each person uses coachbot once (so coachbot has met them, in this order)."""
    for user in users:
        served.command("team", user=user)
        served.fake.wait_for_response(user)


def admin(served: Served, fake: FakeSlack) -> str:
    boss = person(fake, "Ada Admin")
    fake.users[boss]["is_admin"] = True
    meet(served, boss)
    return boss


def manager_of(served: Served, user: str) -> str | None:
    found = rows(served, "SELECT m.platform_user_id FROM people r LEFT JOIN people m ON m.id = r.manager_id "
                         "WHERE r.platform_user_id = :u", u=user)
    return found[0][0] if found else None


def dm_to(fake: FakeSlack, user: str, words: str):
    return fake.wait_for("chat.postMessage", timeout=15, where=lambda c: c.body.get("channel") == user
                         and words in flat(c.body))


def test_an_admin_syncs_lines_from_the_manager_field_and_everyone_concerned_hears(db_url, fake, tmp_path):
    served = serve(fake, tmp_path, db_url)
    try:
        ada = admin(served, fake)
        olga, bo, rita, ravi, mo, gus = (person(fake, n) for n in (
            "Olga Old", "Bo Boss", "Rita Rep", "Ravi Rep", "Mo Member", "Gus Ghosted"))
        nora = person(fake, "Nora Newboss")  # in Slack, but she has never used coachbot
        meet(served, olga, bo, rita, ravi, mo, gus)
        confirm_served(served, olga, ravi)  # Ravi reports to Olga before the sync
        fake.set_field(olga, FIELD, rita)
        fake.set_field(bo, FIELD, olga)
        fake.set_field(rita, FIELD, bo)     # rita > olga > bo already: Rita under Bo would be a cycle
        fake.set_field(ravi, FIELD, nora)   # moves from Olga to someone coachbot hasn't met
        fake.set_field(gus, FIELD, "U0GONE9999")  # not in this Slack workspace (any more)
        fake.set_field(mo, "Xf01PHONE", "4711")   # another field: Mo has no manager given

        served.command("team sync", user=mo)
        refused = fake.wait_for_response(mo, containing="Only a workspace admin")
        attempted("syncing reporting lines from Slack profiles without being an admin",
                  bool(refused) and manager_of(served, bo) is None)
        assert refused and manager_of(served, bo) is None and not fake.calls_to("users.profile.get")

        served.command("team sync", user=ada)
        said = flat(fake.wait_for_response(ada, containing="Read the")[-1])
        assert "Read the “Reports to” field of 7 Slack profile(s) (people 1–7 of the 7" in said
        assert "3 line(s) confirmed, 0 already so, 2 with the field empty" in said
        assert "1 of the managers named hadn't used coachbot yet" in said
        assert f"Rita Rep: “{bo}” reports to “{rita}” (directly or further up)" in said and "cycle" in said
        assert "Gus Ghosted: Slack doesn't know their manager U0GONE9999 here (user_not_found)" in said
        assert "more people to read" not in said
        assert [r[2] for r in fake.take_refusals()] == [["no user 'U0GONE9999' in this workspace"]]

        assert {u: manager_of(served, u) for u in (olga, bo, rita, ravi, mo, gus)} == {
            olga: rita, bo: olga, rita: None, ravi: nora, mo: None, gus: None}
        assert rows(served, "SELECT name, is_admin FROM people WHERE platform_user_id = :u", u=nora) in (
            [("Nora Newboss", 0)], [("Nora Newboss", False)])
        assert scalar(served, "SELECT count(*) FROM reporting_changes WHERE how = 'slack_profile'") == 3
        assert dm_to(fake, bo, "You now report to Olga Old on coachbot (from your organisation's data)")
        assert dm_to(fake, olga, "Bo Boss now reports to you")
        assert dm_to(fake, rita, "Olga Old now reports to you")
        assert dm_to(fake, nora, "Ravi Rep now reports to you")
        assert dm_to(fake, olga, "Ravi Rep now reports to Nora Newboss")
        assert eventually(lambda: scalar(served, "SELECT count(*) FROM nudges WHERE kind = 'message' "
                                                 "AND status = 'sent'") >= 7)

        served.command("team sync", user=ada)  # again: nothing changes, nobody is told twice
        again = flat(fake.wait_for_response(ada, count=2, containing="0 line(s) confirmed, 3 already so")[-1])
        assert "being told" not in again
        fake.take_refusals()  # U0GONE9999 looked up again
    finally:
        served.stop()


def test_a_big_workspace_is_read_a_page_at_a_time(fake, tmp_path):
    served = serve(fake, tmp_path)
    try:
        ada, lead = admin(served, fake), person(fake, "Lee Lead")
        meet(served, lead)
        ws = scalar(served, "SELECT workspace_id FROM people WHERE platform_user_id = :u", u=ada)
        for i in range(104):  # people coachbot met before; each of them reports to Lee in Slack
            uid = f"U0MANY{i:04d}"
            fake.add_user(uid, f"Many {i}")
            fake.set_field(uid, FIELD, lead)
            rows(served, "INSERT INTO people (workspace_id, platform_user_id, name, tz, work_start, work_end, "
                         "work_days, opted_out, is_admin, created_at) VALUES (:w, :u, :n, 'UTC', '09:00', '17:30', "
                         "'mon,tue,wed,thu,fri', false, false, '2026-11-23 15:00:00.000000')", w=ws, u=uid,
                 n=f"Many {i}")
        served.command("team sync", user=ada)
        first = flat(fake.wait_for_response(ada, containing="Read the")[-1])
        assert "field of 100 Slack profile(s) (people 1–100 of the 106" in first
        assert "98 line(s) confirmed" in first and "6 more people to read: run /coach team sync 101 to continue" in first
        served.command("team sync 101", user=ada)
        rest = flat(fake.wait_for_response(ada, count=2, containing="people 101–106")[-1])
        assert "6 line(s) confirmed" in rest and "more people to read" not in rest
        assert scalar(served, "SELECT count(*) FROM people WHERE manager_id = (SELECT id FROM people "
                              "WHERE platform_user_id = :u)", u=lead) == 104
        served.command("team sync 500", user=ada)
        assert fake.wait_for_response(ada, containing="nobody from number 500 on")
        served.command("team sync soon", user=ada)
        assert fake.wait_for_response(ada, containing="Usage: /coach team sync [number]")
    finally:
        served.stop()


def test_a_field_naming_hundreds_of_people_costs_no_more_reads(fake, tmp_path):
    """A person who can edit their profile lists 300 user ids as their manager: the sync says it names
    several people, and reads no profile beyond the page and one manager each (not 300 more)."""
    served = serve(fake, tmp_path)
    try:
        ada, lee, pat = admin(served, fake), person(fake, "Lee Lead"), person(fake, "Pat Padded")
        meet(served, lee, pat)
        fake.set_field(pat, FIELD, ",".join(f"U0PAD{i:04d}" for i in range(300)))
        fake.set_field(lee, FIELD, ada)
        before = len(fake.calls_to("users.profile.get"))
        served.command("team sync", user=ada)
        said = flat(fake.wait_for_response(ada, containing="Read the")[-1])
        reads = len(fake.calls_to("users.profile.get")) - before
        attempted("team sync: a profile field listing hundreds of ids (bounded profile reads)", reads <= 4)
        assert "Pat Padded: the field names several people" in said and "1 line(s) confirmed" in said, said
        assert reads <= 4, reads  # Ada, Lee, Pat; Ada is also Lee's manager, already read
    finally:
        served.stop()


def test_a_missing_permission_or_field_is_said_plainly(fake, tmp_path):
    served = serve(fake, tmp_path)
    try:
        ned = person(fake, "Ned Newadmin")  # an admin coachbot can't tell is one: users.info is refused
        fake.users[ned]["is_admin"] = True
        fake.grant(fake.bot_token, manifest_scopes() - {"users:read"})
        served.command("team sync", user=ned)
        assert fake.wait_for_response(ned, containing="Only a workspace admin")
        assert fake.wait_for_response(ned, containing="missing the “users:read” permission")
        assert {r[:2] for r in fake.take_refusals()} == {("users.info", "missing_scope")}
        fake.scopes.pop(fake.bot_token)  # an admin installs again
        ada = admin(served, fake)
        fake.grant(fake.bot_token, manifest_scopes() - {"users.profile:read"})  # installed before the scope
        served.command("team sync", user=ada)
        told = flat(fake.wait_for_response(ada, containing="permission")[-1])
        assert "missing the “users.profile:read” permission" in told and "installing coachbot again" in told
        assert [r[1] for r in fake.take_refusals()] == ["missing_scope"]
        fake.scopes.pop(fake.bot_token)
        fake.profile_fields[:] = [f for f in fake.profile_fields if f["id"] != FIELD]
        served.command("team sync", user=ada)
        assert fake.wait_for_response(ada, containing="I found no profile field for a manager")
        assert not fake.calls_to("users.profile.get")
    finally:
        served.stop()


# ---- the double's rules for team.profile.get and users.profile.get, each broken on purpose ---------

def call(fake: FakeSlack, method: str, token: str | None = None, **args) -> dict:
    req = urllib.request.Request(fake.api_url + method, data=json.dumps(args).encode(), method="POST",
                                 headers={"Content-Type": "application/json",
                                          "Authorization": f"Bearer {token or fake.bot_token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def test_the_double_needs_users_profile_read_and_a_user_slack_knows(fake):
    fake.add_user("U0PROF0001", "Pia Profile")
    fake.set_field("U0PROF0001", FIELD, "U0PROF0002")
    fake.grant("xoxb-old-install", {"commands", "chat:write", "users:read"})
    for method in ("team.profile.get", "users.profile.get"):
        answer = call(fake, method, token="xoxb-old-install", user="U0PROF0001")
        assert answer["error"] == "missing_scope" and answer["needed"] == "users.profile:read"
    assert call(fake, "users.profile.get", user="U0NOBODY01") == {
        "ok": False, "error": "user_not_found",
        "response_metadata": {"messages": ["[ERROR] no user 'U0NOBODY01' in this workspace"]}}
    assert [r[1] for r in fake.take_refusals()] == ["missing_scope", "missing_scope", "user_not_found"]
    fields = call(fake, "team.profile.get")["profile"]["fields"]
    assert [(f["id"], f["label"], f["type"]) for f in fields] == [
        ("Xf01PHONE", "Phone extension", "text"), (FIELD, "Reports to", "user")]
    assert call(fake, "team.profile.get", visibility="hidden")["profile"]["fields"] == []
    profile = call(fake, "users.profile.get", user="U0PROF0001")["profile"]
    assert profile["fields"] == {FIELD: {"value": "U0PROF0002", "alt": ""}} and profile["real_name"] == "Pia Profile"
