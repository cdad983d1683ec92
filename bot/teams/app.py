"""The Teams bot: one turn = parse the activity, call the service, render its outputs as cards or text.

Thin like the Slack transport: parse the activity into a neutral command or answer, call the
service, render its outputs with `bot.teams.cards`. A workspace for Teams is the tenant; each
person's personal-chat conversation reference is stored on every turn there, so DMs, nudges and
loss prompts can reach them later (`send_to`). The HTTP endpoint and its auth are in `endpoint.py`.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp

from microsoft_agents.activity import Activity, Attachment, ConversationAccount, ConversationReference
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import ActivityHandler, ClaimsIdentity, MessageFactory, TurnContext

from bot.core.commands import Command, PersonRef, spec_of, unknown_text
from bot.core.identity import UNKNOWN_NAME, Actor
from bot.core.profiles import Profile, ProfileRefresher
from bot.core.service import CoachService
from bot.scheduler.waiting import WaitingMessages
from bot.teams import cards
from bot.teams.inbound import MAX_MESSAGE, Submission, as_int, name_words, parse_message, parse_submission
from bot.core.views import LossPrompt, ReportView, ThreadReply, last_of, plain_text
from flows.engine import Action, Answer
from flows.outputs import Cancelled, Done, Notify, Prompt, Refused, Say

log = logging.getLogger("coachbot.teams")
CONNECTOR_CLIENT = "ConnectorClient"  # where the SDK keeps the turn's connector client in turn_state
PLATFORM = "teams"
PRIVATE_NOTE = ("That's between you and me, so I've answered in our personal chat.")
NO_PRIVATE_CHAT = ("That's between you and me, and we haven't chatted privately yet. Open a chat with me "
                   "(search for coachbot under Apps), say hi, and send it there.")
GREETINGS = ("hi", "hello", "hey", "hallo", "start")
WELCOME = ("👋 Hi, I'm coachbot. I help you prepare the hard conversations with your reps, learn from lost "
           "deals, and follow up so plans stick.\n\n")
GROUP_WELCOME = ("👋 Hi all, I'm coachbot, a coach for sales managers and reps. Here, @mention me to log a lost "
                 "deal (@coachbot lost Acme renewal 12k @Alex) and the rep gets a short retrospective. "
                 "Everything personal — conversations, plans, check-ins — stays in your private chat with me: "
                 "open it from Apps and type help.")


def card_activity(card: dict) -> Activity:
    """A message activity carrying one Adaptive Card, with a summary: the line Teams shows in the
    notification and the activity feed (a card alone shows only "Sent a card")."""
    activity = MessageFactory.attachment(Attachment(content_type=cards.CONTENT_TYPE, content=card))
    activity.summary = card.get("fallbackText") or "coachbot"
    return activity


def activities(output: Any) -> list[Activity]:
    """An output as the messages that show it whole: cards for summaries and reports, text otherwise."""
    if isinstance(output, Done):
        return [card_activity(c) for c in cards.done_cards(output)]
    if isinstance(output, ReportView):
        return [card_activity(c) for c in cards.report_cards(output)]
    return [text_activity(t) for t in cards.message_texts(output)]


PACE = 0.3  # seconds between the parts of a message: Teams takes at most 8 sends per 2 s in a conversation


async def send_parts(ctx: TurnContext, parts: list[Activity]) -> Any:
    """Send a message's parts in order, paced past the first few; returns the first part's response."""
    first = None
    for i, activity in enumerate(parts):
        if i:
            await asyncio.sleep(PACE)
        response = await patiently(lambda a=activity: ctx.send_activity(a))
        first = first or response
    return first


async def patiently(send, tries: int = 3):
    """A send that Teams throttled (429) is sent again after the Retry-After it asked for, when that is
    short: a message in parts must not lose (or repeat) a part because the conversation was busy."""
    for attempt in range(tries):
        try:
            return await send()
        except aiohttp.ClientResponseError as exc:
            wait = _retry_after(exc)
            if exc.status != 429 or attempt == tries - 1 or wait > 10:
                raise
            await asyncio.sleep(wait)


def _retry_after(exc: aiohttp.ClientResponseError) -> float:
    try:
        return float((exc.headers or {}).get("Retry-After", 1))
    except (TypeError, ValueError):
        return 1.0


def text_activity(markdown: str) -> Activity:
    """A message activity with markdown text (each line its own paragraph: Teams ignores single breaks)."""
    activity = MessageFactory.text(cards.paragraphs(markdown))
    activity.text_format = "markdown"
    return activity


class UnsafeReference(Exception):
    """A stored conversation reference that points somewhere the bot must not send its token."""


class CoachTeamsBot(ActivityHandler):
    def __init__(self, service: CoachService, adapter: CloudAdapter, *, app_id: str, anonymous: bool,
                 default_tenant: str, safe_reference=lambda url: None):
        self.service = service
        self.adapter = adapter
        self.app_id = app_id
        self.anonymous = anonymous
        self.default_tenant = default_tenant
        self.safe_reference = safe_reference  # why a stored reference's service URL must not get our token
        self.refresher = ProfileRefresher(service.db, service.clock, renamed=service.steps.forget_about)
        self.waiting = WaitingMessages(service.db, service.cipher, service.clock, service.defaults)
        self._zones: dict[tuple[str, str], str] = {}  # the last zone stored per person (saves a write per turn)

    # ---- who and where ---------------------------------------------------------------------

    def actor_of(self, activity: Activity) -> Actor:
        """The neutral actor: the tenant is the workspace, the Teams user id the user."""
        channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
        tenant = (activity.conversation.tenant_id if activity.conversation else None) \
            or (channel_data.get("tenant") or {}).get("id") or self.default_tenant
        who = activity.from_property
        return Actor(PLATFORM, tenant, who.id if who else "", name=(who.name or "") if who else "",
                     tz=activity.local_timezone)

    @staticmethod
    def is_personal(activity: Activity) -> bool:
        kind = activity.conversation.conversation_type if activity.conversation else None
        return kind in (None, "personal")

    async def remember(self, ctx: TurnContext, actor: Actor) -> bool:
        """Know the person properly (name and email from the member look-up, zone from their client) and,
        in a personal chat, how to reach them later; a chat that just became reachable gets what waited
        (True then)."""
        activity = ctx.activity

        async def fetch() -> Profile | None:
            member = await self.member(ctx, actor.user)
            name = (member or {}).get("name") or actor.name
            if not name:
                return None  # a raw id is never a name: try again on the next turn
            return Profile(name=name, tz=actor.tz, email=(member or {}).get("email"))
        await self.refresher.ensure(PLATFORM, actor.workspace, actor.user, fetch, actor.name or UNKNOWN_NAME)
        if actor.tz and self._zones.get((actor.workspace, actor.user)) != actor.tz:
            await self.service.account.note_zone(actor, actor.tz)
            self._zones[(actor.workspace, actor.user)] = actor.tz
        if self.is_personal(activity):
            ref = activity.get_conversation_reference()
            if await self.service.account.remember_chat(actor, ref.model_dump_json(by_alias=True, exclude_none=True)):
                await self.deliver_backlog(ctx, actor)
                return True
        return False

    async def member(self, ctx: TurnContext, user: str) -> dict | None:
        """The Teams member look-up (name, email, tenant), or None when the connector can't say."""
        client = ctx.turn_state.get(CONNECTOR_CLIENT)
        conversation = ctx.activity.conversation.id if ctx.activity.conversation else None
        if client is None or not conversation or not hasattr(client, "get_conversation_member"):
            return None
        try:
            found = await client.get_conversation_member(conversation, user)
        except Exception as exc:  # noqa: BLE001 - the profile stays as it was; the turn goes on
            log.info("member look-up failed (%s)", exc.__class__.__name__)
            return None
        return found.model_dump(exclude_none=True) if hasattr(found, "model_dump") else None

    async def deliver_backlog(self, ctx: TurnContext, actor: Actor) -> None:
        """What waited for this person to open a chat, as one message (split only if Teams needs it)."""
        owner, messages = await self.waiting.backlog(actor)
        if not messages:
            return
        try:
            sent = await send_parts(ctx, [card_activity(part) for part in cards.backlog_cards(messages)])
        except Exception as exc:  # noqa: BLE001 - the scheduler will try each again
            log.warning("backlog not delivered (%s); back to the scheduler", exc.__class__.__name__)
            await self.waiting.undelivered(owner, messages, f"backlog not delivered: {exc.__class__.__name__}")
            return
        await self.waiting.delivered(owner, messages, str(getattr(sent, "id", "") or ""))

    # ---- turns -----------------------------------------------------------------------------

    async def on_message_activity(self, turn_context: TurnContext) -> None:
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
            await turn_context.send_activity(text_activity(
                "⚠️ That card is from an older version of coachbot, so nothing was changed. Type help to start again."))
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

    async def on_members_added_activity(self, members_added, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient else ""
        if not any(m.id == bot_id for m in members_added or []):
            return
        if self.is_personal(activity):
            await self.welcome(turn_context)
        else:
            # Added to a team or a group chat: say hello there, briefly, and how to reach me in private.
            await turn_context.send_activity(text_activity(GROUP_WELCOME))

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        """The app was added: in a personal scope, the person becomes reachable (and gets what waited)."""
        if self.is_personal(turn_context.activity):
            await self.welcome(turn_context)

    async def welcome(self, ctx: TurnContext) -> None:
        """A personal chat opened: say hello once (Teams announces an install twice, as an installation
        update and as a member added) and hand over what waited."""
        actor = self.actor_of(ctx.activity)
        if actor.user and await self.remember(ctx, actor):
            await ctx.send_activity(text_activity(WELCOME + cards.teams_help()))

    async def on_installation_update_remove(self, turn_context: TurnContext) -> None:
        """The app was removed from a person's chat: nothing can reach them, so their nudges wait, saying why.
        (An upgrade removes and adds the app too, as "remove-upgrade": that is no removal.)"""
        actor = self.actor_of(turn_context.activity)
        if turn_context.activity.action != "remove" or not actor.user or not self.is_personal(turn_context.activity):
            return
        when = self.service.clock.now()
        held = await self.waiting.app_removed(actor, (
            f"held: the person removed coachbot from their Teams chat on {when:%Y-%m-%d %H:%M} UTC; delivered "
            "if they add it again"))
        log.warning("a Teams user removed the app: %d scheduled message(s) held", held)

    async def on_command(self, ctx: TurnContext, actor: Actor, cmd: Command) -> None:
        if cmd.name in GREETINGS:
            await ctx.send_activity(text_activity(f"Hi {cards.safe(actor.name.split(' ')[0] or 'there')}! 👋\n\n"
                                                  + cards.teams_help()))
            return
        spec = spec_of(cmd)
        if spec is None:
            await ctx.send_activity(text_activity(f"⚠️ {cards.safe(unknown_text(cmd.name))}\n\n" + cards.teams_help()))
            return
        if spec.name == "help":
            await ctx.send_activity(text_activity(cards.teams_help()))
            return
        cmd, problem = await self.resolve_people(actor, cmd)
        if problem:
            await ctx.send_activity(text_activity("⚠️ " + problem))
            return
        personal = self.is_personal(ctx.activity)
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
                return cmd, (f"I don't know anyone called “{cards.safe(ref.name)}” here yet. @mention them in a "
                             "channel I'm in, or ask them to send me a message once, then try again.")
            if len(found) > 1:
                names = ", ".join(cards.safe(p.name) for p in found)
                return cmd, f"More than one person is called “{cards.safe(ref.name)}”: {names}. Use the full name."
            resolved.append(found[0])
        args = cmd.args if not bare else ()
        return Command(cmd.name, args, tuple(resolved), cmd.text), None

    async def on_submission(self, ctx: TurnContext, actor: Actor, sub: Submission) -> None:
        data = sub.data
        if sub.kind in ("step", "back", "discard"):
            if sub.kind == "step":
                answer = Answer(cards.read_answer(data, str(data.get("kind", ""))), version=as_int(data.get("v")),
                                step=data.get("step"))
            else:
                answer = Answer(action=Action.BACK if sub.kind == "back" else Action.CANCEL,
                                version=as_int(data.get("v")), step=data.get("step"))
            sid = data.get("sid")
            outputs = await self.service.answer(actor, answer, str(sid) if sid else None)
            await self.show_step_result(ctx, actor, outputs)
        elif sub.kind == "retro_start":
            outputs = await self.service.retros.start(actor, as_int(data.get("retro")) or -1)
            if self.is_personal(ctx.activity) or not any(isinstance(o, Prompt) for o in outputs):
                await self.deliver(ctx, actor, outputs)
            else:
                await self.deliver_privately(ctx, actor, outputs)
        elif sub.kind == "nudge":
            outputs = await self.service.buttons.press(actor, str(data.get("action", "")), str(data.get("value", "")))
            said = [cards.message_text(o) for o in outputs if isinstance(o, (Say, Refused))]
            if said:
                await self.replace_card(ctx, cards.card([cards.text_block("\n\n".join(said))]))
            await self.notify_all(ctx, actor, [o for o in outputs if isinstance(o, Notify)])

    async def show_step_result(self, ctx: TurnContext, actor: Actor, outputs: list) -> None:
        """After an answer: update the step card in place, then send whatever else the turn produced."""
        prompt, refused = last_of(outputs, Prompt), last_of(outputs, Refused)
        done, cancelled = last_of(outputs, Done), last_of(outputs, Cancelled)
        if prompt is not None:
            await self.replace_card(ctx, cards.prompt_card(prompt, refused.reason if refused else None))
        elif done is not None:
            first, *rest = cards.done_cards(done)
            await self.replace_card(ctx, first)
            await send_parts(ctx, [card_activity(part) for part in rest])
            await self.deliver(ctx, actor, [o for o in outputs if o is not done])
        elif cancelled is not None:
            await self.replace_card(ctx, cards.notice_card("Discarded", cancelled.text))
        else:
            reason = refused.reason if refused else " ".join(getattr(o, "text", "") for o in outputs)
            await self.replace_card(ctx, cards.notice_card("Nothing to do", reason or "Nothing changed."))

    async def replace_card(self, ctx: TurnContext, card: dict) -> None:
        """Update the card that was pressed (Teams allows it for the bot's own messages), else send anew."""
        activity = card_activity(card)
        target = ctx.activity.reply_to_id
        if target:
            activity.id = target
            activity.conversation = ctx.activity.conversation
            try:
                await ctx.update_activity(activity)
                return
            except Exception as exc:  # noqa: BLE001 - an old or deleted message: show the card as a new one
                log.info("card update failed (%s); sending a new card", exc.__class__.__name__)
                activity.id = None
        await ctx.send_activity(activity)

    # ---- rendering outputs ---------------------------------------------------------------------

    async def deliver(self, ctx: TurnContext, actor: Actor, outputs: list) -> None:
        """Send a turn's outputs into the conversation of `ctx` (notifications go to their people)."""
        prompt = last_of(outputs, Prompt)
        notes = [o for o in outputs if isinstance(o, Say)]
        for output in outputs:
            if isinstance(output, Prompt):
                if output is prompt:
                    intro = " ".join(o.text for o in notes) or None
                    await ctx.send_activity(card_activity(cards.prompt_card(output, intro=intro)))
            elif isinstance(output, Say) and prompt is not None:
                continue  # shown on the card
            elif isinstance(output, Notify):
                await self.notify_all(ctx, actor, [output])
            elif isinstance(output, LossPrompt):
                await self.post_loss_prompt(ctx, actor, output)
            elif isinstance(output, ThreadReply):
                await self.thread_reply(ctx, output)
            else:
                await send_parts(ctx, activities(output))

    async def deliver_privately(self, ctx: TurnContext, actor: Actor, outputs: list) -> bool:
        """Send outputs to the actor's personal chat instead of where they asked; False (and how to
        open such a chat, said where they asked) when they have never opened one."""
        ref = await self.service.account.chat_of(actor)
        if ref is None:
            await ctx.send_activity(text_activity(NO_PRIVATE_CHAT))
            return False
        try:
            await self.in_chat(ref, lambda private: self.deliver(private, actor, outputs))
        except Exception as exc:  # noqa: BLE001 - say so where they asked; never the private words themselves
            log.warning("private answer failed (%s)", exc.__class__.__name__)
            await ctx.send_activity(text_activity(
                "⚠️ I couldn't write to our personal chat just now, so nothing private was shown. Try again in a "
                "moment."))
            return False
        return True

    async def post_loss_prompt(self, ctx: TurnContext, actor: Actor, prompt: LossPrompt) -> None:
        """In a channel, post the prompt there; in a personal chat, send it to the rep's own chat."""
        card = card_activity(cards.loss_prompt_card(prompt))
        if not self.is_personal(ctx.activity) or prompt.rep_external_id == actor.user:
            sent = await ctx.send_activity(card)
            where = ctx.activity.conversation.id
        else:
            rep = Actor(PLATFORM, actor.workspace, prompt.rep_external_id)
            ref = await self.service.account.chat_of(rep)
            if ref is None:
                await self.service.queue_message(rep, f"{prompt.deal_name} was lost, and a short retrospective is "
                                                      "waiting for you: send me retro to start it.")
                await ctx.send_activity(text_activity(
                    f"⏳ {cards.safe(prompt.rep_name)} hasn't opened a chat with me yet, so I can't reach them. The "
                    "retrospective is saved, and they get the invitation as soon as they open the chat."))
                return
            try:
                sent = await self.send_to(ref, card)
            except Exception as exc:  # noqa: BLE001 - the scheduler keeps trying the invitation
                log.warning("retrospective invitation failed (%s); queued", exc.__class__.__name__)
                await self.service.queue_message(rep, f"{prompt.deal_name} was lost, and a short retrospective is "
                                                      "waiting for you: send me retro to start it.")
                await ctx.send_activity(text_activity(
                    f"⏳ I couldn't reach {cards.safe(prompt.rep_name)} just now; the retrospective is saved and "
                    "I'll keep trying to invite them."))
                return
            where = None
            await ctx.send_activity(text_activity(
                f"✅ I've asked {cards.safe(prompt.rep_name)} for a short retrospective on "
                f"{cards.safe(prompt.deal_name)}."))
        if where and sent is not None and getattr(sent, "id", None):
            await self.service.retros.record_prompt((PLATFORM, actor.workspace), prompt.retro_id, where, sent.id)

    async def thread_reply(self, ctx: TurnContext, reply: ThreadReply) -> None:
        """The retrospective's summary as a reply to its channel post (skipped for personal chats)."""
        if not reply.channel or reply.channel == ctx.activity.conversation.id and self.is_personal(ctx.activity):
            return
        conversation_id = reply.channel if ";messageid=" in reply.channel or not reply.thread_ts \
            else f"{reply.channel};messageid={reply.thread_ts}"
        ref = ConversationReference(channel_id=ctx.activity.channel_id, service_url=ctx.activity.service_url,
                                    conversation=ConversationAccount(id=conversation_id), bot=ctx.activity.recipient)
        try:
            await self.send_to(ref.model_dump_json(by_alias=True, exclude_none=True),
                               text_activity(cards.safe(reply.text)))
        except Exception as exc:  # noqa: BLE001 - the retro is stored; only the channel echo failed
            log.warning("thread reply failed: %s", exc.__class__.__name__)

    async def notify_all(self, ctx: TurnContext, actor: Actor, notes: list[Notify]) -> None:
        """Send each notification to its person's personal chat. Someone who has not opened one yet gets it
        when they do (and the sender is told); a failed send is queued for the scheduler. Never dropped."""
        for note in notes:
            target = Actor(PLATFORM, actor.workspace, note.external_id)
            ref = await self.service.account.chat_of(target)
            if ref is None:
                await self.service.queue_message(target, plain_text(note.output))
                await ctx.send_activity(text_activity(
                    f"⏳ {cards.safe(note.person_name)} hasn't opened a chat with me yet, so this waits for them: they get "
                    "it as soon as they do. (In Teams, ask them to open coachbot under Apps and say hi.)"))
                continue
            try:
                for i, activity in enumerate(activities(note.output)):
                    if i:
                        await asyncio.sleep(PACE)
                    await patiently(lambda a=activity: self.send_to(ref, a))
            except Exception as exc:  # noqa: BLE001 - queued, so the scheduler keeps trying; never dropped
                log.warning("message to a Teams user failed (%s); queued", exc.__class__.__name__)
                await self.service.queue_message(target, plain_text(note.output))

    # ---- proactive sending -----------------------------------------------------------------------

    async def on_ref(self, ref_json: str, work) -> None:
        """Run `work(turn_context)` in the conversation a stored reference points to."""
        ref = ConversationReference.model_validate_json(ref_json)
        problem = self.safe_reference(ref.service_url)
        if problem:
            raise UnsafeReference(f"the stored chat can't be used: {problem}")
        continuation = ref.get_continuation_activity()
        if self.anonymous:
            await self.adapter.continue_conversation_with_claims(ClaimsIdentity(), continuation, work)
        else:
            await self.adapter.continue_conversation(self.app_id, continuation, work)

    async def in_chat(self, ref_json: str, work) -> None:
        """Run `work(turn_context)` in a stored conversation and raise what it raised. (Raised inside the
        turn, an error would reach the adapter's turn error handler, which would message the person and
        swallow it: the caller must see it instead.)"""
        failure: list[Exception] = []

        async def guarded(ctx: TurnContext) -> None:
            try:
                await work(ctx)
            except Exception as exc:  # noqa: BLE001 - raised again below, outside the turn
                failure.append(exc)
        await self.on_ref(ref_json, guarded)
        if failure:
            raise failure[0]

    async def send_to(self, ref_json: str, activity: Activity) -> Any:
        """Send one activity to a stored conversation; returns the platform's resource response, or raises
        what the connector answered."""
        outcome: dict[str, Any] = {}

        async def work(ctx: TurnContext) -> None:
            outcome["response"] = await ctx.send_activity(activity)
        await self.in_chat(ref_json, work)
        return outcome.get("response")
