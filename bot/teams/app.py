"""The Teams bot: one turn = parse the activity, call the service, show its outputs as cards or text.

Thin like the Slack transport: parse the activity into a neutral command or answer (`inbound`), call
the service, and show the outputs (`delivery`, through the core's `Screen`). A workspace for Teams is
the tenant; each person's personal-chat conversation reference is stored on every turn there, so DMs,
nudges and loss prompts can reach them later (`members`, `reach`). The HTTP endpoint and its auth are
in `endpoint.py`.
"""
from __future__ import annotations

from microsoft_agents.activity import Activity
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import ActivityHandler, TurnContext

from bot.core.commands import Command, PersonRef, spec_of, unknown_text
from bot.core.identity import Actor
from bot.core.nudge_actions import AskCount
from bot.core.profiles import ProfileRefresher
from bot.core.screen import screen_of
from bot.core.service import CoachService
from bot.core.views import last_of
from bot.scheduler.waiting import WaitingMessages
from bot.teams.activities import PLATFORM, card_activity, is_personal, send, text_activity
from bot.teams.cards import read_answer
from bot.teams.delivery import BUTTON, STEP, Delivery
from bot.teams.inbound import MAX_MESSAGE, Submission, as_int, name_words, parse_message, parse_submission
from bot.teams.markdown import safe
from bot.teams.members import Members
from bot.teams.messages import teams_help
from bot.teams import pulse
from flows.engine import Action, Answer

PRIVATE_NOTE = "That's between you and me, so I've answered in our personal chat."
GREETINGS = ("hi", "hello", "hey", "hallo", "start")
OLD_CARD = "⚠️ That card is from an older version of coachbot, so nothing was changed. Type help to start again."


