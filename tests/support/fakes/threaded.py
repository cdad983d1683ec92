"""An aiohttp app served on 127.0.0.1 from an event loop of its own, in a daemon thread: how the
platform doubles run beside a test that itself is synchronous."""
from __future__ import annotations

import asyncio
import threading
from typing import Callable

from aiohttp import web


class ThreadedApp:
    """One app on a free loopback port; `loop` runs it (None once stopped)."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.port = 0
        self._runner: web.AppRunner | None = None

    def start(self, build: Callable[[], web.Application], name: str) -> int:
        """Build the app inside its loop, serve it, and return the port (RuntimeError if it never came up)."""
        ready = threading.Event()

        async def serve() -> None:
            self._runner = web.AppRunner(build(), access_log=None)
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            self.port = site._server.sockets[0].getsockname()[1]

        def run() -> None:
            self.loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(serve())
            ready.set()
            self.loop.run_forever()

        threading.Thread(target=run, name=name, daemon=True).start()
        if not ready.wait(10):
            raise RuntimeError(f"{name} did not start")
        return self.port

    def stop(self) -> None:
        """Close the app and end its loop (nothing when it is not running)."""
        if self.loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.loop = None
