"""A flow in modals: each step's submission answered in the ack, back and discard, settings, picking a rep."""
from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.commands import Command, PersonRef
from bot.core.identity import UNKNOWN_NAME, Actor
from bot.core.outage import DB_DOWN, UNAVAILABLE
from bot.core.screen import Screen, screen_of
from bot.slack import blocks, submitted
from bot.slack.acks import errors_ack, step_meta_of, view_ack
from bot.slack.auth import actor_of
from bot.slack.listeners.base import error_code
from bot.slack.listeners.show import Delivery
from flows.engine import Action, Answer

log = logging.getLogger("coachbot.slack")
PICKED_WAIT = 2.0  # a form names a person only by id: worth waiting longer for their name (still < 3 s)


class FlowListeners(Delivery):
    """The modals of a flow and the small forms around it."""

    async def on_step(self, ack, body: dict, view: dict, client: AsyncWebClient, context) -> None:
        actor = actor_of(context)
        meta = step_meta_of(view.get("private_metadata"))
        if meta is None:
            await ack(response_action="update", view=blocks.notice_view("Out of date", "This form is from an older "
                      "version of coachbot. Run the command again to continue where you left off."))
            return
        fields = submitted.step_fields(meta)
        problem = submitted.form_problem(view, fields)
        if problem is not None:
            await ack(problem)
            return
        value = blocks.read_answer(view["state"]["values"], meta.get("kind", "")) if fields else None
        try:
            outputs = await self.service.answer(actor, Answer(value, version=meta.get("v"), step=meta.get("step")),
                                                meta.get("sid"))
        except UNAVAILABLE:
            log.warning("database unavailable while answering a step", exc_info=True)
            await ack(errors_ack(view, {blocks.ANSWER_BLOCK: DB_DOWN}))
            return
        screen = screen_of(outputs, answered_step=meta.get("step"))
        if screen.errors is not None:
            await ack(errors_ack(view, {blocks.ANSWER_BLOCK: screen.errors}))
            return
        await ack(view_ack(response_action="update", view=self.view_of(screen)))
        if screen.done is not None:
            self.later(self.after_done(client, actor, screen))

    async def on_step_closed(self, ack) -> None:
        # Every completed step is already saved; the same command picks the draft up again.
        await ack()

    async def on_back(self, ack, body: dict, action: dict, client: AsyncWebClient, context) -> None:
        await ack()
        self.later(self._nav(body, action, client, context, Action.BACK))

    async def on_discard(self, ack, body: dict, action: dict, client: AsyncWebClient, context) -> None:
        await ack()
        self.later(self._nav(body, action, client, context, Action.CANCEL))

    async def _nav(self, body, action, client, context, what: Action) -> None:
        meta = step_meta_of(action.get("value")) or {}
        outputs = await self.service.answer(actor_of(context), Answer(action=what, version=meta.get("v"),
                                                                      step=meta.get("step")), meta.get("sid"))
        view = self.view_of(screen_of(outputs))
        try:
            await client.views_update(view_id=body["view"]["id"], hash=body["view"].get("hash"), view=view)
        except SlackApiError as exc:
            log.warning("views.update failed after %s: %s", what, error_code(exc))

    async def after_done(self, client: AsyncWebClient, actor: Actor, screen: Screen) -> None:
        """After a flow finishes: the summary to the actor by DM, notifications to others, fresh home tabs."""
        async def to_actor(output) -> None:
            await self.dm(client, actor.user, output, actor.workspace)
        await self.deliver(client, actor, screen, to_actor, homes=True)
        await self.publish_home(client, actor)

    async def on_settings(self, ack, view: dict, context) -> None:
        problem = submitted.form_check(view, blocks.SETTINGS)
        if problem is not None:
            await ack(problem)
            return
        values = view["state"]["values"]
        tz = (values.get("tz", {}).get("value", {}) or {}).get("value")
        try:
            errors = await self.service.account.update_settings(
                actor_of(context),
                tz=tz, clear_tz=not tz,
                work_start=values["work_start"]["value"].get("selected_time"),
                work_end=values["work_end"]["value"].get("selected_time"),
                work_days=[o["value"] for o in values["work_days"]["value"].get("selected_options") or []],
                fewer_messages=submitted.fewer_choice(values),
            )
        except UNAVAILABLE:
            log.warning("database unavailable while saving settings", exc_info=True)
            errors = {"tz": DB_DOWN}
        if errors:
            await ack(errors_ack(view, {k if k in ("tz", "work_end", "work_days") else "tz": v
                                        for k, v in errors.items()}))
        else:
            await ack()

    async def on_pick_rep(self, ack, body: dict, view: dict, client: AsyncWebClient, context) -> None:
        problem = submitted.form_check(view, blocks.PICK_REP)
        if problem is not None:
            await ack(problem)
            return
        actor = actor_of(context)
        rep_id = view["state"]["values"]["rep"]["value"].get("selected_user")
        rep = PersonRef(rep_id, UNKNOWN_NAME)
        await self.refresh(client, actor, submitted.user_name(body), (rep,), wait=PICKED_WAIT)
        try:
            outputs = await self.service.command(actor, Command("talk", people=(rep,)))
        except UNAVAILABLE:
            log.warning("database unavailable while starting a talk", exc_info=True)
            await ack(errors_ack(view, {"rep": DB_DOWN}))
            return
        screen = screen_of(outputs)
        if screen.prompt is None:
            await ack(errors_ack(view, {"rep": screen.nothing}))
            return
        await ack(view_ack(response_action="update", view=self.view_of(screen)))

    async def on_other_view(self, ack) -> None:
        """A submission of a modal we show without a submit button (a notice, a summary, a list): only a
        forged request sends one. Closing it is the whole answer; nothing is read or saved."""
        await ack()
