"""Slack's request bodies, decoded with C where the standard library loops in Python.

Interactivity payloads (every modal submission and button press) arrive form-encoded, and a
modal's submission carries the whole view back, so the body is a few kilobytes with a `%XX`
escape for nearly every quote, brace and colon of its JSON. `urllib.parse.parse_qsl`, which
Bolt uses, decodes each escape in Python: about 0.13 ms for a 2.6 KB body, a third of all the
CPU Bolt spends on such a request. `binascii.a2b_qp` decodes `=XX` escapes in C, so each value
is rewritten from `%XX` to `=XX` and decoded there; anything that form could misread (a raw `=`,
a line break, non-ASCII text, a malformed escape) goes to the standard library instead, so the
result is always exactly `parse_qsl(body, keep_blank_values=True)`.
"""
from __future__ import annotations

import binascii
from typing import Any
from urllib.parse import unquote

from aiohttp import web
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.core import untrusted


def _decode(part: str) -> str:
    """One name or value of a form body, as `parse_qsl` decodes it."""
    text = part.replace("+", " ")
    if "%" not in text:
        return text
    if "=" in text or "\n" in text or "\r" in text:
        return unquote(text)
    try:
        raw = binascii.a2b_qp(text.replace("%", "="))
    except ValueError:  # not ASCII
        return unquote(text)
    # Each well-formed escape turns three characters into one byte. Any other length means some "%"
    # was not followed by two hex digits, which a2b_qp reads differently from the standard library.
    if len(raw) != len(text) - 2 * text.count("%"):
        return unquote(text)
    return raw.decode("utf-8", "replace")


def parse_form(body: str) -> list[tuple[str, str]]:
    """The pairs of a form-encoded body: the same as `parse_qsl(body, keep_blank_values=True)`."""
    pairs = []
    for piece in body.split("&") if body else ():
        if not piece:
            continue
        name, _, value = piece.partition("=")
        pairs.append((_decode(name), _decode(value)))
    return pairs


def parse_body(body: str, content_type: str | None) -> dict[str, Any]:
    """A Slack request body as Bolt reads it (`slack_bolt.request.internals.parse_body`), faster; JSON
    nested too deep is refused (`untrusted.Refused`), NUL characters are dropped from every value, and
    a modal's payload whose view Bolt could not read is given the shape it can (`_view_shaped`)."""
    if not body:
        return {}
    if content_type == "application/json" or body.startswith("{"):
        return _view_shaped(untrusted.loads(body))
    params = dict(parse_form(body))
    if "payload" in body:
        payload = params.get("payload")
        return _view_shaped(untrusted.loads(payload)) if payload is not None else {}
    return untrusted.cleaned(params) if "%00" in body or "\x00" in body else params


def _view_shaped(payload: Any) -> Any:
    """A view_submission or view_closed payload whose `view` Bolt can read.

    Bolt reads `view.type` and `view.callback_id` of every such payload without a check (to tell a
    workflow step from a modal, and to pick the listener), so a forged one without them, or with a
    view that is not an object, would be a 500 inside Bolt. Slack always sends both as text; anything
    else is given empty text here, which no form of ours is, and the listener for unknown forms
    closes it (`FlowListeners.on_other_view`).
    """
    if not isinstance(payload, dict) or payload.get("type") not in ("view_submission", "view_closed"):
        return payload
    view = payload.get("view")
    if not isinstance(view, dict):
        view = {}
    if not isinstance(view.get("type"), str) or not isinstance(view.get("callback_id"), str):
        view = {**view, "type": view["type"] if isinstance(view.get("type"), str) else "",
                "callback_id": ""}
    payload["view"] = view
    return payload


class SlackRequest(AsyncBoltRequest):
    """An HTTP-mode Bolt request whose body is decoded by `parse_body` above.

    Bolt's own constructor sets everything from the headers and query; the body, and the context
    Bolt derives from it, are then filled in the same way Bolt would, from the faster decoding.
    The raw body is kept as it came, for the signature check.
    """

    def __init__(self, *, body: str, query: str | None, headers):
        super().__init__(body="", query=query, headers=headers)
        self.raw_body = body
        self.body = parse_body(body, self.content_type)
        self.context = build_async_context(AsyncBoltContext({}), self.body)


async def to_bolt_request(request: web.Request) -> AsyncBoltRequest:
    """The Bolt request for an aiohttp request to /slack/events."""
    return SlackRequest(body=await request.text(), query=request.query_string, headers=request.headers)
