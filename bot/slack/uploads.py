"""A chart drawn off the event loop and uploaded as a PNG into a Slack conversation (a DM here)."""
from __future__ import annotations

import asyncio
from typing import Any, Callable

from slack_sdk.web.async_client import AsyncWebClient


async def post_chart(client: AsyncWebClient, channel: str, draw: Callable[..., bytes], *args: Any,
                     filename: str, title: str) -> None:
    """Draw the chart (matplotlib is slow and blocking, so in a thread) and share it in `channel`.

    files_upload_v2 is files.getUploadURLExternal, the bytes to the URL it gives, then
    files.completeUploadExternal with the channel (docs.slack.dev/messaging/working-with-files);
    it needs files:write, and a refusal is raised as SlackApiError for the caller to judge."""
    png = await asyncio.to_thread(draw, *args)
    await client.files_upload_v2(channel=channel, content=png, filename=filename, title=title)