class CoachTeamsBot(Members, Delivery, ActivityHandler):
    """The Teams bot: routes each activity to the service and shows what comes back."""

    def __init__(self, service: CoachService, adapter: CloudAdapter, *, app_id: str, anonymous: bool,
                 default_tenant: str, safe_reference=lambda url: None, admins: frozenset[str] = frozenset()):
        self.service = service
        self.admins = admins
        self.adapter = adapter
        self.app_id = app_id
        self.anonymous = anonymous
        self.default_tenant = default_tenant
        self.safe_reference = safe_reference  # why a stored reference's service URL must not get our token
        self.refresher = ProfileRefresher(service.db, service.clock, service.defaults,
                                          renamed=service.steps.forget_about)
        self.waiting = WaitingMessages(service.db, service.cipher, service.clock, service.defaults)
        self._zones: dict[tuple[str, str], str] = {}  # the last zone stored per person (saves a write per turn)

    def actor_of(self, activity: Activity) -> Actor:
        """The neutral actor: the tenant is the workspace, the Teams user id the user."""
        channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
        tenant = (activity.conversation.tenant_id if activity.conversation else None) \
            or (channel_data.get("tenant") or {}).get("id") or self.default_tenant
        who = activity.from_property
        return Actor(PLATFORM, tenant, who.id if who else "", name=(who.name or "") if who else "",
                     tz=activity.local_timezone)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        """A message or a card submission: a command, a step's answer, or a button press."""
        activity = turn_context.activity
        actor = self.actor_of(activity)
        if not actor.user:
            return
        await self.remember(turn_context, actor)
        submission = parse_submission(activity.value) if activity.value is not None else None
        if submission is not None:
            await self.on_submission(turn_context, actor, submission)
            return
        if activity.value is not None and not (activity.text or "").strip():
            await turn_context.send_activity(text_activity(OLD_CARD))
            return
        if len(activity.text or "") > MAX_MESSAGE:
            await turn_context.send_activity(text_activity(
                f"⚠️ That message is {len(activity.text):,} characters long; commands fit in {MAX_MESSAGE:,}. "
                "Nothing was done."))
            return
        entities = [e.model_dump(by_alias=True, exclude_none=True) if hasattr(e, "model_dump") else e
                    for e in activity.entities or []]
        bot_id = activity.recipient.id if activity.recipient else self.app_id
        cmd = parse_message(activity.text or "", entities, bot_id)
        await self.on_command(turn_context, actor, cmd)

    async def on_command(self, ctx: TurnContext, actor: Actor, cmd: Command) -> None:
        """A typed command: greetings and help here, the rest through the service (private ones in private)."""
        if cmd.name in GREETINGS:
            await ctx.send_activity(text_activity(f"Hi {safe(actor.name.split(' ')[0] or 'there')}! 👋\n\n"
                                                  + teams_help()))
            return
        spec = spec_of(cmd)
        if spec is None:
            await ctx.send_activity(text_activity(f"⚠️ {safe(unknown_text(cmd.name))}\n\n" + teams_help()))
            return
        if spec.name == "help":
            await ctx.send_activity(text_activity(teams_help()))
            return
        cmd, problem = await self.resolve_people(actor, cmd)
        if problem:
            await ctx.send_activity(text_activity("⚠️ " + problem))
            return
        personal = is_personal(ctx.activity)
        channel = None if personal else ctx.activity.conversation.id
        outputs = await self.service.command(actor, cmd, channel=channel)
        if personal or spec.public:
            await self.deliver(ctx, actor, outputs)
            return
        # Plans, talks and settings are private: answer in the personal chat, never in the channel.
        if await self.deliver_privately(ctx, actor, outputs):
            await ctx.send_activity(text_activity(PRIVATE_NOTE))

    async def resolve_people(self, actor: Actor, cmd: Command) -> tuple[Command, str | None]:
        """Turn names typed without a real mention into known people of the tenant."""
        wanted = [p for p in cmd.people if not p.external_id]
        bare = name_words(cmd)
        if bare:
            wanted.append(PersonRef("", bare))
        if not wanted:
            return cmd, None
        resolved = [p for p in cmd.people if p.external_id]
        for ref in wanted:
            found = await self.service.account.people_named(actor, ref.name)
            if not found:
                return cmd, (f"I don't know anyone called “{safe(ref.name)}” here yet. @mention them in a "
                             "channel I'm in, or ask them to send me a message once, then try again.")
            if len(found) > 1:
                names = ", ".join(safe(p.name) for p in found)
                return cmd, f"More than one person is called “{safe(ref.name)}”: {names}. Use the full name."
            resolved.append(found[0])
        args = cmd.args if not bare else ()
        return Command(cmd.name, args, tuple(resolved), cmd.text), None

    async def on_submission(self, ctx: TurnContext, actor: Actor, sub: Submission) -> None:
        """A card's button: a step answered (or back, or discarded), a retrospective started, a nudge answered."""
        data = sub.data
        if sub.kind in ("step", "back", "discard"):
            if sub.kind == "step":
                answer = Answer(read_answer(data, str(data.get("kind", ""))), version=as_int(data.get("v")),
                                step=data.get("step"))
            else:
                answer = Answer(action=Action.BACK if sub.kind == "back" else Action.CANCEL,
                                version=as_int(data.get("v")), step=data.get("step"))
            sid = data.get("sid")
            outputs = await self.service.answer(actor, answer, str(sid) if sid else None)
            await self.show(ctx, actor, screen_of(outputs), pressed=STEP)
        elif sub.kind == "retro_start":
            outputs = await self.service.retros.start(actor, as_int(data.get("retro")) or -1)
            if is_personal(ctx.activity) or screen_of(outputs).prompt is None:
                await self.deliver(ctx, actor, outputs)
            else:  # the retrospective itself is filled in privately, not in the channel
                await self.deliver_privately(ctx, actor, outputs)
        elif sub.kind == "nudge":
            outputs = await self.service.buttons.press(actor, str(data.get("action", "")), pulse.button_value(data))
            ask = last_of(outputs, AskCount)
            if ask is not None:  # "6 or more…": the exact number, in a card of its own in place of the buttons
                if data.get("merged"):  # below a merged card instead, which keeps its other items' buttons
                    await send(ctx, card_activity(pulse.count_card(ask)))
                else:
                    await self.replace_card(ctx, pulse.count_card(ask))
                return
            # A merged card's other items are still to be answered: its outcome comes below it instead.
            await self.show(ctx, actor, screen_of(outputs), pressed=None if data.get("merged") else BUTTON)
